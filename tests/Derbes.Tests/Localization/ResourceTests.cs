using System.Xml.Linq;

namespace Derbes.Tests.Localization;

public sealed class ResourceTests
{
    private static string ResourcesFolder()
    {
        var folder = new DirectoryInfo(AppContext.BaseDirectory);
        while (folder is not null && !File.Exists(Path.Combine(folder.FullName, "Derbes.slnx")))
        {
            folder = folder.Parent;
        }
        return Path.Combine(folder!.FullName, "src", "Derbes.Web", "Resources");
    }

    private static Dictionary<string, string> Load(string file) =>
        XDocument.Load(Path.Combine(ResourcesFolder(), file)).Root!.Elements("data")
            .ToDictionary(d => d.Attribute("name")!.Value, d => d.Element("value")!.Value, StringComparer.Ordinal);

    public static TheoryData<string> Translations => new() { "SharedResource.ru.resx", "SharedResource.en.resx" };

    [Theory]
    [MemberData(nameof(Translations))]
    public void EveryKazakhStringExistsInEveryOtherLanguageAndNoMore(string file)
    {
        var kazakh = Load("SharedResource.resx");
        var other = Load(file);
        Assert.Empty(kazakh.Keys.Except(other.Keys));
        Assert.Empty(other.Keys.Except(kazakh.Keys));
        Assert.All(other, pair => Assert.False(string.IsNullOrWhiteSpace(pair.Value), pair.Key));
    }

    [Theory]
    [MemberData(nameof(Translations))]
    public void TranslationsKeepEveryPlaceholder(string file)
    {
        var kazakh = Load("SharedResource.resx");
        var other = Load(file);
        foreach (var (key, value) in kazakh)
        {
            for (var i = 0; i < 5; i++)
            {
                var placeholder = "{" + i + "}";
                Assert.True(value.Contains(placeholder, StringComparison.Ordinal) == other[key].Contains(placeholder, StringComparison.Ordinal), $"{key}: {placeholder}");
            }
        }
    }

    [Fact]
    public void EveryKeyUsedInTheCodeExistsInTheResources()
    {
        var kazakh = Load("SharedResource.resx");
        var root = Path.GetDirectoryName(ResourcesFolder())!;
        var used = new HashSet<string>(StringComparer.Ordinal);
        var pattern = new System.Text.RegularExpressions.Regex(@"\b[Ll]\[""([A-Za-z0-9]+\.[A-Za-z0-9.]+)""|ErrorMessage = ""([A-Za-z]+\.[A-Za-z.]+)""");
        foreach (var file in Directory.EnumerateFiles(root, "*.*", SearchOption.AllDirectories)
                     .Where(f => (f.EndsWith(".cs", StringComparison.Ordinal) || f.EndsWith(".cshtml", StringComparison.Ordinal)) && !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)))
        {
            foreach (System.Text.RegularExpressions.Match match in pattern.Matches(File.ReadAllText(file)))
            {
                used.Add(match.Groups[1].Success ? match.Groups[1].Value : match.Groups[2].Value);
            }
        }
        Assert.NotEmpty(used);
        var missing = used.Where(k => !k.EndsWith('.') && !kazakh.ContainsKey(k)).ToList();
        Assert.True(missing.Count == 0, "Missing keys: " + string.Join(", ", missing));
    }
}
