using Microsoft.Extensions.Options;

namespace Derbes.Web.Documents;

public enum DocumentStoreKind
{
    /// <summary>Sealed files under the data folder's <c>documents/</c> (the default).</summary>
    FileSystem,

    /// <summary>Sealed objects in a bucket of an S3-compatible object store.</summary>
    S3,
}

/// <summary>
/// Where sealed document bytes are kept (section <c>DocumentStore</c>). Whatever the store, it only ever receives
/// ciphertext: <see cref="DocumentIntake"/> seals each document with its owner's data key before handing it over.
/// </summary>
public sealed class DocumentStoreOptions
{
    public const string Section = "DocumentStore";

    public DocumentStoreKind Kind { get; set; } = DocumentStoreKind.FileSystem;

    public S3DocumentStoreOptions S3 { get; set; } = new();
}

/// <summary>
/// An S3-compatible object store (section <c>DocumentStore:S3</c>). The bucket must already exist: Derbes never
/// creates one, because who owns a bucket, its region, retention and access policy are an operator's decisions.
/// </summary>
public sealed class S3DocumentStoreOptions
{
    /// <summary>The endpoint, e.g. <c>https://s3.eu-central-1.amazonaws.com</c> or a MinIO/Ceph address.</summary>
    public string? ServiceUrl { get; set; }

    public string? Bucket { get; set; }

    public string? AccessKey { get; set; }

    public string? SecretKey { get; set; }

    /// <summary>The region requests are signed for; S3-compatible servers usually accept the default.</summary>
    public string Region { get; set; } = "us-east-1";

    /// <summary>Bucket in the path (<c>host/bucket/key</c>) rather than the host name; what most S3-compatible servers expect.</summary>
    public bool ForcePathStyle { get; set; } = true;

    /// <summary>Optional server-side encryption asked of the store on upload: <c>AES256</c> or <c>aws:kms</c>. Empty: none asked.</summary>
    public string? ServerSideEncryption { get; set; }

    /// <summary>The KMS key for <c>aws:kms</c>; empty means the bucket's default key.</summary>
    public string? KmsKeyId { get; set; }
}

/// <summary>
/// Checks the S3 settings at start when they are in use. Messages name the setting that is wrong and never repeat
/// its value: a URL could carry credentials, and the keys are secrets.
/// </summary>
public sealed class DocumentStoreOptionsValidator : IValidateOptions<DocumentStoreOptions>
{
    private const string S3Section = DocumentStoreOptions.Section + ":S3:";

    public ValidateOptionsResult Validate(string? name, DocumentStoreOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Kind == DocumentStoreKind.FileSystem)
        {
            return ValidateOptionsResult.Success;
        }
        if (options.Kind != DocumentStoreKind.S3)
        {
            return ValidateOptionsResult.Fail($"{DocumentStoreOptions.Section}:Kind must be FileSystem or S3.");
        }

        var s3 = options.S3 ?? new S3DocumentStoreOptions();
        var failures = new List<string>();
        const string Why = " when " + DocumentStoreOptions.Section + ":Kind is S3.";
        if (!Uri.TryCreate(s3.ServiceUrl, UriKind.Absolute, out var url) || (url.Scheme != Uri.UriSchemeHttp && url.Scheme != Uri.UriSchemeHttps))
        {
            failures.Add($"{S3Section}ServiceUrl must be an absolute http or https URL{Why}");
        }
        else if (url.UserInfo.Length > 0)
        {
            failures.Add($"{S3Section}ServiceUrl must not carry credentials; set {S3Section}AccessKey and {S3Section}SecretKey instead.");
        }
        if (string.IsNullOrWhiteSpace(s3.Bucket))
        {
            failures.Add($"{S3Section}Bucket is required{Why}");
        }
        else if (!IsBucketName(s3.Bucket))
        {
            failures.Add($"{S3Section}Bucket must be 3 to 63 lowercase letters, digits, dots or hyphens, beginning and ending with a letter or digit.");
        }
        if (string.IsNullOrWhiteSpace(s3.AccessKey))
        {
            failures.Add($"{S3Section}AccessKey is required{Why}");
        }
        if (string.IsNullOrWhiteSpace(s3.SecretKey))
        {
            failures.Add($"{S3Section}SecretKey is required{Why}");
        }
        if (string.IsNullOrWhiteSpace(s3.Region))
        {
            failures.Add($"{S3Section}Region must not be empty.");
        }
        if (!string.IsNullOrEmpty(s3.ServerSideEncryption) && s3.ServerSideEncryption is not ("AES256" or "aws:kms"))
        {
            failures.Add($"{S3Section}ServerSideEncryption must be AES256, aws:kms or empty.");
        }
        if (!string.IsNullOrEmpty(s3.KmsKeyId) && s3.ServerSideEncryption != "aws:kms")
        {
            failures.Add($"{S3Section}KmsKeyId is only used with {S3Section}ServerSideEncryption aws:kms.");
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    // The common rules of S3 and its look-alikes; a name outside them would only fail later, on the first upload.
    private static bool IsBucketName(string bucket) =>
        bucket.Length is >= 3 and <= 63
        && bucket.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '.' or '-')
        && char.IsAsciiLetterOrDigit(bucket[0])
        && char.IsAsciiLetterOrDigit(bucket[^1]);
}
