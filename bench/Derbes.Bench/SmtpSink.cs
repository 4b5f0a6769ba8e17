using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Derbes.Bench;

/// <summary>
/// A minimal SMTP server on 127.0.0.1, in the benchmark's process, that accepts every message and discards it: it
/// counts messages and bytes and keeps a copy of the first few, so the sink's own throughput can be measured with
/// exactly the messages the app sent. Each reply is one write on a socket without Nagle's delay, as a real relay
/// answers (the SmtpServer package the web tests use writes a multi-line reply line by line, and on loopback each
/// connection then waited ~40 ms for a delayed ACK: 11 emails/s, which measured the stall, not the sender).
/// </summary>
internal sealed class SmtpSink : IAsyncDisposable
{
    private static readonly byte[] Greeting = Encoding.ASCII.GetBytes("220 sink.bench ESMTP\r\n");
    private static readonly byte[] Extensions = Encoding.ASCII.GetBytes("250-sink.bench\r\n250-PIPELINING\r\n250-8BITMIME\r\n250-SIZE 52428800\r\n250 ENHANCEDSTATUSCODES\r\n");
    private static readonly byte[] Ok = Encoding.ASCII.GetBytes("250 2.0.0 Ok\r\n");
    private static readonly byte[] Queued = Encoding.ASCII.GetBytes("250 2.0.0 Ok: queued\r\n");
    private static readonly byte[] StartData = Encoding.ASCII.GetBytes("354 End data with <CR><LF>.<CR><LF>\r\n");
    private static readonly byte[] Bye = Encoding.ASCII.GetBytes("221 2.0.0 Bye\r\n");
    private static readonly byte[] Unknown = Encoding.ASCII.GetBytes("502 5.5.2 Command not recognized\r\n");

    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentQueue<byte[]> _kept = new();
    private readonly int _keep;
    private readonly Task _accepting;
    private long _messages;
    private long _bytes;
    private long _connections;

    private SmtpSink(int keep)
    {
        _keep = keep;
        _listener.Start(backlog: 512);
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _accepting = AcceptAsync();
    }

    public int Port { get; }

    public long Messages => Interlocked.Read(ref _messages);

    public long Bytes => Interlocked.Read(ref _bytes);

    public long Connections => Interlocked.Read(ref _connections);

    /// <summary>The raw bytes of the first messages received (at most the number asked for at start).</summary>
    public IReadOnlyList<byte[]> Kept => [.. _kept];

    public static SmtpSink Start(int keep) => new(keep);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        try
        {
            await _accepting;
        }
        catch (OperationCanceledException)
        {
        }
        _stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptSocketAsync(_stop.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }
            Interlocked.Increment(ref _connections);
            _ = Task.Run(() => SessionAsync(socket));
        }
    }

    private async Task SessionAsync(Socket socket)
    {
        socket.NoDelay = true;
        using var stream = new NetworkStream(socket, ownsSocket: true);
        var reader = new LineReader(stream);
        try
        {
            await stream.WriteAsync(Greeting, _stop.Token);
            while (await reader.ReadLineAsync(_stop.Token) is { } line)
            {
                var verb = line.Length >= 4 ? Encoding.ASCII.GetString(line, 0, 4).ToUpperInvariant() : "";
                switch (verb)
                {
                    case "EHLO":
                        await stream.WriteAsync(Extensions, _stop.Token);
                        break;
                    case "HELO" or "MAIL" or "RCPT" or "RSET" or "NOOP":
                        await stream.WriteAsync(Ok, _stop.Token);
                        break;
                    case "DATA":
                        await stream.WriteAsync(StartData, _stop.Token);
                        await ReceiveAsync(reader);
                        await stream.WriteAsync(Queued, _stop.Token);
                        break;
                    case "QUIT":
                        await stream.WriteAsync(Bye, _stop.Token);
                        return;
                    default:
                        await stream.WriteAsync(Unknown, _stop.Token);
                        break;
                }
            }
        }
        catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // The client went away, or the sink is stopping.
        }
    }

    /// <summary>Reads a message up to the line with a single dot; counts it and keeps a copy of the first few (dots unstuffed).</summary>
    private async Task ReceiveAsync(LineReader reader)
    {
        var keep = Interlocked.Read(ref _messages) < _keep;
        var copy = keep ? new MemoryStream() : null;
        long size = 0;
        while (await reader.ReadLineAsync(_stop.Token) is { } line)
        {
            if (line.Length == 1 && line[0] == (byte)'.')
            {
                break;
            }
            size += line.Length + 2;
            if (copy is not null)
            {
                var start = line.Length > 0 && line[0] == (byte)'.' ? 1 : 0;
                copy.Write(line, start, line.Length - start);
                copy.Write("\r\n"u8);
            }
        }
        Interlocked.Add(ref _bytes, size);
        if (Interlocked.Increment(ref _messages) <= _keep && copy is not null)
        {
            _kept.Enqueue(copy.ToArray());
        }
    }

    /// <summary>CRLF-terminated lines from a stream, through one buffer.</summary>
    private sealed class LineReader(Stream stream)
    {
        private readonly byte[] _buffer = new byte[64 * 1024];
        private int _start;
        private int _end;

        public async Task<byte[]?> ReadLineAsync(CancellationToken cancellationToken)
        {
            var line = new List<byte>();
            while (true)
            {
                var newline = Array.IndexOf(_buffer, (byte)'\n', _start, _end - _start);
                if (newline >= 0)
                {
                    for (var i = _start; i < newline; i++)
                    {
                        line.Add(_buffer[i]);
                    }
                    _start = newline + 1;
                    if (line.Count > 0 && line[^1] == (byte)'\r')
                    {
                        line.RemoveAt(line.Count - 1);
                    }
                    return [.. line];
                }
                // No end of line in the buffer: keep what there is and read more.
                for (var i = _start; i < _end; i++)
                {
                    line.Add(_buffer[i]);
                }
                _start = _end = 0;
                var read = await stream.ReadAsync(_buffer, cancellationToken);
                if (read == 0)
                {
                    return null;
                }
                _end = read;
            }
        }
    }
}
