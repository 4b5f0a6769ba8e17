using System.Globalization;
using System.Runtime.InteropServices;

namespace Derbes.Web.Backups;

/// <summary>
/// Lowers the CPU priority (the nice value) of the whole current process on Linux, so that a long archive copy
/// yields the cores to the site's sign-ins instead of raising their latency. On Linux a nice value belongs to each
/// thread, and a new thread starts with its creator's: so every thread the process has is lowered (until no new one
/// appears), after which every thread it creates, and every child process such as <c>pg_dump</c>, starts lowered too.
/// </summary>
public static class ProcessPriority
{
    private const int PrioProcess = 0;

    /// <summary>
    /// Sets the nice value of every thread of this process to <paramref name="nice"/> (never raises one: that needs
    /// privileges). False where this is not Linux.
    /// </summary>
    public static bool Lower(int nice)
    {
        if (!OperatingSystem.IsLinux())
        {
            return false;
        }
        var done = new HashSet<int>();
        // Threads started while the folder is read are found on the next pass.
        for (var pass = 0; pass < 10; pass++)
        {
            var found = false;
            foreach (var id in ThreadIds().Where(done.Add))
            {
                found = true;
                if (Nice(id) is { } current && current < nice)
                {
                    // A thread that ended since the folder was read fails with ESRCH: nothing to lower.
                    _ = SetPriority(PrioProcess, (uint)id, nice);
                }
            }
            if (!found)
            {
                break;
            }
        }
        return true;
    }

    /// <summary>The nice values of this process's threads (Linux), for the command's report and the tests.</summary>
    public static IReadOnlyList<int> ThreadNiceValues() =>
        OperatingSystem.IsLinux() ? ThreadIds().Select(Nice).OfType<int>().ToList() : [];

    /// <summary>This process's thread ids, from <c>/proc/self/task</c>.</summary>
    private static IEnumerable<int> ThreadIds() =>
        Directory.EnumerateDirectories("/proc/self/task")
            .Select(task => int.TryParse(Path.GetFileName(task), NumberStyles.None, CultureInfo.InvariantCulture, out var id) ? id : -1)
            .Where(id => id > 0);

    /// <summary>The nice value of one thread from <c>/proc/self/task/ID/stat</c> (field 19), or null when it has ended.</summary>
    private static int? Nice(int thread)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/self/task/{thread}/stat");
            // The command name (field 2) is in parentheses and may hold spaces: count fields after its closing one.
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return int.Parse(fields[16], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
        }
        catch (IOException)
        {
            return null;
        }
    }

    // A plain DllImport: every argument is blittable, so nothing is marshalled, and the project needs no unsafe code
    // for the LibraryImport generator's output.
#pragma warning disable SYSLIB1054
    [DllImport("libc", EntryPoint = "setpriority", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int SetPriority(int which, uint who, int priority);
#pragma warning restore SYSLIB1054
}
