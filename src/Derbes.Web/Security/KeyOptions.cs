using System.ComponentModel.DataAnnotations;

namespace Derbes.Web.Security;

public sealed class KeyOptions
{
    public const string Section = "Keys";

    /// <summary>
    /// The key file: master keys that wrap each customer's data key, and the index key for the HMAC
    /// look-ups. Created on first start when missing. In production point this at a file that is not
    /// backed up with the database, or set <see cref="MasterKeyFileContent"/> from the environment.
    /// </summary>
    [Required]
    public string MasterKeyFile { get; set; } = "keys/master-keys.json";

    /// <summary>The key file's JSON itself (for example from an environment variable or a secret store).</summary>
    public string? MasterKeyFileContent { get; set; }
}
