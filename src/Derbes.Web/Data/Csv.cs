using System.Text;

namespace Derbes.Web.Data;

/// <summary>The CSV files the back office exports: UTF-8 with a byte order mark (spreadsheets then read Cyrillic), CRLF lines.</summary>
public static class Csv
{
    /// <summary>Quoted, with a leading apostrophe for anything a spreadsheet would run as a formula.</summary>
    public static string Cell(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var safe = value.Length > 0 && "=+-@\t\r".Contains(value[0], StringComparison.Ordinal) ? "'" + value : value;
        return "\"" + safe.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
    }

    public static byte[] Bytes(StringBuilder csv)
    {
        ArgumentNullException.ThrowIfNull(csv);
        return [.. Encoding.UTF8.GetPreamble(), .. Encoding.UTF8.GetBytes(csv.ToString())];
    }
}
