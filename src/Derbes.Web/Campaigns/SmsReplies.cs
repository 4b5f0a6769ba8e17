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
/// </summary>
public static class SmsReplies
{
    public const string SignatureHeader = "X-Derbes-Signature";

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
        HttpContext context, IOptionsMonitor<SmsOptions> options, BlindIndex index, Data.DerbesDb db, Unsubscriptions unsubscriptions, CancellationToken cancellationToken)
    {
        var secret = options.CurrentValue.InboundSecret;
        if (string.IsNullOrEmpty(secret))
        {
            return Results.NotFound();
        }
        if (context.Request.ContentLength is > 16 * 1024)
        {
            return Results.StatusCode(StatusCodes.Status413PayloadTooLarge);
        }
        using var buffer = new MemoryStream();
        await context.Request.Body.CopyToAsync(buffer, cancellationToken);
        if (buffer.Length > 16 * 1024)
        {
            return Results.StatusCode(StatusCodes.Status413PayloadTooLarge);
        }
        var body = buffer.ToArray();
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
            var reference = "sms-reply" + (id.Length is > 0 and <= 40 && id.All(char.IsAsciiLetterOrDigit) ? ":" + id : "");
            await unsubscriptions.ApplyAsync(account.Id, MessageChannel.Sms, ConsentChannel.SmsReply, reference, cancellationToken);
        }
        return Results.Ok();
    }
}
