using Derbes.Web.Privacy;

namespace Derbes.Tests.Privacy;

public sealed class PolicySeedTests
{
    [Fact]
    public void EditionOneInKazakhIsTheSeedTextVerbatim()
    {
        var kazakh = PolicySeed.Read("edition-1.kk.txt");
        Assert.StartsWith("Дербес деректерді өңдеу және құпиялылық саясаты", kazakh, StringComparison.Ordinal);
        Assert.Contains("30 (отыз) жұмыс күн", kazakh, StringComparison.Ordinal);
        Assert.Contains("care@small.kz", kazakh, StringComparison.Ordinal);

        // Where the shared seed is beside the repository (as in CI), the text is an exact suffix of it.
        var seed = FindSeed();
        if (seed is not null)
        {
            Assert.EndsWith(kazakh, File.ReadAllText(seed), StringComparison.Ordinal);
        }
    }

    [Fact]
    public void TranslationsFollowTheKazakhTextLineByLine()
    {
        var kazakh = PolicySeed.Read("edition-1.kk.txt").Split('\n');
        foreach (var language in new[] { "ru", "en" })
        {
            var translation = PolicySeed.Read($"edition-1.{language}.txt").Split('\n');
            Assert.Equal(kazakh.Length, translation.Length);
            for (var i = 0; i < kazakh.Length; i++)
            {
                Assert.Equal(string.IsNullOrWhiteSpace(kazakh[i]), string.IsNullOrWhiteSpace(translation[i]));
            }
        }
    }

    private static string? FindSeed()
    {
        var folder = new DirectoryInfo(AppContext.BaseDirectory);
        while (folder is not null)
        {
            var candidate = Path.Combine(folder.FullName, "shared", "seed", "small-kz-account-pages-and-privacy-policy.kk.txt");
            if (File.Exists(candidate))
            {
                return candidate;
            }
            folder = folder.Parent;
        }
        return null;
    }
}
