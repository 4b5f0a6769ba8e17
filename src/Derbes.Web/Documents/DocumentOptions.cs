namespace Derbes.Web.Documents;

/// <summary>Limits for uploaded identity documents, bound from the "Documents" configuration section.</summary>
public sealed class DocumentOptions
{
    public const string Section = "Documents";

    /// <summary>How many files one registration may carry (enforced by the upload endpoint).</summary>
    public int MaxFiles { get; set; } = 3;

    /// <summary>Largest accepted file, in bytes.</summary>
    public long MaxFileBytes { get; set; } = 10 * 1024 * 1024;

    /// <summary>Largest accepted image side, in pixels, for either side.</summary>
    public int MaxImageSide { get; set; } = 12_000;

    /// <summary>Largest accepted image area (width × height), in pixels.</summary>
    public long MaxImagePixels { get; set; } = 50_000_000;

    /// <summary>How long a verified document's file is kept after verification (Art. 7 p.9); the result stays.</summary>
    public TimeSpan VerifiedRetention { get; set; } = TimeSpan.FromDays(30);

    /// <summary>How long a rejected document's file is kept after rejection (time to ask about it or send another); the reason stays.</summary>
    public TimeSpan RejectedRetention { get; set; } = TimeSpan.FromDays(30);
}
