using System.Net.Sockets;
using Derbes.Web.Data;
using MailKit.Net.Smtp;
using MailKit.Security;
using Microsoft.Extensions.Options;
using MimeKit;

namespace Derbes.Web.Messaging;

/// <summary>Hands a composed email to the world. Two ways: SMTP (MailKit) or a pickup folder of .eml files.</summary>
public interface IEmailDelivery
{
    Task DeliverAsync(MimeMessage message, CancellationToken cancellationToken);
}

public static class MimeBuilder
{
    public static MimeMessage Build(MailOptions options, MessagePayload payload, string messageIdDomain)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(payload);
        var message = new MimeMessage();
        message.From.Add(new MailboxAddress(options.FromName, options.From));
        message.To.Add(MailboxAddress.Parse(payload.To));
        message.Subject = payload.Subject ?? "";
        message.MessageId = MimeKit.Utils.MimeUtils.GenerateMessageId(messageIdDomain);
        if (payload.Unsubscribe is { } link)
        {
            // RFC 2369 and RFC 8058: mail clients show their own "unsubscribe" and POST "List-Unsubscribe=One-Click" to the https link.
            message.Headers.Add("List-Unsubscribe", payload.UnsubscribeMailto is { } mailto ? $"<{link}>, <{mailto}>" : $"<{link}>");
            message.Headers.Add("List-Unsubscribe-Post", "List-Unsubscribe=One-Click");
        }
        var body = new BodyBuilder { TextBody = payload.Text, HtmlBody = payload.Html };
        message.Body = body.ToMessageBody();
        return message;
    }
}

public sealed class SmtpEmailDelivery(IOptions<SmtpOptions> options) : IEmailDelivery
{
    public async Task DeliverAsync(MimeMessage message, CancellationToken cancellationToken)
    {
        var smtp = options.Value;
        using var client = new SmtpClient();
        var security = smtp.Security switch
        {
            "None" => SecureSocketOptions.None,
            "StartTls" => SecureSocketOptions.StartTls,
            "SslOnConnect" => SecureSocketOptions.SslOnConnect,
            _ => SecureSocketOptions.StartTlsWhenAvailable,
        };
        var host = smtp.Host ?? "localhost";
        using var socket = await ConnectAsync(host, smtp.Port, client.Timeout, cancellationToken);
        await client.ConnectAsync(socket, host, smtp.Port, security, cancellationToken);
        if (!string.IsNullOrEmpty(smtp.UserName))
        {
            await client.AuthenticateAsync(smtp.UserName, smtp.Password ?? "", cancellationToken);
        }
        await client.SendAsync(message, cancellationToken);
        await client.DisconnectAsync(true, cancellationToken);
    }

    /// <summary>
    /// The TCP connection to the relay, with Nagle's algorithm off. MailKit's own socket keeps it on, and then the
    /// last small write of every message (the end of DATA, after the body) waits for the relay to acknowledge the
    /// body, which a relay delays by up to 40 ms (Linux; 200 ms on Windows) while it waits for the rest: measured
    /// against a local relay, 44 ms a message, whether or not the connection is reused (bench/README.md, issue 8).
    /// SMTP is a conversation of short commands and replies, which is what NoDelay is for.
    /// </summary>
    private static async Task<Socket> ConnectAsync(string host, int port, int timeoutMs, CancellationToken cancellationToken)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(timeoutMs);
            await socket.ConnectAsync(host, port, timeout.Token);
            return socket;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // A failed delivery to retry, not the worker being stopped.
            socket.Dispose();
            throw new TimeoutException($"The SMTP relay {host}:{port} did not answer in {timeoutMs} ms.");
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}

/// <summary>The default with nothing installed: each email becomes a file in data/mail, readable by any mail client.</summary>
public sealed class PickupFolderEmailDelivery(IOptions<MailOptions> options, DataDirectory data, IHostEnvironment environment) : IEmailDelivery
{
    public async Task DeliverAsync(MimeMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        var folder = data.Resolve(options.Value.PickupDirectory);
        Directory.CreateDirectory(folder);
        var name = $"{DateTime.UtcNow:yyyyMMdd-HHmmss-fffffff}-{Guid.NewGuid():N}.eml";
        var temporary = Path.Combine(folder, name + ".tmp");
        await message.WriteToAsync(temporary, cancellationToken);
        File.Move(temporary, Path.Combine(folder, name));
        if (environment.IsDevelopment())
        {
            // Development only, on the console and not in the logs: the message text, so its link can be clicked.
            Console.WriteLine($"[mail] {message.Subject} -> {Path.Combine(folder, name)}\n{message.TextBody}");
        }
    }
}
