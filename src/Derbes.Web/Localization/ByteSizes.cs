using System.Globalization;
using Microsoft.Extensions.Localization;

namespace Derbes.Web.Localization;

/// <summary>A file's size as people read it, in the page's language: KB below a megabyte, MB below a gigabyte, then GB.</summary>
public static class ByteSizes
{
    public static string Format(IStringLocalizer localizer, long bytes)
    {
        ArgumentNullException.ThrowIfNull(localizer);
        const double Mb = 1024.0 * 1024;
        return bytes switch
        {
            >= 1024L * 1024 * 1024 => localizer["Size.Gb", (bytes / (Mb * 1024)).ToString("0.0", CultureInfo.CurrentCulture)].Value,
            >= 1024 * 1024 => localizer["MyDocuments.SizeMb", (bytes / Mb).ToString("0.0", CultureInfo.CurrentCulture)].Value,
            _ => localizer["MyDocuments.SizeKb", Math.Max(1, (bytes + 1023) / 1024)].Value,
        };
    }
}
