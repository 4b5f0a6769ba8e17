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
    private readonly string _owner = $"{Environment.ProcessId}-{Guid.NewGuid():N}";

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
        var candidates = await db.Outbox.AsNoTracking()
            .Where(m => m.SentAt == null && m.AvailableAt <= now && (m.LeaseUntil == null || m.LeaseUntil < now))
            .OrderBy(m => m.Id)
            .Select(m => m.Id)
            .Take(options.Value.BatchSize)
            .ToListAsync(cancellationToken);
        if (candidates.Count == 0)
        {
            return 0;
        }
        var leaseUntil = now + options.Value.LeaseDuration;
        // The condition is re-checked by the database per row: of two workers, only one wins each message.
        await db.Outbox
            .Where(m => candidates.Contains(m.Id) && m.SentAt == null && (m.LeaseUntil == null || m.LeaseUntil < now))
            .ExecuteUpdateAsync(s => s.SetProperty(m => m.LeaseOwner, _owner).SetProperty(m => m.LeaseUntil, leaseUntil), cancellationToken);
        var claimed = await db.Outbox
            .Where(m => candidates.Contains(m.Id) && m.LeaseOwner == _owner && m.LeaseUntil == leaseUntil && m.SentAt == null)
            .OrderBy(m => m.Id)
            .ToListAsync(cancellationToken);

        var vault = scope.ServiceProvider.GetRequiredService<PersonalDataVault>();
        var email = scope.ServiceProvider.GetRequiredService<IEmailDelivery>();
        var sms = scope.ServiceProvider.GetRequiredService<ISmsGateway>();
        var mail = scope.ServiceProvider.GetRequiredService<IOptions<MailOptions>>().Value;
        foreach (var message in claimed)
        {
            try
            {
                var payload = Outbox.ReadPayload(vault, message);
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
                message.SealedPayload = null;
                message.LastError = null;
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
                    message.AvailableAt = DateTimeOffset.MaxValue.AddDays(-1);
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
