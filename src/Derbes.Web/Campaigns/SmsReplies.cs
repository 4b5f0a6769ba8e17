using System.Security.Cryptography;
using System.Text;
using Derbes.Web.Consents;
using Derbes.Web.Customers;
using Derbes.Web.Messaging;
using Derbes.Web.Security;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Derbes.Web.Campaigns;

/// <summary>
/// The SMS gateway's callback for replies (<c>POST /sms/inbound</c>): a reply STOP (or СТОП, ТОҚТАТ, ОТПИСКА,
/// UNSUBSCRIBE) from a customer's confirmed phone withdraws their SMS consent. The gateway signs the raw body with
/// the shared secret (<c>X-Derbes-Signature: sha256=</c> hex HMAC-SHA256); without a configured secret the endpoint
/// does not exist. A genuine callback always gets 200, whoever it names, so it tells nothing about who is a customer.
/// The withdrawal names the last campaign SMS the customer received ("campaign:12", counted in its figures), or else
/// the gateway's message ("sms-reply:id").
/// </summary>
public static class SmsReplies
{
    public const string SignatureHeader = "X-Derbes-Signature";

    private const int MaxBody = 16 * 1024;

    private static readonly string[] StopWords = ["STOP", "STOPALL", "UNSUBSCRIBE", "СТОП", "ОТПИСКА", "ОТПИСАТЬСЯ", "ТОҚТАТ", "ТОҚТАТУ"];

    /// <summary>Whether a reply says stop: its first word, in any case, without punctuation.</summary>
    public static bool IsStop(string? text)
    {
        var first = (text ?? "").Trim().Split((char[]?)null, 2, StringSplitOptions.RemoveEmptyEntries).FirstOrDefault() ?? "";
        first = first.Trim('.', '!', ',', '"', '\'').ToUpperInvariant();
        return StopWords.Contains(first, StringComparer.Ordinal);
    }

    public static void MapSmsReplies(this IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapPost("/sms/inbound", ReceiveAsync).DisableAntiforgery().ExcludeFromDescription();
    }

    private static async Task<IResult> ReceiveAsync(
        HttpContext context, IOptionsMonitor<SmsOptions> options, BlindIndex index, Data.DerbesDb db, Unsubscriptions unsubscriptions, TimeProvider clock, CancellationToken cancellationToken)
    {
        var secret = options.CurrentValue.InboundSecret;
        if (string.IsNullOrEmpty(secret))
        {
            return Results.NotFound();
        }
        if (context.Request.ContentLength is > MaxBody)
        {
            return Results.StatusCode(StatusCodes.Status413PayloadTooLarge);
        }
        // Read at most one byte past the limit: a body sent without a length (chunked) is refused as soon as it is
        // too long, instead of being read whole into memory first (up to the server's 30 MB).
        var body = new byte[MaxBody + 1];
        var read = 0;
        int n;
        while (read < body.Length && (n = await context.Request.Body.ReadAsync(body.AsMemory(read), cancellationToken)) > 0)
        {
            read += n;
        }
        if (read > MaxBody)
        {
            return Results.StatusCode(StatusCodes.Status413PayloadTooLarge);
        }
        body = body[..read];
        var expected = "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), body));
        var given = context.Request.Headers[SignatureHeader].ToString();
        if (!CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(expected), Encoding.ASCII.GetBytes(given)))
        {
            return Results.Unauthorized();
        }
        var form = Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(Encoding.UTF8.GetString(body));
        var from = form.TryGetValue("from", out var f) ? f.ToString() : "";
        var text = form.TryGetValue("text", out var t) ? t.ToString() : "";
        var id = form.TryGetValue("id", out var i) ? i.ToString() : "";
        if (!IsStop(text) || !KazakhPhone.TryNormalise(from, out var phone))
        {
            return Results.Ok();
        }
        var phoneIndex = index.Phone(phone);
        var account = await db.Users.AsNoTracking()
            .SingleOrDefaultAsync(a => a.PhoneIndex == phoneIndex && a.PhoneNumberConfirmed && a.Kind == AccountKind.Customer, cancellationToken);
        if (account is not null)
        {
            // A reply answers the last campaign SMS the customer received: the withdrawal names that campaign, so its
            // figures count it as an unsubscribe (as an email link's does). Without one, the gateway's message id.
            var reference = await LastCampaignAsync(db, account.Id, clock.GetUtcNow(), cancellationToken)
                ?? "sms-reply" + (id.Length is > 0 and <= 40 && id.All(char.IsAsciiLetterOrDigit) ? ":" + id : "");
            await unsubscriptions.ApplyAsync(account.Id, MessageChannel.Sms, ConsentChannel.SmsReply, reference, cancellationToken);
        }
        return Results.Ok();
    }

    /// <summary>
    /// The reference of the latest SMS campaign of the last 30 days that reached the customer, or null. Looked up
    /// campaign by campaign (a few) through the outbox's (reference, account) index, never by scanning the outbox.
    /// </summary>
    private static async Task<string?> LastCampaignAsync(Data.DerbesDb db, Guid accountId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var since = now.AddDays(-30);
        var campaigns = await db.Campaigns.AsNoTracking()
            .Where(c => c.Channel == MessageChannel.Sms && c.StartedAt != null && c.StartedAt >= since)
            .OrderByDescending(c => c.StartedAt)
            .Select(c => c.Id)
            .Take(10)
            .ToListAsync(cancellationToken);
        foreach (var id in campaigns)
        {
            var reference = Campaign.ReferenceOf(id);
            if (await db.Outbox.AnyAsync(m => m.Reference == reference && m.AccountId == accountId && m.SentAt != null && m.LastError == null, cancellationToken))
            {
                return reference;
            }
        }
        return null;
    }
}
