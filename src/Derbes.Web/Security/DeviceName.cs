namespace Derbes.Web.Security;

/// <summary>
/// A readable name for the browser and system a session was opened from ("Chrome · Android"), so a customer
/// can tell their own devices apart in the list of sessions. Only the browser's family and the operating
/// system are named: no versions, no model, nothing more than the customer needs to recognise the device.
/// The order of the checks matters because user agents imitate each other (Edge, Opera and Yandex say
/// "Chrome", Chrome says "Safari", Android says "Linux", iOS says "like Mac OS X").
/// </summary>
public static class DeviceName
{
    private static readonly (string Token, string Name)[] Browsers =
    [
        ("YaBrowser/", "Yandex Browser"),
        ("SamsungBrowser/", "Samsung Internet"),
        ("OPR/", "Opera"),
        ("OPiOS/", "Opera"),
        ("Opera", "Opera"),
        ("EdgA/", "Edge"),
        ("EdgiOS/", "Edge"),
        ("Edg/", "Edge"),
        ("Edge/", "Edge"),
        ("FxiOS/", "Firefox"),
        ("Firefox/", "Firefox"),
        ("CriOS/", "Chrome"),
        ("Chromium/", "Chromium"),
        ("Chrome/", "Chrome"),
    ];

    private static readonly (string Token, string Name)[] Systems =
    [
        ("Windows Phone", "Windows Phone"),
        ("Windows", "Windows"),
        ("iPhone", "iPhone"),
        ("iPad", "iPad"),
        ("iPod", "iPod"),
        ("Android", "Android"),
        ("CrOS", "ChromeOS"),
        ("Macintosh", "macOS"),
        ("Mac OS X", "macOS"),
        ("Ubuntu", "Linux"),
        ("Linux", "Linux"),
    ];

    /// <summary>"Browser · system", or only the part that is known, or null when neither is recognised.</summary>
    public static string? From(string? userAgent)
    {
        if (string.IsNullOrWhiteSpace(userAgent))
        {
            return null;
        }
        var browser = Browser(userAgent);
        var system = Systems.FirstOrDefault(s => userAgent.Contains(s.Token, StringComparison.Ordinal)).Name;
        return (browser, system) switch
        {
            (not null, not null) => browser + " · " + system,
            (not null, null) => browser,
            (null, not null) => system,
            _ => null,
        };
    }

    private static string? Browser(string userAgent)
    {
        var known = Browsers.FirstOrDefault(b => userAgent.Contains(b.Token, StringComparison.Ordinal)).Name;
        if (known is not null)
        {
            return known;
        }
        // Safari names itself only by "Version/… Safari/…"; the in-app browsers of iOS omit "Version/".
        if (userAgent.Contains("Safari/", StringComparison.Ordinal) && userAgent.Contains("Version/", StringComparison.Ordinal))
        {
            return "Safari";
        }
        return null;
    }
}
