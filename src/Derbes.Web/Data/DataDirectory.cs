namespace Derbes.Web.Data;

public sealed class DataOptions
{
    public const string Section = "Data";

    /// <summary>Where the database, the key file, documents and the mail and SMS pickup folders live.</summary>
    public string Directory { get; set; } = "data";
}

/// <summary>The data folder, resolved once against the working directory, so <c>dotnet run</c> from the repository keeps it in <c>data/</c>.</summary>
public sealed class DataDirectory
{
    public DataDirectory(string root)
    {
        Root = Path.GetFullPath(root);
        Directory.CreateDirectory(Root);
    }

    public string Root { get; }

    public string Resolve(string relative) => Path.IsPathRooted(relative) ? relative : Path.Combine(Root, relative);
}
