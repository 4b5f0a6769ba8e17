using Derbes.Web.Audit;
using Derbes.Web.Breaches;
using Derbes.Web.Calendar;
using Derbes.Web.Campaigns;
using Derbes.Web.Consents;
using Derbes.Web.Customers;
using Derbes.Web.Disclosures;
using Derbes.Web.Documents;
using Derbes.Web.Messaging;
using Derbes.Web.Privacy;
using Derbes.Web.Requests;
using Derbes.Web.Security;
using Derbes.Web.Settings;
using Microsoft.AspNetCore.DataProtection.EntityFrameworkCore;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Identity.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;

namespace Derbes.Web.Data;

/// <summary>
/// The one database of Derbes. Features use this type directly; each provider derives its own context
/// (<see cref="SqliteDerbesDb"/>) only to own a migrations folder and provider conventions.
/// </summary>
public abstract class DerbesDb(DbContextOptions options)
    : IdentityDbContext<Account, IdentityRole<Guid>, Guid>(options), IDataProtectionKeyContext
{
    public DbSet<DataKey> DataKeys => Set<DataKey>();
    public DbSet<AccountToken> AccountTokens => Set<AccountToken>();
    public DbSet<UserSession> Sessions => Set<UserSession>();
    public DbSet<CustomerDocument> Documents => Set<CustomerDocument>();
    public DbSet<PolicyEdition> PolicyEditions => Set<PolicyEdition>();
    public DbSet<PolicyText> PolicyTexts => Set<PolicyText>();
    public DbSet<PolicyNoticeRun> PolicyNoticeRuns => Set<PolicyNoticeRun>();
    public DbSet<PolicyDraft> PolicyDrafts => Set<PolicyDraft>();
    public DbSet<PolicyDraftText> PolicyDraftTexts => Set<PolicyDraftText>();
    public DbSet<ConsentRecord> ConsentRecords => Set<ConsentRecord>();
    public DbSet<ConsentText> ConsentTexts => Set<ConsentText>();
    public DbSet<AuditEntry> AuditEntries => Set<AuditEntry>();
    public DbSet<AuditCheckpoint> AuditCheckpoints => Set<AuditCheckpoint>();
    public DbSet<OutboxMessage> Outbox => Set<OutboxMessage>();
    public DbSet<DataProtectionKey> DataProtectionKeys => Set<DataProtectionKey>();
    public DbSet<RateCounter> RateCounters => Set<RateCounter>();
    public DbSet<Disclosure> Disclosures => Set<Disclosure>();
    public DbSet<DisclosureSubject> DisclosureSubjects => Set<DisclosureSubject>();
    public DbSet<Setting> Settings => Set<Setting>();
    public DbSet<StoreDeletion> StoreDeletions => Set<StoreDeletion>();
    public DbSet<CalendarFact> CalendarFacts => Set<CalendarFact>();
    public DbSet<CustomerRequest> CustomerRequests => Set<CustomerRequest>();
    public DbSet<RequestAttachment> RequestAttachments => Set<RequestAttachment>();
    public DbSet<RequestEvent> RequestEvents => Set<RequestEvent>();
    public DbSet<DigestRun> DigestRuns => Set<DigestRun>();
    public DbSet<Api.AppToken> AppTokens => Set<Api.AppToken>();
    public DbSet<Breach> Breaches => Set<Breach>();
    public DbSet<BreachCustomer> BreachCustomers => Set<BreachCustomer>();
    public DbSet<BreachRequest> BreachRequests => Set<BreachRequest>();
    public DbSet<BreachNoticeText> BreachNoticeTexts => Set<BreachNoticeText>();
    public DbSet<Campaign> Campaigns => Set<Campaign>();
    public DbSet<CampaignText> CampaignTexts => Set<CampaignText>();
    public DbSet<CampaignRun> CampaignRuns => Set<CampaignRun>();
    // Surveys (policy 2.2.4): questions; responses and their answers apart from identity; who took part, apart from both.
    public DbSet<Derbes.Web.Campaigns.Surveys.SurveyQuestion> SurveyQuestions => Set<Derbes.Web.Campaigns.Surveys.SurveyQuestion>();
    public DbSet<Derbes.Web.Campaigns.Surveys.SurveyQuestionText> SurveyQuestionTexts => Set<Derbes.Web.Campaigns.Surveys.SurveyQuestionText>();
    public DbSet<Derbes.Web.Campaigns.Surveys.SurveyResponse> SurveyResponses => Set<Derbes.Web.Campaigns.Surveys.SurveyResponse>();
    public DbSet<Derbes.Web.Campaigns.Surveys.SurveyAnswer> SurveyAnswers => Set<Derbes.Web.Campaigns.Surveys.SurveyAnswer>();
    public DbSet<Derbes.Web.Campaigns.Surveys.SurveyParticipation> SurveyParticipations => Set<Derbes.Web.Campaigns.Surveys.SurveyParticipation>();
    // Depersonalised statistics (policy 2.2.5): counts per day, metric, language and key; no account column.
    public DbSet<Derbes.Web.Statistics.StatisticsDay> StatisticsDays => Set<Derbes.Web.Statistics.StatisticsDay>();
    // The care mailbox read over IMAP (policy 5.6): how far its unread letters have been examined.
    public DbSet<Derbes.Web.Campaigns.MailboxCursor> MailboxCursors => Set<Derbes.Web.Campaigns.MailboxCursor>();
    // The retention runs (issue 9): when each ran, which instance holds it, what it destroyed and kept per category.
    public DbSet<Derbes.Web.Retention.RetentionRunRecord> RetentionRuns => Set<Derbes.Web.Retention.RetentionRunRecord>();
    public DbSet<Derbes.Web.Retention.RetentionRunCount> RetentionRunCounts => Set<Derbes.Web.Retention.RetentionRunCount>();

    // One writer links chained records at a time in this process; a provider with several instances adds
    // its own cross-process lock in LockChainsAsync.
    private static readonly SemaphoreSlim ChainLock = new(1, 1);

    // Set while this context runs work under the chain lock (WithChainLockAsync): its saves link without
    // waiting for the lock they already hold.
    private bool _holdsChainLock;

    /// <summary>
    /// Saves, and when audit entries or consent records are among the changes, links them to their chains
    /// inside the same transaction, so the chain never forks and never holds a record that was not saved.
    /// </summary>
    public override async Task<int> SaveChangesAsync(bool acceptAllChangesOnSuccess, CancellationToken cancellationToken = default)
    {
        var audit = ChangeTracker.Entries<AuditEntry>().Where(e => e.State == EntityState.Added).Select(e => e.Entity).ToList();
        var consents = ChangeTracker.Entries<ConsentRecord>().Where(e => e.State == EntityState.Added).Select(e => e.Entity).ToList();
        if (audit.Count == 0 && consents.Count == 0)
        {
            return await base.SaveChangesAsync(acceptAllChangesOnSuccess, cancellationToken);
        }
        if (_holdsChainLock)
        {
            return await LinkAndSaveAsync(audit, consents, acceptAllChangesOnSuccess, lockFirst: false, cancellationToken);
        }
        // The save takes the database's chain lock itself, in the same round trip as it reads the chains' heads.
        return await InChainTransactionAsync(ct => LinkAndSaveAsync(audit, consents, acceptAllChangesOnSuccess, lockFirst: true, ct), workLocks: true, cancellationToken);
    }

    /// <summary>
    /// Runs <paramref name="work"/> in one transaction while holding the lock that serialises chain writers (in
    /// this process, and across instances where the provider has one), and commits when it returns (an exception
    /// rolls it back). Work that rewrites the chain itself, such as the audit retention's purge behind a checkpoint,
    /// runs here so no entry is linked, and no other instance purges, in the meantime. Its own saves link as usual.
    /// Work that needs a transaction of its own around an audited save opens it here too, never with
    /// <c>BeginTransactionAsync</c>: the order is always chain lock first, database second. A transaction opened
    /// first holds SQLite's write lock (or PostgreSQL row locks) while it waits for the chain lock, and a writer that
    /// holds the chain lock waits for the database: the two would wait for each other until the busy timeout.
    /// </summary>
    public Task<T> WithChainLockAsync<T>(Func<CancellationToken, Task<T>> work, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(work);
        return InChainTransactionAsync(work, workLocks: false, cancellationToken);
    }

    // With workLocks, the work's first statement takes the database's chain lock (LockChainsAsync or
    // ReadChainHeadsAsync with lockFirst), so that the lock can travel with it in one round trip.
    private async Task<T> InChainTransactionAsync<T>(Func<CancellationToken, Task<T>> work, bool workLocks, CancellationToken cancellationToken)
    {
        if (_holdsChainLock)
        {
            throw new InvalidOperationException("This context already holds the chain lock.");
        }
        if (Database.CurrentTransaction is not null)
        {
            throw new InvalidOperationException(
                "A chained record (audit entry or consent record) is saved inside a transaction opened without the chain lock, "
                + "which can deadlock with another chain writer; open the transaction with WithChainLockAsync instead.");
        }
        await ChainLock.WaitAsync(cancellationToken);
        try
        {
            await using var transaction = await Database.BeginTransactionAsync(cancellationToken);
            try
            {
                if (!workLocks)
                {
                    await LockChainsAsync(cancellationToken);
                }
                _holdsChainLock = true;
                var result = await work(cancellationToken);
                await transaction.CommitAsync(cancellationToken);
                return result;
            }
            finally
            {
                _holdsChainLock = false;
            }
        }
        finally
        {
            ChainLock.Release();
        }
    }

    private async Task<int> LinkAndSaveAsync(List<AuditEntry> audit, List<ConsentRecord> consents, bool acceptAllChangesOnSuccess, bool lockFirst, CancellationToken cancellationToken)
    {
        if (lockFirst && ChangeTracker.Entries<ConsentText>().Any(e => e.State == EntityState.Added))
        {
            // New consent texts are looked up under the lock too (two saves of one new text must not both insert it).
            await LockChainsAsync(cancellationToken);
            lockFirst = false;
        }
        await SkipStoredConsentTextsAsync(cancellationToken);
        var (auditTail, consentTail) = await ReadChainHeadsAsync(audit.Count > 0, consents.Count > 0, lockFirst, cancellationToken);
        if (audit.Count > 0)
        {
            Link(audit, auditTail);
        }
        if (consents.Count > 0)
        {
            Link(consents, consentTail);
        }
        return await base.SaveChangesAsync(acceptAllChangesOnSuccess, cancellationToken);
    }

    /// <summary>
    /// The hashes that new records of each chain link to: the audit trail's last entry (after a purge that left no
    /// entry, the latest checkpoint's last purged hash) and the consent ledger's last record; null for a chain not
    /// asked for or empty. With <paramref name="lockFirst"/>, takes the chain lock (<see cref="LockChainsAsync"/>)
    /// before reading, so the heads read are the ones no other writer can move until commit.
    /// </summary>
    protected virtual async Task<(string? Audit, string? Consents)> ReadChainHeadsAsync(bool audit, bool consents, bool lockFirst, CancellationToken cancellationToken)
    {
        if (lockFirst)
        {
            await LockChainsAsync(cancellationToken);
        }
        var auditTail = audit
            ? await AuditEntries.AsNoTracking().OrderByDescending(e => e.Id).Select(e => e.Hash).FirstOrDefaultAsync(cancellationToken)
                ?? await AuditCheckpoints.AsNoTracking().OrderByDescending(c => c.Id).Select(c => c.LastPurgedHash).FirstOrDefaultAsync(cancellationToken)
            : null;
        var consentTail = consents
            ? await ConsentRecords.AsNoTracking().OrderByDescending(c => c.Id).Select(c => c.Hash).FirstOrDefaultAsync(cancellationToken)
            : null;
        return (auditTail, consentTail);
    }

    /// <summary>Takes the database-wide lock that serialises chain writers across instances (none on SQLite: one writer).</summary>
    protected virtual Task LockChainsAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>
    /// Held while an instance migrates and seeds, so instances starting together do it one after the other
    /// (nothing to hold on SQLite: one machine, one instance).
    /// </summary>
    public virtual Task<IAsyncDisposable> LockStartupAsync(CancellationToken cancellationToken) =>
        Task.FromResult<IAsyncDisposable>(NoLock.Instance);

    /// <summary>
    /// Leases up to <paramref name="batchSize"/> due outbox messages to <paramref name="leaseOwner"/> and returns
    /// their ids. Here: pick candidates, then a conditional update that the database re-checks per row, so of two
    /// workers only one wins each message. PostgreSQL overrides it with <c>FOR UPDATE SKIP LOCKED</c>.
    /// </summary>
    public virtual async Task<List<long>> ClaimOutboxAsync(DateTimeOffset now, int batchSize, string leaseOwner, DateTimeOffset leaseUntil, CancellationToken cancellationToken)
    {
        var candidates = await Outbox.AsNoTracking()
            .Where(m => m.SentAt == null && m.AvailableAt <= now && (m.LeaseUntil == null || m.LeaseUntil < now))
            .OrderBy(m => m.Id)
            .Select(m => m.Id)
            .Take(batchSize)
            .ToListAsync(cancellationToken);
        if (candidates.Count == 0)
        {
            return candidates;
        }
        await Outbox
            .Where(m => candidates.Contains(m.Id) && m.SentAt == null && (m.LeaseUntil == null || m.LeaseUntil < now))
            .ExecuteUpdateAsync(s => s.SetProperty(m => m.LeaseOwner, leaseOwner).SetProperty(m => m.LeaseUntil, leaseUntil), cancellationToken);
        return await Outbox.AsNoTracking()
            .Where(m => candidates.Contains(m.Id) && m.LeaseOwner == leaseOwner)
            .Select(m => m.Id)
            .ToListAsync(cancellationToken);
    }

    /// <summary>
    /// Inserts many outbox rows at once in the caller's transaction (a campaign's audience, thousands a batch). Here
    /// through the change tracker; PostgreSQL overrides it with a binary COPY.
    /// </summary>
    public virtual async Task InsertOutboxAsync(IReadOnlyList<OutboxMessage> rows, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(rows);
        if (rows.Count == 0)
        {
            return;
        }
        Outbox.AddRange(rows);
        await SaveChangesAsync(cancellationToken);
        foreach (var row in rows)
        {
            Entry(row).State = EntityState.Detached;
        }
    }

    /// <summary>
    /// Counts one request against <paramref name="key"/> in the fixed window starting at <paramref name="windowStart"/>
    /// and returns the count so far, for limits that several instances share. Only PostgreSQL (several instances)
    /// implements it; one SQLite instance counts in memory.
    /// </summary>
    public virtual Task<int> CountRequestAsync(string key, DateTimeOffset windowStart, CancellationToken cancellationToken) =>
        throw new NotSupportedException("Shared request counters need a database that several instances share.");

    private sealed class NoLock : IAsyncDisposable
    {
        public static readonly NoLock Instance = new();

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }

    /// <summary>
    /// A consent wording is stored once, by its hash. Under the chain lock nobody else can be inserting one, so
    /// those already stored are simply not inserted again.
    /// </summary>
    private async Task SkipStoredConsentTextsAsync(CancellationToken cancellationToken)
    {
        var texts = ChangeTracker.Entries<ConsentText>().Where(e => e.State == EntityState.Added).ToList();
        if (texts.Count == 0)
        {
            return;
        }
        var hashes = texts.Select(e => e.Entity.Sha256).ToList();
        var stored = await ConsentTexts.AsNoTracking().Where(t => hashes.Contains(t.Sha256)).Select(t => t.Sha256).ToListAsync(cancellationToken);
        foreach (var entry in texts.Where(e => stored.Contains(e.Entity.Sha256)))
        {
            entry.State = EntityState.Detached;
        }
    }

    private static void Link<T>(List<T> added, string? tail) where T : IChainedRecord
    {
        var previous = tail ?? HashChain.Genesis;
        foreach (var record in added)
        {
            record.At = HashChain.StorablePrecision(record.At);
            record.PreviousHash = previous;
            record.Hash = HashChain.Link(previous, record.CanonicalContent());
            previous = record.Hash;
        }
    }

    protected override void OnModelCreating(ModelBuilder builder)
    {
        base.OnModelCreating(builder);

        builder.Entity<Account>(a =>
        {
            // Plaintext email and phone never reach the database: Identity's columns are not mapped.
            a.Ignore(x => x.Email);
            a.Ignore(x => x.NormalizedEmail);
            a.Ignore(x => x.PhoneNumber);
            a.Property(x => x.EmailIndex).HasMaxLength(64);
            a.Property(x => x.PhoneIndex).HasMaxLength(64);
            a.HasIndex(x => x.EmailIndex).IsUnique();
            a.HasIndex(x => x.PhoneIndex).IsUnique();
            a.Property(x => x.PreferredLanguage).HasMaxLength(2);
            a.Property(x => x.RetentionHold).HasMaxLength(500);
            // The destruction job's search: closing accounts by the start of their grace period.
            a.HasIndex(x => new { x.Status, x.ClosingSince });
        });

        builder.Entity<StoreDeletion>(d => d.Property(x => x.StorageName).HasMaxLength(64));

        builder.Entity<DataKey>(k =>
        {
            k.HasKey(x => x.AccountId);
            k.Property(x => x.MasterKeyId).HasMaxLength(32);
            // The backup schedule counts destroyed keys at every look (Backups/KeyCopies).
            k.HasIndex(x => x.DestroyedAt);
        });

        builder.Entity<AccountToken>(t =>
        {
            t.HasIndex(x => x.TokenHash).IsUnique();
            t.HasIndex(x => new { x.AccountId, x.Purpose });
            t.Property(x => x.TokenHash).HasMaxLength(64);
        });

        builder.Entity<UserSession>(s =>
        {
            s.HasIndex(x => x.AccountId);
            s.Property(x => x.UserAgent).HasMaxLength(512);
            s.Property(x => x.Ip).HasMaxLength(64);
        });

        builder.Entity<CustomerDocument>(d =>
        {
            d.HasIndex(x => x.AccountId);
            d.HasIndex(x => new { x.Status, x.UploadedAt });
            d.Property(x => x.StorageName).HasMaxLength(64);
            d.Property(x => x.ContentType).HasMaxLength(32);
            d.Property(x => x.Sha256).HasMaxLength(64);
        });

        builder.Entity<PolicyEdition>(e =>
        {
            e.HasKey(x => x.Number);
            e.Property(x => x.Number).ValueGeneratedNever();
            e.HasMany(x => x.Texts).WithOne().HasForeignKey(t => t.EditionNumber);
        });
        builder.Entity<PolicyText>(t =>
        {
            t.HasKey(x => new { x.EditionNumber, x.Language });
            t.Property(x => x.Language).HasMaxLength(2);
            t.Property(x => x.Sha256).HasMaxLength(64);
        });
        builder.Entity<PolicyDraft>(d =>
        {
            d.Property(x => x.Id).ValueGeneratedNever();
            d.Property(x => x.CreatedBy).HasMaxLength(64);
            d.Property(x => x.UpdatedBy).HasMaxLength(64);
            // Two officers saving or publishing the same draft at once: the second finds it changed (or gone) and fails.
            d.Property(x => x.Version).IsConcurrencyToken();
            d.HasMany(x => x.Texts).WithOne().HasForeignKey(t => t.DraftId).OnDelete(DeleteBehavior.Cascade);
        });
        builder.Entity<PolicyDraftText>(t =>
        {
            t.HasKey(x => new { x.DraftId, x.Language });
            t.Property(x => x.Language).HasMaxLength(2);
            t.Property(x => x.Title).HasMaxLength(PolicyDraft.MaxTitle);
            t.Property(x => x.Summary).HasMaxLength(PolicyDraft.MaxSummary);
            t.Property(x => x.Body).HasMaxLength(PolicyDraft.MaxBody);
        });

        builder.Entity<PolicyNoticeRun>(r =>
        {
            r.HasKey(x => x.EditionNumber);
            r.Property(x => x.EditionNumber).ValueGeneratedNever();
            r.Property(x => x.Cursor).HasMaxLength(32);
            r.Property(x => x.Cursor).IsConcurrencyToken();
        });

        builder.Entity<ConsentRecord>(c =>
        {
            c.HasIndex(x => new { x.AccountId, x.Purpose });
            // Opt-outs per campaign ("campaign:12"), for its figures and the statistics.
            c.HasIndex(x => x.Reference);
            c.Property(x => x.Language).HasMaxLength(2);
            c.Property(x => x.TextSha256).HasMaxLength(64);
            c.Property(x => x.Hash).HasMaxLength(64);
            c.Property(x => x.PreviousHash).HasMaxLength(64);
            c.Property(x => x.Ip).HasMaxLength(64);
            c.Property(x => x.UserAgent).HasMaxLength(512);
            c.Property(x => x.Reference).HasMaxLength(64);
        });
        builder.Entity<ConsentText>(t =>
        {
            t.HasKey(x => x.Sha256);
            t.Property(x => x.Sha256).HasMaxLength(64);
            t.Property(x => x.Language).HasMaxLength(2);
        });

        builder.Entity<AuditEntry>(a =>
        {
            a.HasIndex(x => x.Subject);
            a.HasIndex(x => x.At);
            a.Property(x => x.Actor).HasMaxLength(64);
            a.Property(x => x.Role).HasMaxLength(64);
            a.Property(x => x.Action).HasMaxLength(64);
            a.Property(x => x.Subject).HasMaxLength(64);
            a.Property(x => x.Outcome).HasMaxLength(64);
            a.Property(x => x.CorrelationId).HasMaxLength(64);
            a.Property(x => x.Ip).HasMaxLength(64);
            a.Property(x => x.Hash).HasMaxLength(64);
            a.Property(x => x.PreviousHash).HasMaxLength(64);
        });

        builder.Entity<AuditCheckpoint>(c =>
        {
            c.Property(x => x.FirstPurgedPreviousHash).HasMaxLength(64);
            c.Property(x => x.LastPurgedHash).HasMaxLength(64);
            c.Property(x => x.KeyId).HasMaxLength(32);
            c.Property(x => x.Signature).HasMaxLength(128);
        });

        builder.Entity<RateCounter>(c =>
        {
            c.HasKey(x => x.Key);
            c.Property(x => x.Key).HasMaxLength(96);
            c.HasIndex(x => x.WindowStart);
        });

        builder.Entity<Disclosure>(d =>
        {
            d.Ignore(x => x.Number);
            d.Ignore(x => x.IsStateBody);
            d.HasIndex(x => x.DisclosedOn);
            d.Property(x => x.RecipientName).HasMaxLength(200);
            d.Property(x => x.RequestNumber).HasMaxLength(64);
            d.Property(x => x.LegalArticle).HasMaxLength(200);
            d.Property(x => x.Purpose).HasMaxLength(500);
        });
        builder.Entity<DisclosureSubject>(s =>
        {
            s.HasKey(x => new { x.DisclosureId, x.AccountId });
            s.HasIndex(x => x.AccountId);
            s.HasOne<Disclosure>().WithMany().HasForeignKey(x => x.DisclosureId);
        });
        builder.Entity<Setting>(s =>
        {
            s.HasKey(x => x.Key);
            s.Property(x => x.Key).HasMaxLength(128);
            s.Property(x => x.Value).HasMaxLength(2000);
            s.Property(x => x.UpdatedBy).HasMaxLength(64);
            // Two Administrators saving the same key at once: the second update finds the row changed and fails.
            s.Property(x => x.Value).IsConcurrencyToken();
            s.Property(x => x.UpdatedAt).IsConcurrencyToken();
        });

        builder.Entity<CalendarFact>(f =>
        {
            // One fact per date: it decides that day over the rules.
            f.HasIndex(x => x.Date).IsUnique();
            f.Property(x => x.Note).HasMaxLength(CalendarFact.MaxNote);
        });
        builder.Entity<CustomerRequest>(r =>
        {
            r.Property(x => x.Number).HasMaxLength(CustomerRequest.MaxNumber);
            r.HasIndex(x => x.Number).IsUnique();
            r.HasIndex(x => new { x.Year, x.Sequence }).IsUnique();
            r.HasIndex(x => x.AccountId);
            r.HasIndex(x => new { x.Status, x.DueOn });
            // Two members of staff changing the same request at once: the second finds it changed and fails.
            r.Property(x => x.Version).IsConcurrencyToken();
            r.HasMany(x => x.Attachments).WithOne().HasForeignKey(a => a.RequestId).OnDelete(DeleteBehavior.Cascade);
            r.HasMany(x => x.Events).WithOne().HasForeignKey(e => e.RequestId).OnDelete(DeleteBehavior.Cascade);
        });
        builder.Entity<RequestEvent>(e => e.HasIndex(x => new { x.RequestId, x.Id }));
        builder.Entity<RequestAttachment>(a =>
        {
            a.Property(x => x.StorageName).HasMaxLength(64);
            a.Property(x => x.ContentType).HasMaxLength(32);
            a.Property(x => x.Sha256).HasMaxLength(64);
        });
        // One run of each kind a day, whichever instance comes first (RequestDigest).
        builder.Entity<DigestRun>(r => r.HasKey(x => new { x.Day, x.Kind }));

        builder.Entity<OutboxMessage>(m =>
        {
            m.HasIndex(x => new { x.SentAt, x.AvailableAt });
            // The workers' claim, oldest first: only the messages not yet sent, so a claim late in a campaign does not walk
            // past the hundreds of thousands already sent ("SentAt" IS NULL reads the same on SQLite and PostgreSQL).
            m.HasIndex(x => x.Id).HasDatabaseName("IX_Outbox_Unsent").HasFilter("\"SentAt\" IS NULL");
            // One message of a campaign (or a policy edition's notice) per customer, whatever the instances do; and a
            // campaign's held messages found for release. Messages without a reference are not constrained (NULLs differ).
            m.HasIndex(x => new { x.Reference, x.AccountId }).IsUnique();
            m.HasIndex(x => new { x.Reference, x.AvailableAt });
            m.Property(x => x.Kind).HasMaxLength(64);
            m.Property(x => x.LeaseOwner).HasMaxLength(64);
            m.Property(x => x.LastError).HasMaxLength(1024);
            m.Property(x => x.Reference).HasMaxLength(64);
        });

        builder.Entity<Campaign>(c =>
        {
            c.Ignore(x => x.Purpose);
            c.Ignore(x => x.Reference);
            c.Ignore(x => x.IsEditable);
            c.Property(x => x.Name).HasMaxLength(Campaign.MaxName);
            c.Property(x => x.Language).HasMaxLength(2);
            c.HasIndex(x => new { x.Status, x.ScheduledFor });
            c.Property(x => x.Version).IsConcurrencyToken();
            c.HasMany(x => x.Texts).WithOne().HasForeignKey(t => t.CampaignId).OnDelete(DeleteBehavior.Cascade);
        });
        builder.Entity<CampaignText>(t =>
        {
            t.Ignore(x => x.IsEmpty);
            t.HasKey(x => new { x.CampaignId, x.Language });
            t.Property(x => x.Language).HasMaxLength(2);
            t.Property(x => x.Subject).HasMaxLength(Campaign.MaxSubject);
            t.Property(x => x.Body).HasMaxLength(Campaign.MaxEmailBody);
        });
        builder.Entity<CampaignRun>(r =>
        {
            r.HasKey(x => x.CampaignId);
            r.Property(x => x.CampaignId).ValueGeneratedNever();
            r.HasOne<Campaign>().WithOne().HasForeignKey<CampaignRun>(x => x.CampaignId);
            r.Property(x => x.Cursor).HasMaxLength(32).IsConcurrencyToken();
            r.Property(x => x.ReleasedAt).IsConcurrencyToken();
        });

        // Surveys. A response (random id, campaign, day) and its answers carry no account and no exact time; the
        // participation (campaign, keyed HMAC of the account) carries no time and no response id. Its key is the
        // one-answer-per-customer rule: of two submissions at once, the second fails and stores nothing.
        builder.Entity<Derbes.Web.Campaigns.Surveys.SurveyQuestion>(q =>
        {
            q.Ignore(x => x.HasOptions);
            q.Ignore(x => x.OptionCount);
            q.HasIndex(x => new { x.CampaignId, x.Position });
            q.HasOne<Campaign>().WithMany().HasForeignKey(x => x.CampaignId).OnDelete(DeleteBehavior.Cascade);
            q.HasMany(x => x.Texts).WithOne().HasForeignKey(t => t.QuestionId).OnDelete(DeleteBehavior.Cascade);
        });
        builder.Entity<Derbes.Web.Campaigns.Surveys.SurveyQuestionText>(t =>
        {
            t.Ignore(x => x.OptionList);
            t.HasKey(x => new { x.QuestionId, x.Language });
            t.Property(x => x.Language).HasMaxLength(2);
            t.Property(x => x.Prompt).HasMaxLength(Derbes.Web.Campaigns.Surveys.SurveyQuestion.MaxPrompt);
            t.Property(x => x.Options).HasMaxLength((Derbes.Web.Campaigns.Surveys.SurveyQuestion.MaxOption + 1) * Derbes.Web.Campaigns.Surveys.SurveyQuestion.MaxOptions);
        });
        builder.Entity<Derbes.Web.Campaigns.Surveys.SurveyResponse>(r =>
        {
            r.Property(x => x.Id).ValueGeneratedNever();
            r.HasIndex(x => x.CampaignId);
            r.HasOne<Campaign>().WithMany().HasForeignKey(x => x.CampaignId).OnDelete(DeleteBehavior.Cascade);
            r.HasMany(x => x.Answers).WithOne().HasForeignKey(a => a.ResponseId).OnDelete(DeleteBehavior.Cascade);
        });
        builder.Entity<Derbes.Web.Campaigns.Surveys.SurveyAnswer>(a =>
        {
            a.HasKey(x => new { x.ResponseId, x.QuestionId, x.Item });
            a.HasIndex(x => x.QuestionId);
            a.HasOne<Derbes.Web.Campaigns.Surveys.SurveyQuestion>().WithMany().HasForeignKey(x => x.QuestionId).OnDelete(DeleteBehavior.Cascade);
            a.Property(x => x.Text).HasMaxLength(Derbes.Web.Campaigns.Surveys.SurveyQuestion.MaxFreeText);
        });
        builder.Entity<Derbes.Web.Campaigns.Surveys.SurveyParticipation>(p =>
        {
            p.HasKey(x => new { x.CampaignId, x.AccountKey });
            p.Property(x => x.AccountKey).HasMaxLength(64);
            p.HasOne<Campaign>().WithMany().HasForeignKey(x => x.CampaignId).OnDelete(DeleteBehavior.Cascade);
        });
        // One row per mailbox read for opt-outs: the highest UID examined under its UIDVALIDITY.
        builder.Entity<Derbes.Web.Campaigns.MailboxCursor>(c =>
        {
            c.HasKey(x => x.Mailbox);
            c.Property(x => x.Mailbox).HasMaxLength(Derbes.Web.Campaigns.MailboxCursor.MaxMailbox);
        });

        // The app's tokens (hashes only), each in a session: deleting a session takes its tokens with it.
        builder.Entity<Api.AppToken>(t =>
        {
            t.HasIndex(x => x.TokenHash).IsUnique();
            t.HasIndex(x => x.SessionId);
            t.Property(x => x.TokenHash).HasMaxLength(64);
            t.Property(x => x.SecurityStamp).HasMaxLength(64);
            t.HasOne<UserSession>().WithMany().HasForeignKey(x => x.SessionId).OnDelete(DeleteBehavior.Cascade);
        });

        // The breach register: incidents, the customers each reached (link rows only), the requests linked to it,
        // and what the customers are told per language.
        builder.Entity<Breach>(b =>
        {
            b.Ignore(x => x.DetectedOn);
            b.Property(x => x.Number).HasMaxLength(Breach.MaxNumber);
            b.HasIndex(x => x.Number).IsUnique();
            b.HasIndex(x => new { x.Year, x.Sequence }).IsUnique();
            b.Property(x => x.Description).HasMaxLength(Breach.MaxText);
            b.Property(x => x.Measures).HasMaxLength(Breach.MaxText);
            b.Property(x => x.NotificationChannel).HasMaxLength(Breach.MaxChannel);
            b.Property(x => x.NotificationReference).HasMaxLength(Breach.MaxReference);
            b.Property(x => x.Version).IsConcurrencyToken();
            b.HasMany(x => x.Texts).WithOne().HasForeignKey(t => t.BreachId).OnDelete(DeleteBehavior.Cascade);
        });
        builder.Entity<BreachCustomer>(c =>
        {
            c.HasKey(x => new { x.BreachId, x.AccountId });
            c.HasIndex(x => x.AccountId);
            c.HasOne<Breach>().WithMany().HasForeignKey(x => x.BreachId);
        });
        builder.Entity<BreachRequest>(l =>
        {
            l.HasKey(x => new { x.BreachId, x.RequestId });
            l.HasIndex(x => x.RequestId);
            l.HasOne<Breach>().WithMany().HasForeignKey(x => x.BreachId);
            l.HasOne<CustomerRequest>().WithMany().HasForeignKey(x => x.RequestId);
        });
        // Statistics: one count per day, metric, language and key; and the indexes its job reads recent days by.
        builder.Entity<Derbes.Web.Statistics.StatisticsDay>(s =>
        {
            s.HasKey(x => new { x.Day, x.Metric, x.Language, x.Key });
            s.Property(x => x.Metric).HasMaxLength(Derbes.Web.Statistics.StatisticsDay.MaxMetric);
            s.Property(x => x.Language).HasMaxLength(2);
            s.Property(x => x.Key).HasMaxLength(Derbes.Web.Statistics.StatisticsDay.MaxKey);
            s.HasIndex(x => new { x.Metric, x.Day });
        });
        builder.Entity<Account>().HasIndex(x => x.CreatedAt);
        builder.Entity<ConsentRecord>().HasIndex(x => x.At);
        builder.Entity<CustomerDocument>().HasIndex(x => x.ReviewedAt);

        builder.Entity<BreachNoticeText>(t =>
        {
            t.HasKey(x => new { x.BreachId, x.Language });
            t.Property(x => x.Language).HasMaxLength(2);
            t.Property(x => x.WhatHappened).HasMaxLength(Breach.MaxCustomerText);
            t.Property(x => x.WhatWasDone).HasMaxLength(Breach.MaxCustomerText);
        });

        // Retention runs (issue 9): the open run is found by FinishedAt, the last ones by StartedAt.
        builder.Entity<Derbes.Web.Retention.RetentionRunRecord>(r =>
        {
            r.HasIndex(x => x.StartedAt);
            r.HasIndex(x => x.FinishedAt);
            r.Property(x => x.ClaimedBy).HasMaxLength(200);
            r.Property(x => x.StartedBy).HasMaxLength(64);
            r.HasMany(x => x.Counts).WithOne().HasForeignKey(c => c.RunId).OnDelete(DeleteBehavior.Cascade);
        });
        builder.Entity<Derbes.Web.Retention.RetentionRunCount>(c => c.HasKey(x => new { x.RunId, x.Category }));
    }
}
