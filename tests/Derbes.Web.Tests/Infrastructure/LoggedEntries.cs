using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Derbes.Web.Tests.Infrastructure;

/// <summary>One entry the app logged at Warning or above.</summary>
public sealed record LoggedEntry(string Category, LogLevel Level, EventId Id, string Message);

/// <summary>
/// Keeps what the app logs at Warning or above, for tests that check the app does not warn (an operator reads
/// warnings as something to act on, so a normal page view must not produce one).
/// </summary>
public sealed class LoggedEntries : ILoggerProvider
{
    private readonly ConcurrentQueue<LoggedEntry> _entries = new();

    public IReadOnlyList<LoggedEntry> Entries => [.. _entries];

    public ILogger CreateLogger(string categoryName) => new Logger(categoryName, _entries);

    public void Dispose()
    {
    }

    private sealed class Logger(string category, ConcurrentQueue<LoggedEntry> entries) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            ArgumentNullException.ThrowIfNull(formatter);
            if (IsEnabled(logLevel))
            {
                entries.Enqueue(new LoggedEntry(category, logLevel, eventId, formatter(state, exception)));
            }
        }
    }
}
