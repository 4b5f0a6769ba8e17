using System.Diagnostics;
using System.Text.RegularExpressions;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Derbes.Web.Documents;
using Microsoft.Extensions.Logging.Abstractions;

namespace Derbes.Web.Tests.Infrastructure;

/// <summary>
/// A local S3-compatible server (the npm package s3rver) for the document store tests.
/// ./test.sh starts one and exports <c>DERBES_TEST_S3_URL</c> (and <c>DERBES_TEST_S3_DIR</c>, its storage folder);
/// otherwise this fixture starts its own from <c>tools/s3rver/node_modules</c> on a free port with a temporary folder,
/// and stops it when disposed. With neither, it fails loudly: the S3 tests never pass without a server.
/// </summary>
public sealed partial class S3Server : IAsyncLifetime
{
    /// <summary>s3rver knows one account; it checks the key id and (for SigV4) not the secret.</summary>
    public const string AccessKey = "S3RVER";
    public const string SecretKey = "S3RVER";
    public const string UrlVariable = "DERBES_TEST_S3_URL";
    public const string DirectoryVariable = "DERBES_TEST_S3_DIR";
    private const string Install = "run `npm ci --prefix tools/s3rver` from the repository root (needs Node.js and npm)";

    private Process? _process;
    private string? _ownDirectory;
    private readonly List<string> _output = [];

    public Uri Url { get; private set; } = null!;

    /// <summary>Where the server keeps its objects on disk, when known (always when this fixture started it).</summary>
    public string? StorageDirectory { get; private set; }

    public AmazonS3Client Client { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var given = Environment.GetEnvironmentVariable(UrlVariable);
        if (!string.IsNullOrWhiteSpace(given))
        {
            if (!Uri.TryCreate(given, UriKind.Absolute, out var url))
            {
                throw new InvalidOperationException($"{UrlVariable} is not an absolute URL: '{given}'.");
            }
            Url = url;
            var directory = Environment.GetEnvironmentVariable(DirectoryVariable);
            StorageDirectory = string.IsNullOrWhiteSpace(directory) ? null : directory;
        }
        else
        {
            await StartAsync();
        }
        Client = new AmazonS3Client(new BasicAWSCredentials(AccessKey, SecretKey), new AmazonS3Config
        {
            ServiceURL = Url.ToString(),
            AuthenticationRegion = "us-east-1",
            ForcePathStyle = true,
            RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
            ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
        });
        await WaitUntilAnswersAsync();
    }

    /// <summary>A new, empty bucket: each test gets its own.</summary>
    public async Task<string> NewBucketAsync()
    {
        var bucket = "derbes-test-" + Guid.NewGuid().ToString("N")[..20];
        await Client.PutBucketAsync(new PutBucketRequest { BucketName = bucket });
        return bucket;
    }

    /// <summary>A bucket name that was never created.</summary>
    public static string MissingBucket() => "derbes-missing-" + Guid.NewGuid().ToString("N")[..20];

    /// <summary>The app's settings for an S3 document store on this server.</summary>
    public Dictionary<string, string?> Settings(string bucket) => new()
    {
        ["DocumentStore:Kind"] = "S3",
        ["DocumentStore:S3:ServiceUrl"] = Url.ToString(),
        ["DocumentStore:S3:Bucket"] = bucket,
        ["DocumentStore:S3:AccessKey"] = AccessKey,
        ["DocumentStore:S3:SecretKey"] = SecretKey,
    };

    public DocumentStoreOptions Options(string bucket, string? serverSideEncryption = null) => new()
    {
        Kind = DocumentStoreKind.S3,
        S3 = new S3DocumentStoreOptions
        {
            ServiceUrl = Url.ToString(),
            Bucket = bucket,
            AccessKey = AccessKey,
            SecretKey = SecretKey,
            ServerSideEncryption = serverSideEncryption,
        },
    };

    public S3DocumentStore NewStore(string bucket, string? serverSideEncryption = null) =>
        new(Microsoft.Extensions.Options.Options.Create(Options(bucket, serverSideEncryption)), NullLogger<S3DocumentStore>.Instance);

    /// <summary>Every object in <paramref name="bucket"/>, key and bytes, read straight from the server.</summary>
    public async Task<Dictionary<string, byte[]>> ObjectsAsync(string bucket)
    {
        var objects = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        var request = new ListObjectsV2Request { BucketName = bucket };
        ListObjectsV2Response page;
        do
        {
            page = await Client.ListObjectsV2Async(request);
            // SDK v4 leaves an empty list null.
            foreach (var entry in page.S3Objects ?? [])
            {
                using var response = await Client.GetObjectAsync(bucket, entry.Key);
                using var bytes = new MemoryStream();
                await response.ResponseStream.CopyToAsync(bytes);
                objects[entry.Key] = bytes.ToArray();
            }
            request.ContinuationToken = page.NextContinuationToken;
        }
        while (page.IsTruncated == true);
        return objects;
    }

    private async Task StartAsync()
    {
        var root = RepositoryRoot();
        var script = Path.Combine(root, "tools", "s3rver", "node_modules", "s3rver", "bin", "s3rver.js");
        if (!File.Exists(script))
        {
            throw new InvalidOperationException($"The S3 tests need s3rver, which is not installed ({script} is missing): {Install}, or set {UrlVariable} to a running S3-compatible server.");
        }
        _ownDirectory = Path.Combine(Path.GetTempPath(), "derbes-s3rver", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_ownDirectory);
        StorageDirectory = _ownDirectory;

        var start = new ProcessStartInfo("node")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        // Port 0: the server picks a free port and prints it, so two test runs never race for one.
        foreach (var argument in new[] { script, "--directory", _ownDirectory, "--address", "127.0.0.1", "--port", "0", "--silent" })
        {
            start.ArgumentList.Add(argument);
        }
        var listening = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        try
        {
            _process = Process.Start(start) ?? throw new InvalidOperationException("node did not start.");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException($"The S3 tests need Node.js to run s3rver, and `node` could not be started ({e.Message}); install Node.js and {Install}.", e);
        }
        _process.OutputDataReceived += (_, e) => OnLine(e.Data, listening);
        _process.ErrorDataReceived += (_, e) => OnLine(e.Data, listening);
        _process.EnableRaisingEvents = true;
        _process.Exited += (_, _) => listening.TrySetException(new InvalidOperationException("s3rver exited before it listened: " + Output()));
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();

        int port;
        try
        {
            port = await listening.Task.WaitAsync(TimeSpan.FromSeconds(30));
        }
        catch (TimeoutException)
        {
            throw new InvalidOperationException("s3rver did not report listening within 30 s: " + Output());
        }
        Url = new Uri($"http://127.0.0.1:{port}/");
    }

    private void OnLine(string? line, TaskCompletionSource<int> listening)
    {
        if (line is null)
        {
            return;
        }
        lock (_output)
        {
            _output.Add(line);
        }
        var match = ListeningLine().Match(line);
        if (match.Success)
        {
            listening.TrySetResult(int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture));
        }
    }

    private string Output()
    {
        lock (_output)
        {
            return string.Join(Environment.NewLine, _output);
        }
    }

    // "Answers" means an S3 request goes through, not merely that the port is open.
    private async Task WaitUntilAnswersAsync()
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            try
            {
                await Client.ListBucketsAsync();
                return;
            }
            catch (Exception e) when (e is AmazonServiceException or HttpRequestException or IOException && DateTime.UtcNow < deadline)
            {
                await Task.Delay(200);
            }
            catch (Exception e)
            {
                throw new InvalidOperationException($"The S3 server at {Url} does not answer ({e.Message}). {Output()}", e);
            }
        }
    }

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Derbes.slnx")))
            {
                return directory.FullName;
            }
        }
        throw new InvalidOperationException($"No Derbes.slnx above {AppContext.BaseDirectory}: cannot find tools/s3rver; set {UrlVariable} instead.");
    }

    public Task DisposeAsync()
    {
        Client?.Dispose();
        if (_process is not null)
        {
            try
            {
                if (!_process.HasExited)
                {
                    _process.Kill(entireProcessTree: true);
                    _process.WaitForExit(10_000);
                }
            }
            catch (InvalidOperationException)
            {
                // Exited between the check and the kill.
            }
            _process.Dispose();
        }
        if (_ownDirectory is not null)
        {
            try
            {
                Directory.Delete(_ownDirectory, recursive: true);
            }
            catch (IOException)
            {
                // Left for the OS to clean with the rest of the temp folder.
            }
        }
        return Task.CompletedTask;
    }

    [GeneratedRegex(@"listening on .*:(\d+)\s*$")]
    private static partial Regex ListeningLine();
}
