using System.Diagnostics;
using System.Globalization;
using Derbes.Web.Campaigns;
using Derbes.Web.Consents;
using Derbes.Web.Data;
using Derbes.Web.Messaging;
using Derbes.Web.Security;
using MailKit.Net.Smtp;
using MailKit.Security;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.Options;
using MimeKit;
using Npgsql;

namespace Derbes.Bench;

/// <summary>
/// Issue 8's benchmark: an advertising email campaign to a million customers on PostgreSQL.
/// <list type="number">
/// <item>Planning: the site's own CampaignSender resolves the audience (active, confirmed, latest email advertising
/// consent record a grant) and queues one held outbox row per recipient. Target: under 2 minutes.</item>
/// <item>Sending: the site's own outbox worker delivers released campaign emails to a local SMTP sink; the sink's own
/// throughput is measured with a plain MailKit client sending the very messages the app sent, over the same
/// connection pattern. The app's time per email minus the sink's is the sender's own overhead. Target: under 2 ms.</item>
/// </list>
/// </summary>
internal static class CampaignBench
{
    private const double PlanTargetSeconds = 120;
    private const double OverheadTargetMs = 2;
    private const int WarmUpEmails = 2000;

    public static async Task<int> RunAsync(string root, int customers, int emails)
    {
        Console.WriteLine($"Derbes campaign: {Environment.ProcessorCount} cores, {customers:N0} customers, PostgreSQL; {emails:N0} emails to the SMTP sink");
        var data = Path.Combine(Path.GetTempPath(), "derbes-bench", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(data);
        PostgresCluster? cluster = null;
        try
        {
            cluster = await PostgresCluster.StartAsync(root);
            await cluster.TuneForBulkLoadAsync();
            var connectionString = await cluster.CreateDatabaseAsync("derbes_campaign");
            var options = new DbContextOptionsBuilder<PostgresDerbesDb>().UseNpgsql(connectionString)
                .ConfigureWarnings(w => w.Ignore(CoreEventId.MappedPropertyIgnoredWarning)).Options;
            await using (var db = new PostgresDerbesDb(options))
            {
                await db.Database.MigrateAsync();
            }
            var keys = new MasterKeyRing(Options.Create(new KeyOptions()), new DataDirectory(data));
            string hash;
            using (var hasher = new Argon2PasswordHasher(Options.Create(new PasswordHashingOptions())))
            {
                hash = hasher.Hash(SignInBench.Password);
            }
            var load = Stopwatch.StartNew();
            var rows = ScaleCheck.Load(connectionString, options, keys, new BlindIndex(keys), hash, customers, advertising: true);
            var expected = Enumerable.Range(0, customers).Count(i => ScaleCheck.AdvertisingEmail(i) == ScaleCheck.AdvertisingChoice.Granted);
            Console.WriteLine($"Loaded {rows.Users:N0} customers in {load.Elapsed.TotalSeconds:F0} s; email advertising consent: {expected:N0} granted as their latest record "
                + $"({customers - expected:N0} without: never agreed, or agreed and withdrew later)");
            await ScaleCheck.ExecuteAsync(connectionString, "ANALYZE");

            var plan = await PlanAsync(root, data, options, connectionString, customers, expected);
            var send = await SendAsync(root, data, options, connectionString, cluster, plan.CampaignId, emails);

            Console.WriteLine();
            Console.WriteLine("| Figure | Measured | Target |");
            Console.WriteLine("|---|---|---|");
            Console.WriteLine($"| Planning: scheduled time to every recipient queued ({plan.Queued:N0} held outbox rows) | {plan.Seconds:F1} s | < {PlanTargetSeconds:F0} s |");
            Console.WriteLine($"| SMTP sink alone ({send.Pattern}) | {1000 / send.SinkMs:N0} emails/s ({send.SinkMs:F3} ms each) | |");
            Console.WriteLine($"| Derbes outbox worker to the sink ({emails:N0} campaign emails) | {1000 / send.AppMs:N0} emails/s ({send.AppMs:F3} ms each) | |");
            Console.WriteLine($"| Sender's own overhead per email (app − sink) | {send.AppMs - send.SinkMs:F3} ms | < {OverheadTargetMs:F0} ms |");
            var planPass = plan.Correct && plan.Seconds < PlanTargetSeconds;
            var sendPass = send.Correct && send.AppMs - send.SinkMs < OverheadTargetMs;
            Console.WriteLine($"Planning {(planPass ? "PASS" : "FAIL")}; sender overhead {(sendPass ? "PASS" : "FAIL")}");
            return planPass && sendPass ? 0 : 1;
        }
        finally
        {
            if (cluster is not null)
            {
                await cluster.DisposeAsync();
            }
            Directory.Delete(data, recursive: true);
        }
    }

    private sealed record PlanResult(long CampaignId, int Queued, double Seconds, bool Correct);

    /// <summary>
    /// Starts the site with the campaign job every second and the outbox worker off (the window closed, so nothing
    /// is released), schedules the campaign for now and waits until its run says every recipient is queued.
    /// </summary>
    private static async Task<PlanResult> PlanAsync(string root, string data, DbContextOptions<PostgresDerbesDb> options, string connectionString, int customers, int expected)
    {
        await PrintBatchPlanAsync(options, connectionString, customers);
        var baseUrl = $"http://127.0.0.1:{BenchPaths.FreePort()}";
        using var site = BenchSite.Start(root, data, baseUrl, new Dictionary<string, string>
        {
            ["Database__Provider"] = "Postgres",
            ["ConnectionStrings__Derbes"] = connectionString,
            ["Campaigns__Interval"] = "00:00:01",
            // Queued, not sent: planning is measured alone. A window of no length never opens, so nothing is released.
            ["Outbox__Enabled"] = "false",
            ["Campaigns__WindowStart"] = "00:00:00",
            ["Campaigns__WindowEnd"] = "00:00:00",
        });
        try
        {
            await BenchSite.WaitReadyAsync(baseUrl, site);
            var siteCpu = BenchPaths.CpuMs($"/proc/{site.Id}/stat");
            var scheduled = DateTimeOffset.UtcNow;
            long id;
            await using (var db = new PostgresDerbesDb(options))
            {
                var campaign = NewCampaign(scheduled);
                db.Campaigns.Add(campaign);
                await db.SaveChangesAsync();
                id = campaign.Id;
            }
            var reference = Campaign.ReferenceOf(id);
            Console.WriteLine($"Campaign {id} scheduled for {scheduled:HH:mm:ss.fff} UTC (advertising, email, kk + ru)");
            var (run, startedAt) = await WaitPlannedAsync(options, id, TimeSpan.FromMinutes(10));
            var seconds = (run.PlannedAt!.Value - scheduled).TotalSeconds;
            var cpu = BenchPaths.CpuMs($"/proc/{site.Id}/stat") - siteCpu;
            Console.WriteLine($"Started {(startedAt - scheduled).TotalSeconds:F1} s after its time; every recipient queued {seconds:F1} s after it (site CPU {cpu / 1000:F1} s)");

            // What is in the outbox: one held row per recipient, each recipient once, none for anyone outside the audience.
            await using var connection = new NpgsqlConnection(connectionString);
            await connection.OpenAsync();
            var total = await ScalarAsync(connection, """SELECT count(*) FROM "Outbox" WHERE "Reference" = @r""", reference);
            var accounts = await ScalarAsync(connection, """SELECT count(DISTINCT "AccountId") FROM "Outbox" WHERE "Reference" = @r""", reference);
            var notHeld = await ScalarAsync(connection, $"""SELECT count(*) FROM "Outbox" WHERE "Reference" = @r AND "AvailableAt" <> '{OutboxMessage.Held:yyyy-MM-dd} 00:00:00+00'""", reference);
            var outside = await ScalarAsync(connection, $"""
                SELECT count(*) FROM "Outbox" o WHERE o."Reference" = @r AND NOT coalesce((
                    SELECT c."Granted" FROM "ConsentRecords" c
                    WHERE c."AccountId" = o."AccountId" AND c."Purpose" = {(int)ConsentPurpose.AdvertisingEmail}
                    ORDER BY c."Id" DESC LIMIT 1), false)
                """, reference);
            var correct = run.Queued == expected && total == expected && accounts == expected && notHeld == 0 && outside == 0;
            Console.WriteLine($"Queued {run.Queued:N0} (expected audience {expected:N0}); outbox rows for {reference}: {total:N0}, distinct customers {accounts:N0}, "
                + $"not held {notHeld:N0}, for customers whose latest record is not a grant {outside:N0}: {(correct ? "correct" : "WRONG")}");
            return new PlanResult(id, run.Queued, seconds, correct);
        }
        finally
        {
            await BenchSite.StopAsync(site);
        }
    }

    /// <summary>The SQL of one planning step, from the app's own query (CampaignSender.NextBatch), and its plan at the start and half way.</summary>
    private static async Task PrintBatchPlanAsync(DbContextOptions<PostgresDerbesDb> options, string connectionString, int customers)
    {
        await using var db = new PostgresDerbesDb(options);
        var campaign = NewCampaign(DateTimeOffset.UtcNow);
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        foreach (var (label, cursor) in new[] { ("first batch", ""), ("a batch half way", (1_000_000_000 + customers / 2).ToString(CultureInfo.InvariantCulture)) })
        {
            await using var query = CampaignSender.NextBatch(db, campaign, cursor, 5000).CreateDbCommand();
            if (cursor.Length == 0)
            {
                Console.WriteLine("== One planning step's query (CampaignSender.NextBatch, 5,000 a batch):");
                Console.WriteLine(query.CommandText);
            }
            await using var explain = new NpgsqlCommand("EXPLAIN (ANALYZE, BUFFERS) " + query.CommandText, connection);
            foreach (var parameter in query.Parameters.Cast<NpgsqlParameter>())
            {
                explain.Parameters.Add(parameter.Clone());
            }
            var lines = new List<string>();
            await using (var reader = await explain.ExecuteReaderAsync())
            {
                while (await reader.ReadAsync())
                {
                    lines.Add(reader.GetString(0));
                }
            }
            Console.WriteLine($"-- plan, {label}:");
            foreach (var line in cursor.Length == 0 ? lines : lines.Where(l => l.Contains("Time", StringComparison.Ordinal)))
            {
                Console.WriteLine("   " + line);
            }
        }
    }

    private static Campaign NewCampaign(DateTimeOffset at)
    {
        var campaign = new Campaign
        {
            Name = "Benchmark: autumn prices",
            Kind = CampaignKind.Advertising,
            Channel = MessageChannel.Email,
            Status = CampaignStatus.Scheduled,
            ScheduledFor = at,
            CreatedBy = Guid.NewGuid(),
            CreatedAt = at,
            UpdatedAt = at,
        };
        campaign.Texts.Add(new CampaignText
        {
            Language = "kk",
            Subject = "SMALL: күзгі бағалар",
            Body = "## Күзгі бағалар\n\nОсы аптада **көкөніс пен жеміс** арзандады:\n\n- алма — 20 %\n- картоп — 15 %\n- қияр — 10 %\n\nТолығырақ: [small.kz/aksiya](https://small.kz/aksiya)",
        });
        campaign.Texts.Add(new CampaignText
        {
            Language = "ru",
            Subject = "SMALL: осенние цены",
            Body = "## Осенние цены\n\nНа этой неделе **овощи и фрукты** дешевле:\n\n- яблоки — 20 %\n- картофель — 15 %\n- огурцы — 10 %\n\nПодробнее: [small.kz/aksiya](https://small.kz/aksiya)",
        });
        return campaign;
    }

    private static async Task<(CampaignRun Run, DateTimeOffset StartedAt)> WaitPlannedAsync(DbContextOptions<PostgresDerbesDb> options, long id, TimeSpan longest)
    {
        var until = DateTime.UtcNow + longest;
        var last = -1;
        while (DateTime.UtcNow < until)
        {
            await Task.Delay(200);
            await using var db = new PostgresDerbesDb(options);
            var run = await db.CampaignRuns.AsNoTracking().SingleOrDefaultAsync(r => r.CampaignId == id);
            if (run?.PlannedAt is not null)
            {
                var started = await db.Campaigns.AsNoTracking().Where(c => c.Id == id).Select(c => c.StartedAt).SingleAsync();
                return (run, started!.Value);
            }
            if (run is not null && run.Queued / 100_000 != last)
            {
                last = run.Queued / 100_000;
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  … {run.Queued:N0} queued"));
            }
        }
        throw new TimeoutException("The campaign was not planned in time.");
    }

    private sealed record SendResult(double AppMs, double SinkMs, string Pattern, bool Correct);

    /// <summary>
    /// The site with the outbox worker on and SMTP to the sink; the window open all day every day (the default is
    /// working days 09:00–21:00 Almaty, which would make the result depend on when it runs). The benchmark releases
    /// the messages itself, with the sender's own statement, so that exactly the measured number leave at once.
    /// </summary>
    private static async Task<SendResult> SendAsync(string root, string data, DbContextOptions<PostgresDerbesDb> options, string connectionString, PostgresCluster cluster, long campaignId, int emails)
    {
        Console.WriteLine();
        await using var sink = SmtpSink.Start(keep: 500);
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        var reference = Campaign.ReferenceOf(campaignId);
        // The sender's own pacing would release more at its rate; its last release is set a day ahead, so it releases nothing.
        await using (var command = new NpgsqlCommand("""UPDATE "CampaignRuns" SET "ReleasedAt" = now() + interval '1 day' WHERE "CampaignId" = @id""", connection))
        {
            command.Parameters.AddWithValue("id", campaignId);
            await command.ExecuteNonQueryAsync();
        }
        await ScaleCheck.ExecuteAsync(connectionString, """ANALYZE "Outbox" """);
        var batchSize = new OutboxOptions().BatchSize;
        var baseUrl = $"http://127.0.0.1:{BenchPaths.FreePort()}";
        using var site = BenchSite.Start(root, data, baseUrl, new Dictionary<string, string>
        {
            ["Database__Provider"] = "Postgres",
            ["ConnectionStrings__Derbes"] = connectionString,
            ["Campaigns__Interval"] = "00:00:01",
            ["Campaigns__WorkingDaysOnly"] = "false",
            ["Campaigns__WindowStart"] = "00:00:00",
            ["Campaigns__WindowEnd"] = "23:59:59",
            ["Outbox__Enabled"] = "true",
            // Released by SQL, the worker is not rung: it looks every 100 ms instead of every 5 s.
            ["Outbox__PollInterval"] = "00:00:00.100",
            ["Smtp__Host"] = "127.0.0.1",
            ["Smtp__Port"] = sink.Port.ToString(CultureInfo.InvariantCulture),
            ["Smtp__Security"] = "None",
            ["DOTNET_PerfMapEnabled"] = Environment.GetEnvironmentVariable("BENCH_PERF") == "1" ? "1" : "0",
            ["DOTNET_PerfMapJitDumpPath"] = Path.GetTempPath(),
        });
        try
        {
            await BenchSite.WaitReadyAsync(baseUrl, site);
            var warm = await DeliverAsync(connection, reference, WarmUpEmails, TimeSpan.FromMinutes(5));
            Console.WriteLine($"Warm-up: {WarmUpEmails} campaign emails through the site in {warm.Seconds:F1} s");
            var kept = sink.Kept.Select(b => MimeMessage.Load(new MemoryStream(b))).ToList();
            var averageBytes = (double)sink.Bytes / sink.Messages;
            var check = kept[0];
            Console.WriteLine($"  e.g. to {check.To}, \"{check.Subject}\", {averageBytes / 1024:F1} KiB on average, List-Unsubscribe: {(check.Headers.Contains("List-Unsubscribe") ? "yes" : "NO")}");

            // The sink alone, before and after the app's run: the app's own SmtpEmailDelivery (MailKit, one connection per
            // message) sending the app's own messages, so both sides of the subtraction speak SMTP alike.
            var delivery = new SmtpEmailDelivery(Options.Create(new SmtpOptions { Host = "127.0.0.1", Port = sink.Port, Security = "None" }));
            const string Pattern = "the app's SmtpEmailDelivery: one connection per message";
            var stalled = await MailKitDefaultSocketAsync(sink.Port, kept, 200);
            Console.WriteLine($"For reference, MailKit on its own socket (Nagle on, as the app did before issue 8): 200 in {stalled:F2} s, {200 / stalled:N0} emails/s");
            await SinkAsync(delivery, kept, Math.Min(emails, 1000));
            var sinkBefore = await SinkAsync(delivery, kept, emails);
            Console.WriteLine($"SMTP sink alone ({Pattern}): {emails:N0} in {sinkBefore:F2} s, {emails / sinkBefore:N0} emails/s");

            var received = sink.Messages;
            var connections = sink.Connections;
            var siteCpu = BenchPaths.CpuMs($"/proc/{site.Id}/stat");
            var serverCpu = cluster.ServerCpuMs();
            var benchCpu = Process.GetCurrentProcess().TotalProcessorTime.TotalMilliseconds;
            using var profile = Environment.GetEnvironmentVariable("BENCH_PERF") == "1"
                ? Process.Start("perf", ["record", "-F", "499", "-g", "-p", site.Id.ToString(CultureInfo.InvariantCulture), "-o", Path.Combine(Path.GetTempPath(), "campaign-site.perf")])
                : null;
            var explain = profile is null ? Task.CompletedTask : ExplainClaimAsync(connectionString);
            var app = await DeliverAsync(connection, reference, emails, TimeSpan.FromMinutes(10));
            if (profile is not null)
            {
                using var stop = Process.Start("kill", ["-INT", profile.Id.ToString(CultureInfo.InvariantCulture)]);
                await profile.WaitForExitAsync();
                await explain;
            }
            var siteMs = (BenchPaths.CpuMs($"/proc/{site.Id}/stat") - siteCpu) / emails;
            var serverMs = (cluster.ServerCpuMs() - serverCpu) / emails;
            var benchMs = (Process.GetCurrentProcess().TotalProcessorTime.TotalMilliseconds - benchCpu) / emails;
            var delivered = sink.Messages - received;
            Console.WriteLine($"Derbes outbox worker (batches of {batchSize}): {emails:N0} released campaign emails sent in {app.Seconds:F2} s, {emails / app.Seconds:N0} emails/s; "
                + $"the sink received {delivered:N0} over {sink.Connections - connections:N0} connections; rows with an error: {app.Errors}");
            Console.WriteLine($"  CPU per email: site {siteMs:F2} ms, PostgreSQL {serverMs:F2} ms, benchmark process (sink, polling) {benchMs:F2} ms");

            var sinkAfter = await SinkAsync(delivery, kept, emails);
            Console.WriteLine($"SMTP sink alone again: {emails:N0} in {sinkAfter:F2} s, {emails / sinkAfter:N0} emails/s");
            var sinkMs = (sinkBefore + sinkAfter) / 2 * 1000 / emails;
            var appMs = app.Seconds * 1000 / emails;
            return new SendResult(appMs, sinkMs, Pattern, delivered == emails && app.Errors == 0);
        }
        finally
        {
            await BenchSite.StopAsync(site);
        }
    }

    /// <summary>The outbox worker's claim (DerbesDb.ClaimOutboxAsync's first query), explained a second into the run.</summary>
    private static async Task ExplainClaimAsync(string connectionString)
    {
        await Task.Delay(1000);
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("""
            EXPLAIN (ANALYZE, BUFFERS) SELECT o."Id" FROM "Outbox" AS o
            WHERE o."SentAt" IS NULL AND o."AvailableAt" <= @now AND (o."LeaseUntil" IS NULL OR o."LeaseUntil" < @now)
            ORDER BY o."Id" LIMIT 20
            """, connection);
        command.Parameters.AddWithValue("now", DateTimeOffset.UtcNow);
        await using var reader = await command.ExecuteReaderAsync();
        Console.WriteLine("-- the outbox claim, a second into the run:");
        while (await reader.ReadAsync())
        {
            Console.WriteLine("   " + reader.GetString(0));
        }
    }

    /// <summary>
    /// Releases the next <paramref name="count"/> held messages of the campaign (the statement of
    /// CampaignSender.ReleaseAsync) and waits until each has been sent; the time from the release to the last SentAt.
    /// </summary>
    private static async Task<(double Seconds, long Errors)> DeliverAsync(NpgsqlConnection connection, string reference, int count, TimeSpan longest)
    {
        var ids = new List<long>(count);
        var released = DateTimeOffset.UtcNow;
        await using (var command = new NpgsqlCommand("""
            UPDATE "Outbox" SET "AvailableAt" = @now WHERE "Id" IN (
                SELECT "Id" FROM "Outbox" WHERE "Reference" = @r AND "AvailableAt" = @held AND "SentAt" IS NULL ORDER BY "Id" LIMIT @n)
            RETURNING "Id"
            """, connection))
        {
            command.Parameters.AddWithValue("now", released);
            command.Parameters.AddWithValue("r", reference);
            command.Parameters.AddWithValue("held", OutboxMessage.Held);
            command.Parameters.AddWithValue("n", count);
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                ids.Add(reader.GetInt64(0));
            }
        }
        if (ids.Count != count)
        {
            throw new InvalidOperationException($"Only {ids.Count} held messages to release.");
        }
        var until = DateTime.UtcNow + longest;
        var last = ids.Max();
        while (DateTime.UtcNow < until)
        {
            // The worker claims in id order: wait cheaply for the last one, then check them all in one query.
            await Task.Delay(50);
            await using (var probe = new NpgsqlCommand("""SELECT "SentAt" IS NOT NULL FROM "Outbox" WHERE "Id" = @id""", connection))
            {
                probe.Parameters.AddWithValue("id", last);
                if (!(bool)(await probe.ExecuteScalarAsync())!)
                {
                    continue;
                }
            }
            await using var command = new NpgsqlCommand("""
                SELECT count(*) FILTER (WHERE "SentAt" IS NULL), max("SentAt"), count(*) FILTER (WHERE "LastError" IS NOT NULL)
                FROM "Outbox" WHERE "Id" = ANY(@ids)
                """, connection);
            command.Parameters.AddWithValue("ids", ids.ToArray());
            await using var reader = await command.ExecuteReaderAsync();
            await reader.ReadAsync();
            if (reader.GetInt64(0) == 0)
            {
                return ((reader.GetFieldValue<DateTimeOffset>(1) - released).TotalSeconds, reader.GetInt64(2));
            }
        }
        throw new TimeoutException("The released messages were not all sent in time.");
    }

    /// <summary>The app's delivery sending <paramref name="count"/> of the prebuilt messages to the sink, one after another; seconds taken.</summary>
    private static async Task<double> SinkAsync(SmtpEmailDelivery delivery, List<MimeMessage> messages, int count)
    {
        var watch = Stopwatch.StartNew();
        for (var sent = 0; sent < count; sent++)
        {
            await delivery.DeliverAsync(messages[sent % messages.Count], CancellationToken.None);
        }
        return watch.Elapsed.TotalSeconds;
    }

    /// <summary>A plain MailKit client on its own socket, one connection per message; seconds taken.</summary>
    private static async Task<double> MailKitDefaultSocketAsync(int port, List<MimeMessage> messages, int count)
    {
        var watch = Stopwatch.StartNew();
        for (var sent = 0; sent < count; sent++)
        {
            using var client = new SmtpClient();
            await client.ConnectAsync("127.0.0.1", port, SecureSocketOptions.None);
            await client.SendAsync(messages[sent % messages.Count]);
            await client.DisconnectAsync(true);
        }
        return watch.Elapsed.TotalSeconds;
    }

    private static async Task<long> ScalarAsync(NpgsqlConnection connection, string sql, string reference)
    {
        await using var command = new NpgsqlCommand(sql, connection) { CommandTimeout = 0 };
        command.Parameters.AddWithValue("r", reference);
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
