using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Derbes.Web.Documents;

public static class DocumentStoreRegistration
{
    /// <summary>
    /// Binds <see cref="DocumentStoreOptions"/> (checked at start) and registers the configured <see cref="IDocumentStore"/>
    /// as a singleton, so the container disposes the S3 client on shutdown. The S3 bucket must exist already:
    /// nothing here creates it (an operator's decision; the tests create their own).
    /// </summary>
    public static IServiceCollection AddDerbesDocumentStore(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<DocumentStoreOptions>().Bind(configuration.GetSection(DocumentStoreOptions.Section)).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<DocumentStoreOptions>, DocumentStoreOptionsValidator>());
        // Chosen when first resolved, from the validated options, rather than from raw configuration at registration.
        services.AddSingleton<IDocumentStore>(sp => sp.GetRequiredService<IOptions<DocumentStoreOptions>>().Value.Kind switch
        {
            DocumentStoreKind.S3 => ActivatorUtilities.CreateInstance<S3DocumentStore>(sp),
            _ => ActivatorUtilities.CreateInstance<FileSystemDocumentStore>(sp),
        });
        return services;
    }
}
