using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.OpenApi;

namespace Derbes.Web.Api;

/// <summary>
/// The JSON API of the mobile app under /api/v1, described at /openapi/v1.json. Minimal APIs in route groups:
/// <see cref="AuthEndpoints"/> (tokens) and <see cref="MeEndpoints"/> (the cabinet). Bearer tokens only
/// (<see cref="ApiAuthentication"/>), every error problem+json (<see cref="ApiProblems"/>), enums as kebab-case
/// strings, never numbers.
/// </summary>
public static class ApiSetup
{
    public const string Prefix = "/api";
    public const string DocumentName = "v1";

    public static void AddDerbesApi(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        services.AddOptions<ApiOptions>().BindConfiguration(ApiOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddScoped<AppTokens>();
        services.AddAuthorizationBuilder()
            .AddPolicy(ApiAuthentication.CustomerPolicy, p => p.AddAuthenticationSchemes(ApiAuthentication.BearerScheme).RequireAuthenticatedUser());
        services.AddExceptionHandler<ApiExceptionHandler>();
        services.Configure<JsonOptions>(o => o.SerializerOptions.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower)));
        // A body that is not JSON is a 400 problem in every environment, never an exception page.
        services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = false);
        services.AddOpenApi(DocumentName, o =>
        {
            o.ShouldInclude = d => d.RelativePath?.StartsWith("api/", StringComparison.Ordinal) == true;
            o.AddDocumentTransformer((document, _, _) =>
            {
                document.Info = new OpenApiInfo
                {
                    Title = "Derbes API",
                    Version = DocumentName,
                    Description = "The SMALL customer cabinet for the mobile app. Sign in at /api/v1/auth/token, send the access token as "
                        + "`Authorization: Bearer …`, exchange the refresh token at /api/v1/auth/refresh before it expires. Every error is "
                        + "application/problem+json with a stable `type` (urn:derbes:problem:…) and a `detail` in the Accept-Language (kk, ru, en).",
                };
                document.Components ??= new OpenApiComponents();
                document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
                document.Components.SecuritySchemes[ApiAuthentication.BearerScheme] = new OpenApiSecurityScheme
                {
                    Type = SecuritySchemeType.Http,
                    Scheme = "bearer",
                    BearerFormat = "opaque",
                    Description = "The access token from /api/v1/auth/token or /api/v1/auth/refresh.",
                };
                return Task.CompletedTask;
            });
            o.AddOperationTransformer((operation, context, _) =>
            {
                var metadata = context.Description.ActionDescriptor.EndpointMetadata;
                if (metadata.OfType<IAuthorizeData>().Any() && !metadata.OfType<IAllowAnonymous>().Any())
                {
                    operation.Security ??= [];
                    operation.Security.Add(new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(ApiAuthentication.BearerScheme, context.Document)] = [] });
                }
                return Task.CompletedTask;
            });
        });
    }

    public static void MapDerbesApi(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var api = app.MapGroup(Prefix + "/v1");
        api.MapAuth();
        api.MapMe();
        // Public: it describes the API, not anyone's data.
        app.MapOpenApi("/openapi/{documentName}.json");
    }
}
