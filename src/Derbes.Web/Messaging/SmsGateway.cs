using System.Text;
using Derbes.Web.Data;
using Microsoft.Extensions.Options;

namespace Derbes.Web.Messaging;

/// <summary>Sends a text message. A provider's HTTP API plugs in here; the default writes files.</summary>
public interface ISmsGateway
{
    Task SendAsync(string phoneE164, string text, CancellationToken cancellationToken);
}

/// <summary>Writes each SMS to data/sms as a small text file: "To:" line, blank line, text.</summary>
public sealed class PickupFolderSmsGateway(IOptions<SmsOptions> options, DataDirectory data, IHostEnvironment environment) : ISmsGateway
{
    public async Task SendAsync(string phoneE164, string text, CancellationToken cancellationToken)
    {
        var folder = data.Resolve(options.Value.PickupDirectory);
        Directory.CreateDirectory(folder);
        var name = $"{DateTime.UtcNow:yyyyMMdd-HHmmss-fffffff}-{Guid.NewGuid():N}.txt";
        var temporary = Path.Combine(folder, name + ".tmp");
        await File.WriteAllTextAsync(temporary, $"To: {phoneE164}\n\n{text}\n", Encoding.UTF8, cancellationToken);
        File.Move(temporary, Path.Combine(folder, name));
        if (environment.IsDevelopment())
        {
            Console.WriteLine($"[sms] {phoneE164}: {text}");
        }
    }
}
