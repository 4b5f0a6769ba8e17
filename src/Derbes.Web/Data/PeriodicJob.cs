namespace Derbes.Web.Data;

/// <summary>
/// A background job that runs every interval, on the app's clock (so tests move it by moving the clock). A failed
/// run is logged and tried again at the next interval.
/// </summary>
public abstract partial class PeriodicJob(TimeProvider clock, ILogger logger) : BackgroundService
{
    protected TimeProvider Clock => clock;

    /// <summary>How long to wait between runs; read before each wait, so a changed setting applies.</summary>
    protected abstract TimeSpan Interval { get; }

    /// <summary>One run: everything the job finds to do now.</summary>
    protected abstract Task RunOnceAsync(CancellationToken cancellationToken);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await RunOnceAsync(stoppingToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogRunFailed(logger, GetType().Name, ex);
            }
            try
            {
                await Task.Delay(Interval, clock, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "{Job} run failed")]
    private static partial void LogRunFailed(ILogger logger, string job, Exception ex);
}

/// <summary>
/// One category's destruction of what has outlived its retention (Art. 7 p.9), in batches. Scheduled, with every
/// other category, by the daily <see cref="Retention.RetentionRun"/>; tests call it directly.
/// </summary>
public abstract class RetentionJob(TimeProvider clock)
{
    protected TimeProvider Clock => clock;

    /// <summary>Destroys one batch of what is due; returns how many.</summary>
    public abstract Task<int> PurgeDueAsync(CancellationToken cancellationToken);
}
