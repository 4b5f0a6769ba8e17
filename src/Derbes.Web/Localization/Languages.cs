using System.Globalization;

namespace Derbes.Web.Localization;

/// <summary>Kazakh first (the default and the authoritative language of the policy), then Russian, then English.</summary>
public static class Languages
{
    public const string Kazakh = "kk";
    public const string Russian = "ru";
    public const string English = "en";
    public const string CookieName = "derbes-lang";

    public static readonly string[] All = [Kazakh, Russian, English];

    public static bool IsSupported(string? code) => code is not null && All.Contains(code, StringComparer.Ordinal);

    public static string OrDefault(string? code) => IsSupported(code) ? code! : Kazakh;

    public static string Current => OrDefault(CultureInfo.CurrentUICulture.TwoLetterISOLanguageName);

    /// <summary>Runs <paramref name="action"/> with the UI culture of <paramref name="language"/> (for emails and SMS in the recipient's language).</summary>
    public static T In<T>(string language, Func<T> action)
    {
        ArgumentNullException.ThrowIfNull(action);
        var (culture, ui) = (CultureInfo.CurrentCulture, CultureInfo.CurrentUICulture);
        try
        {
            CultureInfo.CurrentCulture = CultureInfo.CurrentUICulture = CultureInfo.GetCultureInfo(OrDefault(language));
            return action();
        }
        finally
        {
            (CultureInfo.CurrentCulture, CultureInfo.CurrentUICulture) = (culture, ui);
        }
    }
}
