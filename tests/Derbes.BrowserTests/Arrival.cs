using System.Text.RegularExpressions;
using Microsoft.Playwright;

namespace Derbes.BrowserTests;

/// <summary>
/// Waiting for the page a click or a form leads to, by asking the browser rather than by listening for its events.
/// <c>IPage.WaitForURLAsync</c> waits for the "load" event after the address matches; twice in full runs on a busy
/// 2-core machine that event never reached the test although the page had loaded (the waiter's log showed only
/// "NetworkIdle" firing), and the walk stopped at the 60-s timeout on a page that was there. Polling the address and
/// <c>document.readyState</c> cannot miss an event, and still fails when the page really does not come.
/// </summary>
internal static class Arrival
{
    /// <summary>The same timeout as the walks' contexts (see <see cref="Walk.PhoneAsync"/>).</summary>
    private const float Timeout = 60_000;

    /// <summary>
    /// Waits until the page's address ends with <paramref name="pathGlob"/> after its leading <c>**</c> (the form
    /// <c>WaitForURLAsync</c> took here: "**/cabinet") and its document has loaded.
    /// </summary>
    public static Task ArriveAsync(this IPage page, string pathGlob)
    {
        ArgumentNullException.ThrowIfNull(pathGlob);
        if (!pathGlob.StartsWith("**/", StringComparison.Ordinal) || pathGlob.IndexOfAny(['*', '?', '{', '['], 2) >= 0)
        {
            throw new ArgumentException($"Expected \"**/\" and a literal path, not \"{pathGlob}\".", nameof(pathGlob));
        }
        return page.ArriveAsync(new Regex(Regex.Escape(pathGlob[2..]) + "$"));
    }

    /// <summary>Waits until the page's address matches <paramref name="address"/> and its document has loaded.</summary>
    public static async Task ArriveAsync(this IPage page, Regex address)
    {
        ArgumentNullException.ThrowIfNull(page);
        await Assertions.Expect(page).ToHaveURLAsync(address, new PageAssertionsToHaveURLOptions { Timeout = Timeout });
        await page.LoadedAsync();
    }

    /// <summary>Waits until the page's current document has loaded (<c>document.readyState</c> is "complete").</summary>
    public static async Task LoadedAsync(this IPage page)
    {
        ArgumentNullException.ThrowIfNull(page);
        await page.WaitForFunctionAsync("() => document.readyState === 'complete'", null, new PageWaitForFunctionOptions { Timeout = Timeout });
    }
}
