using System.Security.Claims;
using Derbes.Web.Audit;
using Derbes.Web.Customers;
using Derbes.Web.Data;
using Derbes.Web.Messaging;
using Derbes.Web.Security;
using Microsoft.EntityFrameworkCore;
using SkiaSharp;

namespace Derbes.Web.Documents;

public sealed record QueuedDocument(Guid Id, string CustomerNumber, string ContentType, long Size, DateTimeOffset UploadedAt, DateTimeOffset DueAt);

public enum ReviewOutcome
{
    Done,
    NotFound,
    /// <summary>Someone else decided first; nothing was changed.</summary>
    AlreadyDecided,
}

/// <summary>
/// Support's document review: the queue (oldest first, with the due time), an audited look at the file, and the
/// decision. Of two reviewers deciding at once exactly one wins (a conditional update on the status); the
/// customer is told in their language.
/// </summary>
public sealed class DocumentReview(
    DerbesDb db,
    IDocumentStore store,
    PersonalDataVault vault,
    AccountDirectory directory,
    AccountMessages messages,
    AuditTrail audit,
    IHttpContextAccessor http,
    TimeProvider clock)
{
    public async Task<List<QueuedDocument>> QueueAsync(CancellationToken cancellationToken) =>
        await (from d in db.Documents.AsNoTracking()
               join a in db.Users on d.AccountId equals a.Id
               where d.Status == DocumentStatus.AwaitingReview && a.Status != AccountStatus.Blocked
               orderby d.UploadedAt
               select new QueuedDocument(d.Id, a.UserName ?? "", d.ContentType, d.Size, d.UploadedAt, d.ReviewDueAt))
            .Take(200)
            .ToListAsync(cancellationToken);

    /// <summary>A document of a customer who is not blocked (blocking stops all processing but storage).</summary>
    public Task<CustomerDocument?> FindAsync(Guid id, CancellationToken cancellationToken) =>
        db.Documents.AsNoTracking()
            .Where(d => d.Id == id && db.Users.Any(a => a.Id == d.AccountId && a.Status != AccountStatus.Blocked))
            .SingleOrDefaultAsync(cancellationToken);

    /// <summary>The document's bytes, opened for a reviewer; the look is audited.</summary>
    public async Task<(CustomerDocument Document, byte[] Bytes)?> OpenAsync(Guid id, string how, CancellationToken cancellationToken)
    {
        var document = await FindAsync(id, cancellationToken);
        var sealedBytes = document is null ? null : await store.GetAsync(document.StorageName, cancellationToken);
        if (document is null || sealedBytes is null)
        {
            return null;
        }
        var bytes = vault.Open(document.AccountId, DocumentIntake.FieldOf(document.Id), sealedBytes);
        audit.Record("document." + how, document.AccountId, outcome: "document:" + document.Id.ToString("N")[..12]);
        await db.SaveChangesAsync(cancellationToken);
        return (document, bytes);
    }

    public async Task<ReviewOutcome> DecideAsync(Guid id, bool verified, RejectionReason? reason, string? note, CancellationToken cancellationToken)
    {
        var document = await FindAsync(id, cancellationToken);
        if (document is null)
        {
            return ReviewOutcome.NotFound;
        }
        var now = clock.GetUtcNow();
        var reviewer = Guid.TryParse(http.HttpContext?.User.FindFirstValue(ClaimTypes.NameIdentifier), out var staff) ? staff : (Guid?)null;
        var cleanNote = string.IsNullOrWhiteSpace(note) ? null : note.Trim()[..Math.Min(note.Trim().Length, 500)];
        var sealedNote = cleanNote is null ? null : vault.Seal(document.AccountId, DocumentIntake.FieldOf(id) + ":note", cleanNote);
        var status = verified ? DocumentStatus.Verified : DocumentStatus.Rejected;
        RejectionReason? rejection = verified ? null : reason ?? RejectionReason.Other;
        // Decided once: the row changes only while it is still awaiting review.
        var changed = await db.Documents
            .Where(d => d.Id == id && d.Status == DocumentStatus.AwaitingReview)
            .ExecuteUpdateAsync(s => s
                .SetProperty(d => d.Status, status)
                .SetProperty(d => d.ReviewedAt, now)
                .SetProperty(d => d.ReviewedBy, reviewer)
                .SetProperty(d => d.Rejection, rejection)
                .SetProperty(d => d.SealedNote, sealedNote), cancellationToken);
        if (changed == 0)
        {
            return ReviewOutcome.AlreadyDecided;
        }
        var account = await db.Users.SingleAsync(a => a.Id == document.AccountId, cancellationToken);
        var profile = directory.Open(account);
        if (verified)
        {
            messages.DocumentVerified(account, profile);
        }
        else
        {
            messages.DocumentRejected(account, profile, rejection!.Value, cleanNote);
        }
        audit.Record(verified ? "document.verified" : "document.rejected", document.AccountId,
            outcome: "document:" + id.ToString("N")[..12] + (verified ? "" : ":" + rejection));
        await db.SaveChangesAsync(cancellationToken);
        return ReviewOutcome.Done;
    }

    // The font ships with the app: the Skia build without system dependencies has no fonts of its own.
    private static readonly Lazy<SKTypeface> WatermarkTypeface = new(() =>
    {
        using var stream = typeof(DocumentReview).Assembly.GetManifestResourceStream("Derbes.Web.Documents.DejaVuSans-Bold.ttf")
            ?? throw new InvalidOperationException("The watermark font is missing from the build.");
        return SKTypeface.FromStream(stream) ?? throw new InvalidOperationException("The watermark font cannot be read.");
    });

    /// <summary>
    /// An image with the reviewer's name and the time written across it, so a screenshot or photo of the screen
    /// says who looked. Returned as PNG.
    /// </summary>
    public static byte[] Watermark(byte[] image, string text)
    {
        using var bitmap = SKBitmap.Decode(image) ?? throw new InvalidOperationException("Not an image.");
        return Watermark(bitmap, text);
    }

    /// <summary>Pages of a PDF that the review page shows at most; the rest are in the download.</summary>
    public const int MaxRenderedPages = 5;

    // A scan larger than this (in pixels) is not decoded for the view: a small file can unpack into a huge image.
    private const long MaxPixels = 40_000_000;

    /// <summary>
    /// The scanned pages of a PDF as one image, page under page, for the watermarked view. Scans are pictures
    /// inside the PDF (JPEG as it was, or a compressed bitmap), so the largest picture of each page is the page;
    /// no PDF renderer runs on a customer's file. Null when no page holds a picture this can show (a PDF of text
    /// or drawings): then the reviewer downloads it.
    /// </summary>
    public static byte[]? RenderScannedPages(byte[] pdf, string watermark)
    {
        var pages = new List<SKBitmap>();
        try
        {
            using var document = UglyToad.PdfPig.PdfDocument.Open(pdf);
            foreach (var page in document.GetPages().Take(MaxRenderedPages))
            {
                var picture = page.GetImages()
                    .Where(i => (long)i.WidthInSamples * i.HeightInSamples is > 0 and <= MaxPixels)
                    .OrderByDescending(i => (long)i.WidthInSamples * i.HeightInSamples)
                    .Select(Decode)
                    .FirstOrDefault(b => b is not null);
                if (picture is not null)
                {
                    pages.Add(picture);
                }
            }
            if (pages.Count == 0)
            {
                return null;
            }
            var width = Math.Min(1600, pages.Max(p => p.Width));
            var heights = pages.Select(p => (int)Math.Ceiling(p.Height * (width / (double)p.Width))).ToList();
            using var sheet = new SKBitmap(width, heights.Sum() + (8 * (pages.Count - 1)));
            using (var canvas = new SKCanvas(sheet))
            {
                canvas.Clear(SKColors.LightGray);
                var top = 0;
                for (var i = 0; i < pages.Count; i++)
                {
                    using var image = SKImage.FromBitmap(pages[i]);
                    canvas.DrawImage(image, new SKRect(0, top, width, top + heights[i]), new SKSamplingOptions(SKFilterMode.Linear));
                    top += heights[i] + 8;
                }
            }
            return Watermark(sheet, watermark);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // A PDF this cannot take apart is still downloadable; the view just has nothing to show.
            return null;
        }
        finally
        {
            foreach (var page in pages)
            {
                page.Dispose();
            }
        }

        static SKBitmap? Decode(UglyToad.PdfPig.Content.IPdfImage image) =>
            image.TryGetPng(out var png) ? SKBitmap.Decode(png) : SKBitmap.Decode(image.RawMemory.ToArray());
    }

    private static byte[] Watermark(SKBitmap bitmap, string text)
    {
        using var surface = SKSurface.Create(new SKImageInfo(bitmap.Width, bitmap.Height));
        var canvas = surface.Canvas;
        using (var picture = SKImage.FromBitmap(bitmap))
        {
            canvas.DrawImage(picture, 0, 0, new SKSamplingOptions(SKFilterMode.Linear));
        }
        var size = Math.Max(14, Math.Min(bitmap.Width, bitmap.Height) / 14f);
        using var font = new SKFont(WatermarkTypeface.Value, size);
        using var paint = new SKPaint { Color = new SKColor(200, 0, 0, 90), IsAntialias = true };
        canvas.RotateDegrees(-30, bitmap.Width / 2f, bitmap.Height / 2f);
        for (var y = -bitmap.Height; y < bitmap.Height * 2; y += (int)(size * 4))
        {
            for (var x = -bitmap.Width; x < bitmap.Width * 2; x += (int)(font.MeasureText(text) + size * 2))
            {
                canvas.DrawText(text, x, y, SKTextAlign.Left, font, paint);
            }
        }
        canvas.Flush();
        using var snapshot = surface.Snapshot();
        using var png = snapshot.Encode(SKEncodedImageFormat.Png, 100);
        return png.ToArray();
    }
}
