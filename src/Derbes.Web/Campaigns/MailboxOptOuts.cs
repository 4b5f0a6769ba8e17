using Derbes.Web.Consents;
using Derbes.Web.Customers;
using Derbes.Web.Data;
using Derbes.Web.Messaging;
using Derbes.Web.Security;
using MailKit;
using MailKit.Net.Imap;
using MailKit.Search;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using MimeKit;
using MimeKit.Utils;

namespace Derbes.Web.Campaigns;

/// <summary>
/// How far the unread letters of one mailbox have been examined: the highest UID looked at under the folder's
/// UIDVALIDITY. A letter that is not an opt-out stays unread for the care staff, and this is what keeps it from being
/// read again at every run. UIDs only grow within one UIDVALIDITY, so one number per mailbox is the whole memory;
/// when the server renumbers the folder (a new UIDVALIDITY), the unread letters are examined once more, which is
/// harmless: an opt-out already applied records nothing the second time.
/// </summary>
public sealed class MailboxCursor
{
    public const int MaxMailbox = 300;

    /// <summary>Which mailbox: <c>user@host:port/folder</c> (the care mailbox's login, not a customer's).</summary>
    public string Mailbox { get; set; } = "";
    public long UidValidity { get; set; }
    public long LastUid { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
}

/// <summary>
/// Opting out by writing to the care address (policy 5.6), applied automatically: every <c>Unsubscribe:Imap:Interval</c>
/// this job reads the care mailbox over IMAP (MailKit) and takes its unread letters, up to a batch a run. A letter is
/// an opt-out when
/// <list type="bullet">
/// <item>its subject is our List-Unsubscribe mailto's, "unsubscribe TOKEN", with a genuine <see cref="UnsubscribeToken"/>:
/// the token names the customer, channel and campaign, so it counts from any sender (a forwarding address); a token
/// that is not genuine (altered, forged) makes the letter one for the staff, whoever sent it; or</item>
/// <item>its subject or the first line of its text says unsubscribe / отписаться / отписка / жазылымнан бас тарту, it
/// comes from the email address of a customer (found by the blind index), and the receiving server did not find the
/// sender's address forged (no dkim, spf or dmarc "fail" for its domain in Authentication-Results): that customer's
/// email advertising consent is withdrawn.</item>
/// </list>
/// Without a token the From address is the only proof, and it can be forged where the sender's domain publishes no
/// DMARC policy. That is accepted because the harm is low (a customer receives less advertising, and agrees again in one
/// click) and never silent: the withdrawal is told by email to the customer's real address, with the link to the
/// cabinet's consents.
/// <para>
/// Applied through <see cref="Unsubscriptions"/> with channel <see cref="ConsentChannel.Mailbox"/>: a ledger record
/// (reference <c>campaign:ID</c> with a token, so the campaign counts it, else <c>mailbox:</c> and the letter's
/// Message-ID), audited, and the customer told in their language (<see cref="AccountMessages.ConsentChanged"/>, which
/// says that email advertising has stopped and links to the consents page to agree again). A customer already opted out
/// gets no second record. The letter is then flagged \Seen and moved to <c>DoneFolder</c>. Any other letter is left
/// exactly as it was, unread, for the care staff, and is not examined again (<see cref="MailboxCursor"/>).
/// </para>
/// <para>
/// Only the headers that matter and the first 16 KB of the first text part are fetched (BODY.PEEK, never the whole
/// message: a letter with a large attachment costs no more than any other). No address, subject or text is ever
/// logged; a letter is named by its UID.
/// </para>
/// </summary>
public sealed partial class MailboxOptOuts(
    IServiceScopeFactory scopes,
    IOptionsMonitor<MailboxOptions> options,
    UnsubscribeToken tokens,
    TimeProvider clock,
    ILogger<MailboxOptOuts> logger) : PeriodicJob(clock, logger)
{
    /// <summary>How much of a letter's text is read: its first line is all that counts.</summary>
    public const int TextBytes = 16 * 1024;

    private static readonly HeaderId[] Fields = [HeaderId.From, HeaderId.Subject, HeaderId.MessageId, HeaderId.AuthenticationResults];

    // Runs of this instance never overlap (the timer's and a direct call's); other instances are kept apart per letter by the cursor.
    private readonly SemaphoreSlim _running = new(1, 1);

    protected override TimeSpan Interval => options.CurrentValue.Interval;

    protected override Task RunOnceAsync(CancellationToken cancellationToken) => PollAsync(cancellationToken);

    /// <summary>
    /// One run: reads the mailbox's unread letters not yet examined and applies the opt-outs among them. Returns how
    /// many letters were handled (applied or already applied, and moved); 0 without connecting when IMAP is off.
    /// </summary>
    public async Task<int> PollAsync(CancellationToken cancellationToken)
    {
        var settings = options.CurrentValue;
        if (!settings.Enabled)
        {
            return 0;
        }
        await _running.WaitAsync(cancellationToken);
        try
        {
            return await PollMailboxAsync(settings, cancellationToken);
        }
        finally
        {
            _running.Release();
        }
    }

    private async Task<int> PollMailboxAsync(MailboxOptions settings, CancellationToken cancellationToken)
    {
        using var client = new ImapClient();
        await client.ConnectAsync(settings.Host!, settings.Port, settings.Security, cancellationToken);
        await client.AuthenticateAsync(settings.User ?? "", settings.Password ?? "", cancellationToken);
        var folder = await client.GetFolderAsync(settings.Folder, cancellationToken);
        await folder.OpenAsync(FolderAccess.ReadWrite, cancellationToken);

        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<DerbesDb>();
        var mailbox = $"{settings.User}@{settings.Host}:{settings.Port}/{settings.Folder}";
        mailbox = mailbox.Length > MailboxCursor.MaxMailbox ? mailbox[..MailboxCursor.MaxMailbox] : mailbox;
        var validity = folder.UidValidity;
        var last = await CursorAsync(db, mailbox, validity, cancellationToken);

        // "UID n:*" includes the last message even when its UID is below n (RFC 3501 6.4.8): filtered again here.
        var unseen = await folder.SearchAsync(SearchQuery.NotSeen.And(SearchQuery.Uids(new UniqueIdRange(validity, last + 1, uint.MaxValue))), cancellationToken);
        var batch = unseen.Where(u => u.Id > last).OrderBy(u => u.Id).Take(settings.BatchSize).ToList();
        var handled = 0;
        if (batch.Count > 0)
        {
            var letters = await folder.FetchAsync(batch, new FetchRequest(MessageSummaryItems.UniqueId | MessageSummaryItems.BodyStructure, Fields), cancellationToken);
            IMailFolder? done = null;
            foreach (var letter in letters.OrderBy(l => l.UniqueId.Id))
            {
                var uid = letter.UniqueId.Id;
                // Claimed before it is read: another instance reading the same mailbox takes the next one, or stops.
                if (!await ClaimAsync(db, mailbox, validity, last, uid, cancellationToken))
                {
                    break;
                }
                last = uid;
                try
                {
                    if (await HandleAsync(folder, letter, cancellationToken))
                    {
                        done ??= await DoneFolderAsync(client, settings.DoneFolder, cancellationToken);
                        await folder.AddFlagsAsync(letter.UniqueId, MessageFlags.Seen, true, cancellationToken);
                        await folder.MoveToAsync(letter.UniqueId, done, cancellationToken);
                        handled++;
                    }
                }
                catch (Exception ex) when (ex is not OperationCanceledException && client.IsConnected)
                {
                    // This letter only (unreadable, refused by the server): it stays unread for the staff; the run goes on.
                    LogLetterFailed(logger, uid, ex);
                }
            }
        }
        await client.DisconnectAsync(true, cancellationToken);
        return handled;
    }

    /// <summary>Reads one letter and applies it if it is an opt-out; true when it is handled (to move out of the way).</summary>
    private async Task<bool> HandleAsync(IMailFolder folder, IMessageSummary letter, CancellationToken cancellationToken)
    {
        var uid = letter.UniqueId.Id;
        var headers = letter.Headers ?? [];
        var subject = headers[HeaderId.Subject];
        var request = MailboxLetter.Read(subject, null, out var claimedToken);
        if (request == LetterRequest.None && letter.TextBody is { } text)
        {
            request = MailboxLetter.Read(subject, await FirstLineAsync(folder, letter.UniqueId, text, cancellationToken), out claimedToken);
        }
        if (request == LetterRequest.None)
        {
            return false;
        }

        await using var scope = scopes.CreateAsyncScope();
        var services = scope.ServiceProvider;
        Guid accountId;
        MessageChannel channel;
        string reference;
        if (request == LetterRequest.Token)
        {
            if (tokens.Read(claimedToken) is not { } claim)
            {
                LogNotOurToken(logger, uid);
                return false;
            }
            (accountId, channel, reference) = (claim.AccountId, claim.Channel, Campaign.ReferenceOf(claim.CampaignId));
        }
        else
        {
            var from = InternetAddressList.TryParse(headers[HeaderId.From] ?? "", out var list) && list.Mailboxes.Count() == 1 ? list.Mailboxes.Single() : null;
            if (from is null || !EmailAddresses.IsDeliverable(from.Address))
            {
                return false;
            }
            if (MailboxLetter.FailsAuthentication(headers, from))
            {
                LogForged(logger, uid);
                return false;
            }
            var index = services.GetRequiredService<BlindIndex>().Email(from.Address);
            var account = await services.GetRequiredService<DerbesDb>().Users.AsNoTracking()
                .Where(a => a.EmailIndex == index && a.Kind == AccountKind.Customer && a.Status != AccountStatus.Destroyed)
                .Select(a => (Guid?)a.Id)
                .FirstOrDefaultAsync(cancellationToken);
            if (account is not { } id)
            {
                return false;
            }
            (accountId, channel, reference) = (id, MessageChannel.Email, ReferenceOf(headers[HeaderId.MessageId], folder.UidValidity, uid));
        }
        var (outcome, _) = await services.GetRequiredService<Unsubscriptions>().ApplyAsync(accountId, channel, ConsentChannel.Mailbox, reference, cancellationToken);
        LogApplied(logger, uid, outcome);
        return true;
    }

    /// <summary>The first non-blank line of the letter's text part, from its first <see cref="TextBytes"/> bytes only, decoded.</summary>
    private static async Task<string> FirstLineAsync(IMailFolder folder, UniqueId uid, BodyPartText part, CancellationToken cancellationToken)
    {
        using var raw = new MemoryStream();
        // A part's content without its MIME headers: BODY.PEEK[1.1]<0.N>; a message that is one text part has no part
        // number, and its content is BODY.PEEK[TEXT] (BODY[] would be the whole message, headers first).
        var section = string.IsNullOrEmpty(part.PartSpecifier) ? "TEXT" : part.PartSpecifier;
        await using (var stream = await folder.GetStreamAsync(uid, section, 0, TextBytes, cancellationToken))
        {
            await stream.CopyToAsync(raw, cancellationToken);
        }
        raw.Position = 0;
        var encoding = MimeUtils.TryParse(part.ContentTransferEncoding, out ContentEncoding e) ? e : ContentEncoding.Default;
        using var text = new TextPart(part.ContentType.MediaSubtype) { Content = new MimeContent(raw, encoding) };
        text.ContentType.Charset = part.ContentType.Charset;
        return MailboxLetter.FirstLine(text.Text);
    }

    /// <summary><c>mailbox:</c> and the letter's Message-ID (printable, cut to the ledger's 64 characters), or its UID when it has none.</summary>
    private static string ReferenceOf(string? messageId, uint validity, uint uid)
    {
        var id = new string([.. (messageId ?? "").Trim().Trim('<', '>').Where(c => c is > ' ' and < (char)127)]);
        var reference = "mailbox:" + (id.Length > 0 ? id : FormattableString.Invariant($"uid:{validity}.{uid}"));
        return reference.Length > 64 ? reference[..64] : reference;
    }

    /// <summary>The folder handled letters go to, created (and subscribed, so mail clients show it) when missing.</summary>
    private static async Task<IMailFolder> DoneFolderAsync(ImapClient client, string path, CancellationToken cancellationToken)
    {
        var folder = client.GetFolder(client.PersonalNamespaces[0]);
        foreach (var name in path.Split('/', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            try
            {
                folder = await folder.GetSubfolderAsync(name, cancellationToken);
            }
            catch (FolderNotFoundException)
            {
                try
                {
                    var created = await folder.CreateAsync(name, true, cancellationToken)
                        ?? throw new InvalidOperationException("The IMAP server did not create the folder for handled letters.");
                    await created.SubscribeAsync(cancellationToken);
                    folder = created;
                }
                catch (ImapCommandException)
                {
                    // Another instance created it a moment ago.
                    folder = await folder.GetSubfolderAsync(name, cancellationToken);
                }
            }
        }
        return folder;
    }

    /// <summary>The highest UID examined under <paramref name="validity"/>; the row is made, or reset for a renumbered folder.</summary>
    private async Task<uint> CursorAsync(DerbesDb db, string mailbox, uint validity, CancellationToken cancellationToken)
    {
        var row = await db.MailboxCursors.AsNoTracking().SingleOrDefaultAsync(c => c.Mailbox == mailbox, cancellationToken);
        if (row is null)
        {
            db.MailboxCursors.Add(new MailboxCursor { Mailbox = mailbox, UidValidity = validity, UpdatedAt = Clock.GetUtcNow() });
            try
            {
                await db.SaveChangesAsync(cancellationToken);
            }
            catch (DbUpdateException)
            {
                // Another instance made it first.
            }
            db.ChangeTracker.Clear();
            row = await db.MailboxCursors.AsNoTracking().SingleAsync(c => c.Mailbox == mailbox, cancellationToken);
        }
        if (row.UidValidity != validity)
        {
            var now = Clock.GetUtcNow();
            await db.MailboxCursors
                .Where(c => c.Mailbox == mailbox && c.UidValidity == row.UidValidity)
                .ExecuteUpdateAsync(u => u.SetProperty(c => c.UidValidity, validity).SetProperty(c => c.LastUid, 0L).SetProperty(c => c.UpdatedAt, now), cancellationToken);
            row = await db.MailboxCursors.AsNoTracking().SingleAsync(c => c.Mailbox == mailbox, cancellationToken);
        }
        return row.UidValidity == validity ? (uint)row.LastUid : uint.MaxValue;
    }

    /// <summary>Moves the cursor from <paramref name="from"/> to <paramref name="uid"/>, unless another instance moved it meanwhile.</summary>
    private async Task<bool> ClaimAsync(DerbesDb db, string mailbox, uint validity, uint from, uint uid, CancellationToken cancellationToken)
    {
        var now = Clock.GetUtcNow();
        var moved = await db.MailboxCursors
            .Where(c => c.Mailbox == mailbox && c.UidValidity == validity && c.LastUid == from)
            .ExecuteUpdateAsync(u => u.SetProperty(c => c.LastUid, (long)uid).SetProperty(c => c.UpdatedAt, now), cancellationToken);
        return moved == 1;
    }

    public override void Dispose()
    {
        _running.Dispose();
        base.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Care mailbox letter {Uid}: opt-out applied ({Outcome})")]
    private static partial void LogApplied(ILogger logger, uint uid, UnsubscribeOutcome outcome);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Care mailbox letter {Uid}: an unsubscribe token that is not genuine; left for the staff")]
    private static partial void LogNotOurToken(ILogger logger, uint uid);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Care mailbox letter {Uid}: the receiving server found the sender's address forged; left for the staff")]
    private static partial void LogForged(ILogger logger, uint uid);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Care mailbox letter {Uid} could not be handled; left unread for the staff")]
    private static partial void LogLetterFailed(ILogger logger, uint uid, Exception ex);
}
