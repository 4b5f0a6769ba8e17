using System.Net;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Microsoft.Extensions.Options;

namespace Derbes.Web.Documents;

/// <summary>
/// Sealed document bytes as objects in an S3-compatible bucket, keyed <c>documents/{first two}/{storage name}</c>
/// like the folders of <see cref="FileSystemDocumentStore"/>. The bytes arrive already sealed with the owner's data key,
/// so the object store (and anyone reading the bucket) only ever holds ciphertext. The bucket is not created here.
/// A singleton: the client is thread-safe, keeps its connections, and is disposed with the container.
/// </summary>
public sealed class S3DocumentStore : IDocumentStore, IDisposable
{
    private const string Prefix = "documents/";

    private readonly AmazonS3Client _client;
    private readonly string _bucket;
    private readonly ServerSideEncryptionMethod? _serverSideEncryption;
    private readonly string? _kmsKeyId;
    private bool _disposed;

    public S3DocumentStore(IOptions<DocumentStoreOptions> options, ILogger<S3DocumentStore> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(logger);
        var s3 = options.Value.S3;
        if (string.IsNullOrWhiteSpace(s3.ServiceUrl) || string.IsNullOrWhiteSpace(s3.Bucket) || string.IsNullOrWhiteSpace(s3.AccessKey) || string.IsNullOrWhiteSpace(s3.SecretKey))
        {
            // Normally caught at start by DocumentStoreOptionsValidator; this guards a store built by hand.
            throw new InvalidOperationException($"{DocumentStoreOptions.Section}:S3 needs ServiceUrl, Bucket, AccessKey and SecretKey.");
        }
        _bucket = s3.Bucket;
        _serverSideEncryption = string.IsNullOrEmpty(s3.ServerSideEncryption) ? null : ServerSideEncryptionMethod.FindValue(s3.ServerSideEncryption);
        _kmsKeyId = string.IsNullOrEmpty(s3.KmsKeyId) ? null : s3.KmsKeyId;
        var config = new AmazonS3Config
        {
            ServiceURL = s3.ServiceUrl,
            AuthenticationRegion = s3.Region,
            ForcePathStyle = s3.ForcePathStyle,
            // Since 2025 the SDK adds flexible (CRC) checksums to every request by default, which several S3-compatible
            // stores reject or mishandle, so they are sent only where an operation requires them. Integrity does not rest on them:
            // AES-GCM refuses to open a sealed document whose bytes changed on the way or at rest.
            RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
            ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
        };
        _client = new AmazonS3Client(new BasicAWSCredentials(s3.AccessKey, s3.SecretKey), config);
        // Where documents go, for the operator; never the keys.
        logger.LogInformation("Documents are stored in bucket {Bucket} at {Host}", _bucket, new Uri(s3.ServiceUrl).Authority);
    }

    /// <summary>The object key of a storage name; the name is checked as strictly as the file system store checks it.</summary>
    internal static string KeyOf(string storageName)
    {
        ArgumentNullException.ThrowIfNull(storageName);
        if (storageName.Length != 32 || !storageName.All(char.IsAsciiHexDigitLower))
        {
            throw new ArgumentException("Not a storage name.", nameof(storageName));
        }
        return Prefix + storageName[..2] + "/" + storageName;
    }

    public async Task PutAsync(string storageName, byte[] sealedBytes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(sealedBytes);
        var key = KeyOf(storageName);
        ObjectDisposedException.ThrowIf(_disposed, this);
        using var body = new MemoryStream(sealedBytes, writable: false);
        var request = new PutObjectRequest
        {
            BucketName = _bucket,
            Key = key,
            InputStream = body,
            AutoCloseStream = false,
            ContentType = "application/octet-stream",
            // A plain body rather than aws-chunked signing: some S3-compatible servers (s3rver is one) would store the
            // chunk framing as part of the object, and the document would no longer open.
            UseChunkEncoding = false,
        };
        if (_serverSideEncryption is not null)
        {
            request.ServerSideEncryptionMethod = _serverSideEncryption;
            if (_kmsKeyId is not null)
            {
                request.ServerSideEncryptionKeyManagementServiceKeyId = _kmsKeyId;
            }
        }
        await _client.PutObjectAsync(request, cancellationToken);
    }

    public async Task<byte[]?> GetAsync(string storageName, CancellationToken cancellationToken)
    {
        var key = KeyOf(storageName);
        ObjectDisposedException.ThrowIf(_disposed, this);
        try
        {
            using var response = await _client.GetObjectAsync(new GetObjectRequest { BucketName = _bucket, Key = key }, cancellationToken);
            var length = response.ContentLength;
            using var buffer = length is > 0 and <= int.MaxValue ? new MemoryStream((int)length) : new MemoryStream();
            await response.ResponseStream.CopyToAsync(buffer, cancellationToken);
            return buffer.ToArray();
        }
        // Only a missing object means "no such document". A missing bucket (also a 404) or an access error is a
        // misconfiguration, and must not look like a document that was never there.
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound && e.ErrorCode == "NoSuchKey")
        {
            return null;
        }
    }

    /// <summary>Idempotent, like S3 itself: deleting an object that is not there succeeds.</summary>
    public async Task DeleteAsync(string storageName, CancellationToken cancellationToken)
    {
        var key = KeyOf(storageName);
        ObjectDisposedException.ThrowIf(_disposed, this);
        try
        {
            await _client.DeleteObjectAsync(new DeleteObjectRequest { BucketName = _bucket, Key = key }, cancellationToken);
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound && e.ErrorCode == "NoSuchKey")
        {
            // Some S3-compatible servers answer a delete of a missing key with 404 instead of 204.
        }
    }

    public void Dispose()
    {
        if (!_disposed)
        {
            _disposed = true;
            _client.Dispose();
        }
    }
}
