using System.Buffers;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using MimeKit;
using SmtpServer;
using SmtpServer.Protocol;
using SmtpServer.Storage;

namespace Derbes.Web.Tests.Infrastructure;

/// <summary>
/// An SMTP server on 127.0.0.1 that keeps every message's raw bytes, for tests that read mail as a mail client
/// receives it (the app configured with <c>Smtp:Host</c> 127.0.0.1, <c>Smtp:Port</c> <see cref="Port"/>, <c>Smtp:Security</c> None).
/// </summary>
internal sealed class TestSmtpServer : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly RawMessageStore _store = new();
    private Task _running = Task.CompletedTask;

    public int Port { get; private init; }

    public static async Task<TestSmtpServer> StartAsync(int port = 0)
    {
        if (port == 0)
        {
            using var probe = new TcpListener(IPAddress.Loopback, 0);
            probe.Start();
            port = ((IPEndPoint)probe.LocalEndpoint).Port;
            probe.Stop();
        }
        var server = new TestSmtpServer { Port = port };
        var options = new SmtpServerOptionsBuilder()
            .ServerName("smtp.test")
            .Endpoint(e => e.Endpoint(new IPEndPoint(IPAddress.Loopback, port)))
            .Build();
        var services = new SmtpServer.ComponentModel.ServiceProvider();
        services.Add(server._store);
        server._running = new SmtpServer.SmtpServer(options, services).StartAsync(server._stop.Token);
        // Listening once a connection is accepted (the listener binds on a background task).
        await WaitUntilAsync(async () =>
        {
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, port);
                return true;
            }
            catch (SocketException)
            {
                return false;
            }
        });
        return server;
    }

    public List<MimeMessage> Received(string to) =>
        [.. _store.Messages.Select(bytes => MimeMessage.Load(new MemoryStream(bytes)))
            .Where(m => m.To.Mailboxes.Any(x => string.Equals(x.Address, to, StringComparison.OrdinalIgnoreCase)))];

    public async Task<MimeMessage> WaitForAsync(string to, string subject)
    {
        MimeMessage? found = null;
        await WaitUntilAsync(() =>
        {
            found = Received(to).FirstOrDefault(m => m.Subject == subject);
            return Task.FromResult(found is not null);
        });
        return found!;
    }

    public async ValueTask DisposeAsync()
    {
        if (_stop.IsCancellationRequested)
        {
            return;
        }
        await _stop.CancelAsync();
        try
        {
            await _running;
        }
        catch (OperationCanceledException)
        {
            // Stopped, as asked.
        }
        _stop.Dispose();
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException("The condition did not come true in 15 seconds.");
            }
            await Task.Delay(50);
        }
    }

    private sealed class RawMessageStore : MessageStore
    {
        public ConcurrentQueue<byte[]> Messages { get; } = new();

        public override Task<SmtpResponse> SaveAsync(ISessionContext context, IMessageTransaction transaction, ReadOnlySequence<byte> buffer, CancellationToken cancellationToken)
        {
            Messages.Enqueue(buffer.ToArray());
            return Task.FromResult(SmtpResponse.Ok);
        }
    }
}
