using System.Net;
using System.Security.Cryptography;
using System.Text;
using Amazon.S3;
using Derbes.Tests.Documents;
using Derbes.Web.Data;
using Derbes.Web.Documents;
using Derbes.Web.Security;
using Derbes.Web.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Derbes.Web.Tests.Documents;

/// <summary>
/// The S3 document store against a real S3-compatible server (s3rver), each test in a bucket of its own.
/// The store must only ever hold ciphertext: the end-to-end test registers a customer through the real app and reads the bucket.
/// </summary>
public sealed class S3DocumentStoreTests(S3Server server) : IClassFixture<S3Server>
{
    private static string NewName() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));

    [Fact]
    public async Task PutGetDeleteRoundTripsUnderTheDocumentsPrefixAndAMissingObjectIsNull()
    {
        var bucket = await server.NewBucketAsync();
        using var store = server.NewStore(bucket);
        var name = NewName();
        var bytes = RandomNumberGenerator.GetBytes(70_000);

        Assert.Null(await store.GetAsync(name, CancellationToken.None));

        await store.PutAsync(name, bytes, CancellationToken.None);
        Assert.Equal(bytes, await store.GetAsync(name, CancellationToken.None));
        var objects = await server.ObjectsAsync(bucket);
        Assert.Equal([$"documents/{name[..2]}/{name}"], objects.Keys.ToArray());
        Assert.Equal(bytes, objects.Values.Single());

        // A second put under the same name replaces the object; an empty object round-trips as empty, not null.
        var other = NewName();
        await store.PutAsync(other, [], CancellationToken.None);
        Assert.Equal(Array.Empty<byte>(), await store.GetAsync(other, CancellationToken.None));
        var replaced = RandomNumberGenerator.GetBytes(100);
        await store.PutAsync(name, replaced, CancellationToken.None);
        Assert.Equal(replaced, await store.GetAsync(name, CancellationToken.None));

        await store.DeleteAsync(name, CancellationToken.None);
        Assert.Null(await store.GetAsync(name, CancellationToken.None));
        // Deleting again, or deleting what never existed, is not an error.
        await store.DeleteAsync(name, CancellationToken.None);
        await store.DeleteAsync(NewName(), CancellationToken.None);
        Assert.Equal([$"documents/{other[..2]}/{other}"], (await server.ObjectsAsync(bucket)).Keys.ToArray());
    }

    [Theory]
    [InlineData("")]
    [InlineData("0123456789abcdef0123456789abcde")]
    [InlineData("0123456789abcdef0123456789abcdef0")]
    [InlineData("0123456789ABCDEF0123456789ABCDEF")]
    [InlineData("../../../../../../etc/passwd00000")]
    [InlineData("0123456789abcdef/123456789abcdef")]
    [InlineData("0123456789abcdef0123456789abcdeg")]
    public async Task ANameThatIsNotAStorageNameIsRefusedBeforeAnyRequest(string name)
    {
        var bucket = await server.NewBucketAsync();
        using var store = server.NewStore(bucket);

        await Assert.ThrowsAsync<ArgumentException>(() => store.PutAsync(name, [1, 2, 3], CancellationToken.None));
        await Assert.ThrowsAsync<ArgumentException>(() => store.GetAsync(name, CancellationToken.None));
        await Assert.ThrowsAsync<ArgumentException>(() => store.DeleteAsync(name, CancellationToken.None));
        Assert.Empty(await server.ObjectsAsync(bucket));
    }

    [Fact]
    public async Task AMissingBucketIsAnErrorNotAMissingDocumentAndIsNeverCreated()
    {
        var bucket = S3Server.MissingBucket();
        using var store = server.NewStore(bucket);
        var name = NewName();

        var get = await Assert.ThrowsAsync<AmazonS3Exception>(() => store.GetAsync(name, CancellationToken.None));
        Assert.Equal(HttpStatusCode.NotFound, get.StatusCode);
        Assert.Equal("NoSuchBucket", get.ErrorCode);
        var put = await Assert.ThrowsAsync<AmazonS3Exception>(() => store.PutAsync(name, [1, 2, 3], CancellationToken.None));
        Assert.Equal("NoSuchBucket", put.ErrorCode);
        var buckets = await server.Client.ListBucketsAsync();
        Assert.DoesNotContain(buckets.Buckets ?? [], b => b.BucketName == bucket);
    }

    [Fact]
    public async Task ServerSideEncryptionWhenConfiguredIsAskedForAndTheDocumentStillRoundTrips()
    {
        var bucket = await server.NewBucketAsync();
        using var store = server.NewStore(bucket, serverSideEncryption: "AES256");
        var name = NewName();
        var bytes = RandomNumberGenerator.GetBytes(1000);

        await store.PutAsync(name, bytes, CancellationToken.None);
        Assert.Equal(bytes, await store.GetAsync(name, CancellationToken.None));
    }

    [Fact]
    public async Task TheRegistrationPicksTheStoreFromConfigurationAndTheContainerDisposesTheClient()
    {
        var bucket = await server.NewBucketAsync();
        var data = Directory.CreateTempSubdirectory("derbes-s3-registration-");
        try
        {
            using (var fileSystem = Provider(new Dictionary<string, string?>(), data.FullName))
            {
                Assert.IsType<FileSystemDocumentStore>(fileSystem.GetRequiredService<IDocumentStore>());
            }

            S3DocumentStore s3;
            var name = NewName();
            await using (var provider = Provider(server.Settings(bucket), data.FullName))
            {
                s3 = Assert.IsType<S3DocumentStore>(provider.GetRequiredService<IDocumentStore>());
                Assert.Same(s3, provider.GetRequiredService<IDocumentStore>());
                await s3.PutAsync(name, [42], CancellationToken.None);
            }
            await Assert.ThrowsAsync<ObjectDisposedException>(() => s3.GetAsync(name, CancellationToken.None));
            Assert.Equal(new byte[] { 42 }, (await server.ObjectsAsync(bucket)).Values.Single());
        }
        finally
        {
            data.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task ARegisteredCustomersDocumentsReachTheBucketOnlyAsCiphertextAndOpenForTheirOwner()
    {
        var bucket = await server.NewBucketAsync();
        var marker = "S3-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(5));
        var pdf = PdfWithMarker(marker);
        var png = SampleFiles.SmallPng();
        using var app = new DerbesApp(server.Settings(bucket));
        using var browser = app.NewBrowser();
        var customer = Journeys.Someone();

        var done = await Journeys.RegisterAsync(browser, customer, [
            new Upload("Documents", "passport.pdf", pdf, "application/pdf"),
            new Upload("Documents", "photo.png", png, "image/png"),
        ]);
        Assert.Equal("/account/register/done", done.Url.AbsolutePath);

        var index = app.Service<BlindIndex>().Email(customer.Email);
        var (accountId, documents) = await app.WithDbAsync(async db =>
        {
            var account = await db.Users.SingleAsync(a => a.EmailIndex == index);
            return (account.Id, await db.Documents.Where(d => d.AccountId == account.Id).ToListAsync());
        });
        Assert.Equal(2, documents.Count);

        // Exactly the customer's documents are in the bucket, under their storage names.
        var objects = await server.ObjectsAsync(bucket);
        Assert.Equal(
            documents.Select(d => $"documents/{d.StorageName[..2]}/{d.StorageName}").Order(StringComparer.Ordinal),
            objects.Keys.Order(StringComparer.Ordinal));

        // None of it is readable: no marker, no file signature, not even a short run of the original bytes.
        foreach (var (key, stored) in objects)
        {
            Assert.False(Contains(stored, Encoding.ASCII.GetBytes(marker)), $"{key} holds the PDF's marker in the clear");
            Assert.False(Contains(stored, "%PDF"u8.ToArray()), $"{key} holds a PDF header");
            Assert.False(Contains(stored, png.AsSpan(0, 8).ToArray()), $"{key} holds a PNG signature");
            for (var at = 0; at + 16 <= pdf.Length; at += 8)
            {
                Assert.False(Contains(stored, pdf.AsSpan(at, 16).ToArray()), $"{key} holds bytes {at}..{at + 16} of the PDF");
            }
        }

        // Nothing went to the local folder.
        var local = Path.Combine(app.DataDirectory, "documents");
        Assert.True(!Directory.Exists(local) || Directory.GetFiles(local, "*", SearchOption.AllDirectories).Length == 0, "documents were written to the data folder");

        // The owner's documents open, through the app's own services, to exactly what was uploaded.
        await using (var scope = app.Services.CreateAsyncScope())
        {
            var store = scope.ServiceProvider.GetRequiredService<IDocumentStore>();
            var vault = scope.ServiceProvider.GetRequiredService<PersonalDataVault>();
            Assert.IsType<S3DocumentStore>(store);
            foreach (var document in documents)
            {
                var stored = await store.GetAsync(document.StorageName, CancellationToken.None);
                Assert.NotNull(stored);
                Assert.Equal(objects[$"documents/{document.StorageName[..2]}/{document.StorageName}"], stored);
                var opened = vault.Open(accountId, DocumentIntake.FieldOf(document.Id), stored);
                Assert.Equal(document.Sha256, Convert.ToHexStringLower(SHA256.HashData(opened)));
                if (document.ContentType == "application/pdf")
                {
                    Assert.Equal(pdf, opened);
                }
                else
                {
                    // Images are re-encoded on intake, so only the kind is the original's.
                    Assert.Equal(png.AsSpan(0, 8).ToArray(), opened.AsSpan(0, 8).ToArray());
                }
                // Bound to its owner and field: opened as another field, it fails.
                Assert.ThrowsAny<CryptographicException>(() => vault.Open(accountId, DocumentIntake.FieldOf(Guid.NewGuid()), stored));
            }
        }

        // And the server's own files on disk never saw the marker either.
        if (server.StorageDirectory is { } directory)
        {
            var files = Directory.GetFiles(directory, "*", SearchOption.AllDirectories);
            Assert.Contains(files, f => f.Contains(bucket, StringComparison.Ordinal));
            foreach (var file in files)
            {
                var bytes = await File.ReadAllBytesAsync(file);
                Assert.False(Contains(bytes, Encoding.ASCII.GetBytes(marker)), $"{file} holds the PDF's marker in the clear");
                Assert.False(Contains(bytes, pdf.AsSpan(0, 16).ToArray()), $"{file} holds the start of the PDF");
            }
        }
    }

    /// <summary>
    /// The sample PDF with its page text swapped for <paramref name="marker"/> (13 characters) at the same length,
    /// so the stream length and cross-reference offsets stay right and the inspector accepts it unchanged.
    /// </summary>
    private static byte[] PdfWithMarker(string marker)
    {
        const string Original = "BT /F1 24 Tf 72 720 Td (Derbes) Tj ET";
        var replacement = "BT/F1 9 Tf 9 9 Td(" + marker + ")Tj ET";
        Assert.Equal(Original.Length, replacement.Length);
        var pdf = SampleFiles.MinimalPdf();
        var at = pdf.AsSpan().IndexOf(Encoding.ASCII.GetBytes(Original));
        Assert.True(at >= 0, "the sample PDF's page text changed; update PdfWithMarker");
        Encoding.ASCII.GetBytes(replacement).CopyTo(pdf, at);
        return pdf;
    }

    internal static ServiceProvider Provider(Dictionary<string, string?> settings, string dataDirectory)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton(new DataDirectory(dataDirectory));
        services.AddDerbesDocumentStore(configuration);
        return services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
    }

    private static bool Contains(byte[] haystack, byte[] needle) => haystack.AsSpan().IndexOf(needle) >= 0;
}

/// <summary>The S3 settings are checked at start; these need no server.</summary>
public sealed class S3DocumentStoreSettingsTests
{
    [Fact]
    public void IncompleteS3SettingsFailValidationNamingEachSettingAndNeverTheSecret()
    {
        const string Secret = "do-not-print-this-secret-7f3a";
        using var provider = S3DocumentStoreTests.Provider(new Dictionary<string, string?>
        {
            ["DocumentStore:Kind"] = "S3",
            ["DocumentStore:S3:ServiceUrl"] = "s3.example.kz",
            ["DocumentStore:S3:SecretKey"] = Secret,
        }, Path.GetTempPath());

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<DocumentStoreOptions>>().Value);
        Assert.Contains("DocumentStore:S3:ServiceUrl must be an absolute http or https URL", error.Message, StringComparison.Ordinal);
        Assert.Contains("DocumentStore:S3:Bucket is required", error.Message, StringComparison.Ordinal);
        Assert.Contains("DocumentStore:S3:AccessKey is required", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("DocumentStore:S3:SecretKey", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(Secret, error.Message, StringComparison.Ordinal);

        // A URL with credentials in it is refused, and not repeated either.
        var withUserInfo = new DocumentStoreOptionsValidator().Validate(null, new DocumentStoreOptions
        {
            Kind = DocumentStoreKind.S3,
            S3 = new S3DocumentStoreOptions { ServiceUrl = "https://key:" + Secret + "@s3.example.kz", Bucket = "derbes", AccessKey = "key", SecretKey = Secret },
        });
        Assert.True(withUserInfo.Failed);
        Assert.DoesNotContain(Secret, withUserInfo.FailureMessage, StringComparison.Ordinal);

        // Values S3 would only refuse on the first upload are refused at start.
        var malformed = new DocumentStoreOptionsValidator().Validate(null, new DocumentStoreOptions
        {
            Kind = DocumentStoreKind.S3,
            S3 = new S3DocumentStoreOptions { ServiceUrl = "ftp://s3.example.kz", Bucket = "Derbes_Documents", AccessKey = "key", SecretKey = Secret, ServerSideEncryption = "rot13" },
        });
        Assert.Equal(3, malformed.Failures!.Count());
        Assert.Contains(malformed.Failures!, f => f.StartsWith("DocumentStore:S3:ServiceUrl ", StringComparison.Ordinal));
        Assert.Contains(malformed.Failures!, f => f.StartsWith("DocumentStore:S3:Bucket ", StringComparison.Ordinal));
        Assert.Contains(malformed.Failures!, f => f.StartsWith("DocumentStore:S3:ServerSideEncryption ", StringComparison.Ordinal));

        // The file system needs no S3 settings at all.
        Assert.True(new DocumentStoreOptionsValidator().Validate(null, new DocumentStoreOptions()).Succeeded);
    }

    [Fact]
    public void TheAppDoesNotStartWithKindS3AndNoS3Settings()
    {
        using var app = new DerbesApp(new() { ["DocumentStore:Kind"] = "S3" });
        var error = Assert.ThrowsAny<Exception>(() => app.Services);
        var validation = Flatten(error).OfType<OptionsValidationException>().FirstOrDefault();
        Assert.NotNull(validation);
        Assert.Contains("DocumentStore:S3:Bucket is required", validation.Message, StringComparison.Ordinal);
    }

    private static IEnumerable<Exception> Flatten(Exception error)
    {
        for (var e = error; e is not null; e = e.InnerException)
        {
            yield return e;
            if (e is AggregateException aggregate)
            {
                foreach (var inner in aggregate.InnerExceptions.SelectMany(Flatten))
                {
                    yield return inner;
                }
            }
        }
    }
}
