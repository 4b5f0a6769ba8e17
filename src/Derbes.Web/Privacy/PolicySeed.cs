using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using Derbes.Web.Data;
using Derbes.Web.Localization;
using Microsoft.EntityFrameworkCore;

namespace Derbes.Web.Privacy;

/// <summary>
/// On an empty database, publishes edition 1: the Kazakh text of the SMALL policy verbatim (authoritative),
/// with Russian and English translations marked as such.
/// </summary>
public static class PolicySeed
{
    public static string Read(string name)
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("Derbes.Web.Privacy.Seed." + name)
            ?? throw new InvalidOperationException($"Seed file {name} is missing from the build.");
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return reader.ReadToEnd();
    }

    public static async Task PublishFirstEditionAsync(DerbesDb db, TimeProvider clock, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(clock);
        if (await db.PolicyEditions.AnyAsync(cancellationToken))
        {
            return;
        }
        var summaries = Read("summary.tsv").Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split('\t', 2))
            .ToDictionary(p => p[0], p => p[1].Trim(), StringComparer.Ordinal);
        var edition = new PolicyEdition { Number = 1, PublishedAt = clock.GetUtcNow() };
        foreach (var language in Languages.All)
        {
            var body = Read($"edition-1.{language}.txt");
            var title = body.Split('\n', 2)[0].Trim();
            edition.Texts.Add(new PolicyText
            {
                EditionNumber = 1,
                Language = language,
                IsTranslation = language != Languages.Kazakh,
                Format = PolicyTextFormat.Plain,
                Title = title,
                Body = body,
                Summary = summaries.GetValueOrDefault(language, ""),
                Sha256 = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(body))),
            });
        }
        db.PolicyEditions.Add(edition);
        await db.SaveChangesAsync(cancellationToken);
    }
}
