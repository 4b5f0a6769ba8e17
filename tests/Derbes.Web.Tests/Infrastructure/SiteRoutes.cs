using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Patterns;
using Microsoft.Extensions.DependencyInjection;

namespace Derbes.Web.Tests.Infrastructure;

/// <summary>One route of the app, as the tests that go over the whole site see it.</summary>
/// <param name="Pattern">As declared: "/cabinet/documents/{id:guid}".</param>
/// <param name="Path">An address that reaches it, with made-up values: a new guid, 1 for a number, "made-up" otherwise.</param>
/// <param name="Methods">The methods it declares; empty for a Razor page, which takes any.</param>
/// <param name="Takes">The content types it declares it takes (multipart for uploads); empty when it declares none.</param>
/// <param name="NeedsSignIn">Whether its own metadata asks for an authorized caller (conventions included).</param>
public sealed record SiteRoute(string Pattern, string Path, IReadOnlyList<string> Methods, IReadOnlyList<string> Takes, bool NeedsSignIn)
{
    public bool Api => Path.StartsWith("/api/", StringComparison.Ordinal);

    /// <summary>Whether it answers <paramref name="method"/>: a Razor page answers any.</summary>
    public bool Answers(string method) => Methods.Count == 0 || Methods.Contains(method);
}

public static class SiteRoutes
{
    /// <summary>
    /// Every route of the app, read from its endpoint table, so a page added later is in every list at once. An
    /// optional value is left out of the path; a required one is made up, which the site answers (mostly 404) like any
    /// address a visitor could type.
    /// </summary>
    public static List<SiteRoute> All(IServiceProvider services)
    {
        ArgumentNullException.ThrowIfNull(services);
        var routes = new List<SiteRoute>();
        foreach (var endpoint in services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>())
        {
            var pattern = endpoint.RoutePattern;
            var segments = pattern.PathSegments.Select(s => string.Concat(s.Parts.Select(Value))).Where(s => s.Length > 0);
            var methods = endpoint.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? [];
            var takes = endpoint.Metadata.GetMetadata<IAcceptsMetadata>()?.ContentTypes ?? [];
            var needsSignIn = endpoint.Metadata.GetMetadata<IAuthorizeData>() is not null && endpoint.Metadata.GetMetadata<IAllowAnonymous>() is null;
            routes.Add(new SiteRoute("/" + (pattern.RawText ?? "").TrimStart('/'), "/" + string.Join('/', segments), [.. methods], [.. takes], needsSignIn));
        }
        return [.. routes.DistinctBy(r => (r.Path, string.Join(',', r.Methods)))];

        static string Value(RoutePatternPart part) => part switch
        {
            RoutePatternLiteralPart literal => literal.Content,
            RoutePatternSeparatorPart separator => separator.Content,
            RoutePatternParameterPart { IsOptional: true } => "",
            RoutePatternParameterPart p when p.ParameterPolicies.Any(c => c.Content == "guid") => Guid.NewGuid().ToString(),
            RoutePatternParameterPart p when p.ParameterPolicies.Any(c => c.Content is "long" or "int") => "1",
            _ => "made-up",
        };
    }
}
