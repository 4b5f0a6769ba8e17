using Derbes.Web.Data;
using Derbes.Web.Security;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Derbes.Web.Messaging;

/// <summary>
/// Delivers the outbox. Each message is claimed with a lease (a conditional update that only one worker
/// can win), sent, then marked sent and its payload erased. Failures retry with exponential backoff, so an
/// SMTP outage loses nothing.
/// </summary>
public sealed partial class OutboxWorker(
    IServiceScopeFactory scopes,
    OutboxSignal signal,
    IOptions<OutboxOptions> options,
    TimeProvider clock,
    ILogger<OutboxWorker> logger) : BackgroundService
{
    private readonly string _instance = Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.Enabled)
        {
            return;
        }
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                int delivered;
                do
                {
                    delivered = await DeliverDueAsync(stoppingToken);
                }
                while (delivered > 0 && !stoppingToken.IsCancellationRequested);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogWorkerFailed(logger, ex);
            }
            try
            {
                await signal.WaitAsync(options.Value.PollInterval, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>Claims and delivers one batch of due messages; returns how many it handled.</summary>
    public async Task<int> DeliverDueAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<DerbesDb>();
        var now = clock.GetUtcNow();
        // A fresh owner per batch: the rows this call leased are exactly those carrying it.
        var owner = $"{_instance}-{Guid.NewGuid():N}";
        var ids = await db.ClaimOutboxAsync(now, options.Value.BatchSize, owner, now + options.Value.LeaseDuration, cancellationToken);
        if (ids.Count == 0)
        {
            return 0;
        }
        var claimed = await db.Outbox
            .Where(m => ids.Contains(m.Id) && m.LeaseOwner == owner && m.SentAt == null)
            .OrderBy(m => m.Id)
            .ToListAsync(cancellationToken);

        var vault = scope.ServiceProvider.GetRequiredService<PersonalDataVault>();
        var email = scope.ServiceProvider.GetRequiredService<IEmailDelivery>();
        var sms = scope.ServiceProvider.GetRequiredService<ISmsGateway>();
        var mail = scope.ServiceProvider.GetRequiredService<IOptions<MailOptions>>().Value;
        var deferred = scope.ServiceProvider.GetRequiredService<DeferredMessages>();
        await deferred.PrepareAsync(claimed, cancellationToken);
        foreach (var message in claimed)
        {
            try
            {
                var composition = message.SealedPayload is not null
                    ? Composition.Send(Outbox.ReadPayload(vault, message))
                    : await deferred.ComposeAsync(message, cancellationToken);
                if (composition.Hold)
                {
                    // A campaign paused or outside its window: back to held, released again when it may go.
                    message.AvailableAt = OutboxMessage.Held;
                }
                else if (composition.Payload is not { } payload)
                {
                    // Queued for someone who has since withdrawn consent, been blocked or left: nothing is sent, and why is recorded.
                    message.SentAt = clock.GetUtcNow();
                    message.LastError = composition.NotSent;
                }
                else
                {
                    if (message.Channel == MessageChannel.Email)
                    {
                        var domain = mail.From[(mail.From.IndexOf('@', StringComparison.Ordinal) + 1)..];
                        await email.DeliverAsync(MimeBuilder.Build(mail, payload, domain), cancellationToken);
                    }
                    else
                    {
                        await sms.SendAsync(payload.To, payload.Text, cancellationToken);
                    }
                    message.SentAt = clock.GetUtcNow();
                    message.LastError = null;
                }
                message.SealedPayload = null;
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                message.Attempts++;
                message.LastError = ex.GetType().Name + ": " + ex.Message[..Math.Min(ex.Message.Length, 900)];
                var backoff = TimeSpan.FromSeconds(Math.Min(3600, 5 * Math.Pow(2, message.Attempts - 1)));
                message.AvailableAt = clock.GetUtcNow() + backoff;
                if (clock.GetUtcNow() - message.CreatedAt >= options.Value.GiveUpAfter)
                {
                    // Given up: kept for staff to see, payload erased so no personal data lingers.
                    message.SealedPayload = null;
                    message.SentAt = null;
                    message.AvailableAt = OutboxMessage.GivenUp;
                }
                LogDeliveryFailed(logger, message.Id, message.Kind, message.Attempts, ex.GetType().Name);
            }
            message.LeaseOwner = null;
            message.LeaseUntil = null;
        }
        await db.SaveChangesAsync(cancellationToken);
        return claimed.Count;
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Outbox worker loop failed")]
    private static partial void LogWorkerFailed(ILogger logger, Exception ex);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Outbox message {Id} ({Kind}) failed, attempt {Attempts}: {Error}")]
    private static partial void LogDeliveryFailed(ILogger logger, long id, string kind, int attempts, string error);
}
