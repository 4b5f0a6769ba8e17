using System.ComponentModel.DataAnnotations;

namespace Derbes.Web.Security;

public sealed class PasswordHashingOptions
{
    public const string Section = "PasswordHashing";

    /// <summary>Argon2id memory in KiB: OWASP's 19 MiB by default.</summary>
    [Range(19_456, 4_194_304)]
    public int MemoryKiB { get; set; } = 19_456;

    [Range(2, 16)]
    public int Iterations { get; set; } = 2;

    /// <summary>How many hashes may run at once; 0 means one per core. Others wait their turn.</summary>
    [Range(0, 256)]
    public int MaxConcurrentHashes { get; set; }
}
