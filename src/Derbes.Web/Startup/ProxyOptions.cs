using System.Net;
using Microsoft.AspNetCore.HttpOverrides;

namespace Derbes.Web.Startup;

/// <summary>
/// The load balancers or reverse proxies in front of Derbes. Only their X-Forwarded-For and X-Forwarded-Proto
/// are believed, so the per-IP limit, sign-in history and audit see the customer's address, not the proxy's,
/// and nobody else can claim an address by sending the header.
/// </summary>
public sealed class ProxyOptions
{
    public const string Section = "Proxy";

    /// <summary>Addresses of trusted proxies, e.g. <c>10.0.0.5</c>.</summary>
    public List<string> KnownProxies { get; set; } = [];

    /// <summary>Trusted proxy networks in CIDR form, e.g. <c>10.0.0.0/24</c>.</summary>
    public List<string> KnownNetworks { get; set; } = [];

    /// <summary>How many proxies in a row to unwrap.</summary>
    public int ForwardLimit { get; set; } = 1;

    public bool Configured => KnownProxies.Count > 0 || KnownNetworks.Count > 0;

    public void ApplyTo(ForwardedHeadersOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;
        options.ForwardLimit = ForwardLimit;
        // Only what is configured here: not even the loopback defaults.
        options.KnownProxies.Clear();
        options.KnownIPNetworks.Clear();
        foreach (var proxy in KnownProxies)
        {
            options.KnownProxies.Add(IPAddress.Parse(proxy));
        }
        foreach (var network in KnownNetworks)
        {
            options.KnownIPNetworks.Add(System.Net.IPNetwork.Parse(network));
        }
    }
}
