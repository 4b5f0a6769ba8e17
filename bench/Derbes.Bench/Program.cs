using System.Globalization;
using Derbes.Bench;

// Benchmarks of Derbes (bench/README.md), kept out of the test run.
//   Derbes.Bench [seconds] [customers] [clients] [--provider sqlite|postgres|both]
//       Sign-in capacity against the password hash's own cost, per database provider, side by side.
//   Derbes.Bench notices [customers]
//       Publishes an edition to that many customers in PostgreSQL and times the queueing of every notice.
//   Derbes.Bench campaign [customers] [emails]
//       Plans an email campaign to that many customers in PostgreSQL and measures the sender against a local SMTP sink.
//   Derbes.Bench statistics [customers] [renders]
//       Loads customers with a year of history into PostgreSQL, runs the statistics job once and times /admin/statistics.
//   Derbes.Bench scale [customers] [lookups]
//       Bulk-loads customers into PostgreSQL and times the account look-ups on the database server.
//   Derbes.Bench backup [customers] [documents] [--sqlite | --sqlite-only] [--document-kb N]
//       An archive copy of that many customers and documents while customers sign in, then its verified restore.
if (args.Length > 0 && args[0] == "notices")
{
    return await NoticeBench.RunAsync(BenchPaths.Root(), args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 1_000_000);
}
if (args.Length > 0 && args[0] == "campaign")
{
    var customers = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 1_000_000;
    var emails = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 5_000;
    return await CampaignBench.RunAsync(BenchPaths.Root(), customers, emails);
}
if (args.Length > 0 && args[0] == "statistics")
{
    var customers = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 1_000_000;
    var renders = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 20;
    return await StatisticsBench.RunAsync(BenchPaths.Root(), customers, renders);
}
if (args.Length > 0 && args[0] == "backup")
{
    return await BackupBench.RunAsync(BenchPaths.Root(), args[1..]);
}
if (args.Length > 0 && args[0] == "scale")
{
    var customers = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 1_000_000;
    var lookups = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 1_000;
    return await ScaleCheck.RunAsync(BenchPaths.Root(), customers, lookups);
}

var provider = "sqlite";
var numbers = new List<int>();
for (var i = 0; i < args.Length; i++)
{
    if (args[i] == "--provider" && i + 1 < args.Length)
    {
        provider = args[++i].ToLowerInvariant();
    }
    else
    {
        numbers.Add(int.Parse(args[i], CultureInfo.InvariantCulture));
    }
}
var providers = provider switch
{
    "sqlite" => new[] { BenchProvider.Sqlite },
    "postgres" => [BenchProvider.Postgres],
    "both" => [BenchProvider.Sqlite, BenchProvider.Postgres],
    _ => throw new ArgumentException($"Unknown provider '{provider}': sqlite, postgres or both."),
};
var seconds = numbers.Count > 0 ? numbers[0] : 60;
var customerCount = numbers.Count > 1 ? numbers[1] : 10_000;
var clients = numbers.Count > 2 ? numbers[2] : 2 * Environment.ProcessorCount;

var results = new List<SignInResult>();
foreach (var p in providers)
{
    results.Add(await SignInBench.RunAsync(BenchPaths.Root(), p, seconds, customerCount, clients));
}
SignInBench.PrintTable(results);
return results.All(r => r.Pass) ? 0 : 1;
