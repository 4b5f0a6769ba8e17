using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Derbes.Bench;

internal static class BenchPaths
{
    /// <summary>The repository folder (where Derbes.slnx is), found from the benchmark's own binaries.</summary>
    public static string Root()
    {
        var folder = new DirectoryInfo(AppContext.BaseDirectory);
        while (folder is not null && !File.Exists(Path.Combine(folder.FullName, "Derbes.slnx")))
        {
            folder = folder.Parent;
        }
        return folder?.FullName ?? throw new InvalidOperationException("Run from the repository.");
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public static double Percentile(double[] sorted, double p) =>
        sorted.Length == 0 ? double.NaN : sorted[(int)Math.Min(sorted.Length - 1, Math.Ceiling(sorted.Length * p) - 1)];

    /// <summary>User plus system CPU of one thread or process, in milliseconds, from a /proc stat file.</summary>
    public static double CpuMs(string statFile, bool withWaitedChildren = false)
    {
        var stat = File.ReadAllText(statFile);
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
        if (withWaitedChildren)
        {
            ticks += long.Parse(fields[13], CultureInfo.InvariantCulture) + long.Parse(fields[14], CultureInfo.InvariantCulture);
        }
        return ticks * 1000.0 / 100; // USER_HZ is 100 on Linux
    }
}

/// <summary>The built site, started as its own process, as an operator would run it.</summary>
internal static class BenchSite
{
    public static Process Start(string root, string data, string baseUrl, IReadOnlyDictionary<string, string> environment)
    {
        var start = StartInfo(root, data, environment, "--urls", baseUrl);
        if (Environment.GetEnvironmentVariable("BENCH_SPIN") is { } spin) { start.Environment["DOTNET_ThreadPool_UnfairSemaphoreSpinLimit"] = spin; }
        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, e) => { if (e.Data is not null && Environment.GetEnvironmentVariable("BENCH_SITE_STDOUT") == "1") { Console.WriteLine("[site-out] " + e.Data); } };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { Console.Error.WriteLine("[site] " + e.Data); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    /// <summary>
    /// One of the site's operator commands (e.g. <c>backup</c>) as its own process over the same configuration and data
    /// folder, as the site's schedule or an operator runs it; returns its exit code and output.
    /// </summary>
    public static async Task<(int ExitCode, string Output)> CommandAsync(string root, string data, IReadOnlyDictionary<string, string> environment, params string[] command)
    {
        var start = StartInfo(root, data, environment, command);
        using var process = Process.Start(start)!;
        var output = new System.Text.StringBuilder();
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) { lock (output) { output.AppendLine(e.Data); } } };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { lock (output) { output.AppendLine(e.Data); } } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        await process.WaitForExitAsync();
        return (process.ExitCode, output.ToString());
    }

    private static ProcessStartInfo StartInfo(string root, string data, IReadOnlyDictionary<string, string> environment, params string[] arguments)
    {
        var contentRoot = Path.Combine(root, "src", "Derbes.Web");
        var dll = Path.Combine(contentRoot, "bin", "Release", "net10.0", "Derbes.Web.dll");
        var start = new ProcessStartInfo("dotnet", [dll, .. arguments, "--contentRoot", contentRoot])
        {
            WorkingDirectory = contentRoot,
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        // Plain http on loopback needs the Development cookie rules; everything else is as in production.
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Development";
        start.Environment["Data__Directory"] = data;
        start.Environment["Logging__LogLevel__Default"] = "Warning";
        start.Environment["RateLimits__AccountPostsPerWindow"] = "100000000";
        start.Environment["RateLimits__ConcurrentAccountPosts"] = "1000";
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }
        return start;
    }

    public static async Task StopAsync(Process site)
    {
        if (!site.HasExited)
        {
            site.Kill(entireProcessTree: true);
        }
        await site.WaitForExitAsync();
    }

    public static async Task WaitReadyAsync(string baseUrl, Process site)
    {
        using var http = new HttpClient();
        for (var i = 0; i < 240; i++)
        {
            if (site.HasExited)
            {
                throw new InvalidOperationException($"The site exited at start (code {site.ExitCode}).");
            }
            try
            {
                if ((await http.GetAsync(baseUrl + "/health/ready")).IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }
            await Task.Delay(250);
        }
        throw new TimeoutException("The site did not start.");
    }
}
