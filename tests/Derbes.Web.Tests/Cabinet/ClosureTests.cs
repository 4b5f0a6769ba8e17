using Derbes.Web.Consents;
using Derbes.Web.Customers;
using Derbes.Web.Data;
using Derbes.Web.Documents;
using Derbes.Web.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Derbes.Web.Tests.Cabinet;

/// <summary>
/// "Close my account" (issue 6): consent withdrawn and sign-in disabled at once; a grace period in which signing in
/// undoes it; then destruction of every row and file that is the customer's, down to a depersonalised stub, in one
/// transaction that a crash cannot leave half done; or, under a retention hold, a block with the reason.
/// </summary>
public sealed class ClosureTests
{
    private static readonly Dictionary<string, string?> Settings = new()
    {
        // The job runs when the test says so (the daily retention run's first look is at start; the clocks here move by at most 15 days).
        ["Retention:CheckInterval"] = "40.00:00:00",
    };

    private static async Task<(NewCustomer Customer, Guid Id, Browser Browser)> SignedInAsync(DerbesApp app)
    {
        var browser = app.NewBrowser();
        var customer = await Journeys.RegisteredAndConfirmedAsync(app, browser);
        Assert.Equal("/cabinet", (await Journeys.SignInAsync(browser, customer.Email, customer.Password)).Url.AbsolutePath);
        return (customer, await app.AccountIdAsync(customer.Email), browser);
    }

    private static Task<WebPage> CloseAsync(Browser browser, WebPage page, string password, bool understand = true) =>
        browser.SubmitAsync(page, new Dictionary<string, string> { ["Password"] = password, ["Understand"] = understand ? "true" : "false" });

    private static Task<Derbes.Web.Customers.Account> AccountAsync(DerbesApp app, Guid id) =>
        app.WithDbAsync(db => db.Users.AsNoTracking().SingleAsync(a => a.Id == id));

    [Fact]
    public async Task WrongPasswordsOnTheClosePageLockTheAccountAsAtSignInEachLockLongerAndALockedAccountIsNotClosed()
    {
        using var app = new DerbesApp(Settings);
        var (customer, id, browser) = await SignedInAsync(app);
        using var _ = browser;
        var page = await browser.GetAsync("/cabinet/close");
        for (var i = 0; i < 5; i++)
        {
            page = await CloseAsync(browser, page, "not the password " + i);
        }
        Assert.Equal(app.Text("Profile.LockedOut"), page.ErrorText("password-error"));
        var locked = await AccountAsync(app, id);
        Assert.Equal(app.Clock.GetUtcNow() + TimeSpan.FromMinutes(15), locked.LockoutEnd);

        // While locked even the right password is not checked, and nothing closes.
        page = await CloseAsync(browser, page, customer.Password);
        Assert.Equal(app.Text("Profile.LockedOut"), page.ErrorText("password-error"));
        Assert.Equal(AccountStatus.Active, (await AccountAsync(app, id)).Status);
        Assert.Equal(["wrong-password", "wrong-password", "wrong-password", "wrong-password", "locked-out", "locked"],
            await app.WithDbAsync(db => db.AuditEntries.Where(e => e.Action == "customer.close-refused" && e.Subject == id.ToString()).OrderBy(e => e.Id).Select(e => e.Outcome).ToListAsync()));

        // The second lock in a row lasts twice as long, as at sign-in.
        app.Clock.Advance(TimeSpan.FromMinutes(16));
        page = await browser.GetAsync("/cabinet/close");
        for (var i = 0; i < 5; i++)
        {
            page = await CloseAsync(browser, page, "still not it " + i);
        }
        Assert.Equal(app.Clock.GetUtcNow() + TimeSpan.FromMinutes(30), (await AccountAsync(app, id)).LockoutEnd);
    }

    [Fact]
    public async Task ClosingNeedsThePasswordAndTheTickThenStopsEverythingAtOnceAndSaysWhenTheDataGoes()
    {
        using var app = new DerbesApp(Settings);
        var (customer, id, browser) = await SignedInAsync(app);
        using var _ = browser;
        using var other = app.NewBrowser();
        await Journeys.SignInAsync(other, customer.Email, customer.Password);
        var day = (app.Clock.GetUtcNow() + TimeSpan.FromDays(14)).ToOffset(TimeSpan.FromHours(5)).ToString("d MMMM yyyy", new System.Globalization.CultureInfo("kk-KZ"));

        var page = await browser.GetAsync("/cabinet/close");
        Assert.Contains(app.Text("Close.Step.Destroyed", day), page.Text, StringComparison.Ordinal);
        var unticked = await CloseAsync(browser, page, customer.Password, understand: false);
        Assert.Equal(app.Text("Close.UnderstandRequired"), unticked.ErrorText("understand-error"));
        var wrong = await CloseAsync(browser, unticked, "not the password");
        Assert.Equal(app.Text("Close.WrongPassword"), wrong.ErrorText("password-error"));
        Assert.Equal(AccountStatus.Active, (await AccountAsync(app, id)).Status);
        Assert.Equal(1, await app.WithDbAsync(db => db.AuditEntries.CountAsync(e => e.Action == "customer.close-refused" && e.Subject == id.ToString())));

        var closed = await CloseAsync(browser, wrong, customer.Password);
        Assert.Equal("/account/closed", closed.Url.AbsolutePath);
        Assert.Contains(app.Text("Closed.Lead", day), closed.Text, StringComparison.Ordinal);
        var account = await AccountAsync(app, id);
        Assert.Equal(AccountStatus.Closing, account.Status);
        Assert.Equal(app.Clock.GetUtcNow(), account.ClosingSince);
        var withdrawal = await app.WithDbAsync(db => db.ConsentRecords.AsNoTracking().Where(c => c.AccountId == id).OrderBy(c => c.Id).LastAsync());
        Assert.Equal((ConsentPurpose.Processing, ConsentAction.Withdraw, false), (withdrawal.Purpose, withdrawal.Action, withdrawal.Granted));
        // Every session ends: this browser and the other device.
        Assert.Equal("/account/login", (await browser.GetAsync("/cabinet")).Url.AbsolutePath);
        Assert.Equal("/account/login", (await other.GetAsync("/cabinet")).Url.AbsolutePath);
        var notice = await app.Mail.WaitForAsync(customer.Email, app.Text("Email.ClosingStarted.Subject", "SMALL"));
        Assert.Contains((app.Clock.GetUtcNow() + TimeSpan.FromDays(14)).ToOffset(TimeSpan.FromHours(5)).ToString("dd.MM.yyyy", System.Globalization.CultureInfo.InvariantCulture), notice.TextBody, StringComparison.Ordinal);

        // Closing twice changes nothing more: the page is gone with the session, and the service says so.
        await using (var scope = app.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<DerbesDb>();
            var again = await scope.ServiceProvider.GetRequiredService<AccountClosure>()
                .CloseByCustomerAsync(await db.Users.SingleAsync(a => a.Id == id), ConsentChannel.WebForm, CancellationToken.None);
            Assert.Equal(ClosureStart.AlreadyClosing, again);
        }
        Assert.Equal(1, await app.WithDbAsync(db => db.AuditEntries.CountAsync(e => e.Action == "customer.closing" && e.Subject == id.ToString())));
        Assert.Equal(1, await app.WithDbAsync(db => db.ConsentRecords.CountAsync(c => c.AccountId == id && c.Action == ConsentAction.Withdraw && c.Purpose == ConsentPurpose.Processing)));
    }

    [Fact]
    public async Task TwoClosuresAtOnceCloseOnceWithOneWithdrawal()
    {
        using var app = new DerbesApp(Settings);
        var (customer, id, first) = await SignedInAsync(app);
        using var _ = first;
        using var second = app.NewBrowser();
        await Journeys.SignInAsync(second, customer.Email, customer.Password);
        var pages = await Task.WhenAll(first.GetAsync("/cabinet/close"), second.GetAsync("/cabinet/close"));
        var results = await Task.WhenAll(CloseAsync(first, pages[0], customer.Password), CloseAsync(second, pages[1], customer.Password));
        Assert.All(results, r => Assert.NotEqual(System.Net.HttpStatusCode.InternalServerError, r.Status));
        Assert.Equal(AccountStatus.Closing, (await AccountAsync(app, id)).Status);
        Assert.Equal(1, await app.WithDbAsync(db => db.AuditEntries.CountAsync(e => e.Action == "customer.closing" && e.Subject == id.ToString())));
        Assert.Equal(1, await app.WithDbAsync(db => db.ConsentRecords.CountAsync(c => c.AccountId == id && c.Action == ConsentAction.Withdraw && c.Purpose == ConsentPurpose.Processing)));
    }

    [Fact]
    public async Task SigningInDuringTheGracePeriodAndConsentingAgainUndoesTheClosure()
    {
        using var app = new DerbesApp(Settings);
        var (customer, id, browser) = await SignedInAsync(app);
        using var _ = browser;
        await CloseAsync(browser, await browser.GetAsync("/cabinet/close"), customer.Password);
        app.Clock.Advance(TimeSpan.FromDays(13));

        var offer = await Journeys.SignInAsync(browser, customer.Email, customer.Password);
        Assert.Equal("/account/reopen", offer.Url.AbsolutePath);
        // Not signed in by the password alone.
        Assert.Equal("/account/login", (await browser.GetAsync("/cabinet")).Url.AbsolutePath);
        offer = await browser.GetAsync("/account/reopen");
        var unticked = await browser.SubmitAsync(offer, new Dictionary<string, string> { ["Agree"] = "false" });
        Assert.Equal(app.Text("Reopen.AgreeRequired"), unticked.ErrorText("agree-error"));
        Assert.Equal(AccountStatus.Closing, (await AccountAsync(app, id)).Status);

        var reopened = await browser.SubmitAsync(unticked, new Dictionary<string, string> { ["Agree"] = "true" });
        Assert.Equal("/cabinet", reopened.Url.AbsolutePath);
        var account = await AccountAsync(app, id);
        Assert.Equal(AccountStatus.Active, account.Status);
        Assert.Null(account.ClosingSince);
        var grant = await app.WithDbAsync(db => db.ConsentRecords.AsNoTracking().Where(c => c.AccountId == id).OrderBy(c => c.Id).LastAsync());
        Assert.Equal((ConsentPurpose.Processing, ConsentAction.Grant), (grant.Purpose, grant.Action));
        await app.Mail.WaitForAsync(customer.Email, app.Text("Email.ClosingCancelled.Subject", "SMALL"));

        // The grace period's end passes and nothing is destroyed.
        app.Clock.Advance(TimeSpan.FromDays(2));
        await app.Service<AccountDestruction>().PurgeDueAsync(CancellationToken.None);
        Assert.Equal(AccountStatus.Active, (await AccountAsync(app, id)).Status);
        Assert.Equal("/cabinet", (await Journeys.SignInAsync(browser, customer.Email, customer.Password)).Url.AbsolutePath);
    }

    [Fact]
    public async Task AfterTheGracePeriodEveryRowAndFileOfTheCustomerIsDestroyedAndOnlyADepersonalisedStubRemains()
    {
        using var app = new DerbesApp(Settings);
        var (customer, id, browser) = await SignedInAsync(app);
        using var _ = browser;
        using var bystanderBrowser = app.NewBrowser();
        var bystander = await Journeys.RegisteredAndConfirmedAsync(app, bystanderBrowser);
        await using (var scope = app.Services.CreateAsyncScope())
        {
            var filed = await scope.ServiceProvider.GetRequiredService<Derbes.Web.Requests.CustomerRequests>().FileAsync(id, Derbes.Web.Requests.RequestKind.Rectification,
                "Тегім қате жазылған", new Derbes.Web.Requests.RequestUpload("proof.pdf", Derbes.Tests.Documents.SampleFiles.MinimalPdf()), Derbes.Web.Requests.RequestChannel.Cabinet, CancellationToken.None);
            Assert.True(filed.Filed);
        }
        var files = await app.WithDbAsync(db => db.Documents.Where(d => d.AccountId == id).Select(d => d.StorageName)
            .Concat(db.RequestAttachments.Where(f => db.CustomerRequests.Any(r => r.Id == f.RequestId && r.AccountId == id)).Select(f => f.StorageName)).ToListAsync());
        Assert.Equal(2, files.Count);
        await CloseAsync(browser, await browser.GetAsync("/cabinet/close"), customer.Password);

        var destruction = app.Service<AccountDestruction>();
        app.Clock.Advance(TimeSpan.FromDays(14) - TimeSpan.FromMinutes(1));
        await destruction.PurgeDueAsync(CancellationToken.None);
        Assert.Equal(AccountStatus.Closing, (await AccountAsync(app, id)).Status);
        app.Clock.Advance(TimeSpan.FromMinutes(2));
        Assert.True(await destruction.PurgeDueAsync(CancellationToken.None) > 0);

        var stub = await AccountAsync(app, id);
        Assert.Equal(AccountStatus.Destroyed, stub.Status);
        Assert.NotNull(stub.DestroyedAt);
        Assert.Empty(stub.SealedFirstName);
        Assert.Empty(stub.SealedEmail);
        Assert.Null(stub.SealedPhone);
        Assert.Null(stub.PhoneIndex);
        Assert.Null(stub.UserName);
        Assert.Null(stub.PasswordHash);
        Assert.NotNull(stub.ConfirmedAt);
        var key = await app.WithDbAsync(db => db.DataKeys.AsNoTracking().SingleAsync(k => k.AccountId == id));
        Assert.Null(key.WrappedKey);
        var store = app.Service<IDocumentStore>();
        foreach (var file in files)
        {
            Assert.Null(await store.GetAsync(file, CancellationToken.None));
        }
        await AssertNothingOfTheirsRemainsAsync(app, id);
        Assert.Equal(1, await app.WithDbAsync(db => db.AuditEntries.CountAsync(e => e.Action == "customer.destroyed" && e.Subject == id.ToString())));
        // The request stays in the register, without its words or files.
        var request = await app.WithDbAsync(db => db.CustomerRequests.AsNoTracking().SingleAsync(r => r.AccountId == id));
        Assert.Empty(request.SealedText);
        Assert.Equal(0, await app.WithDbAsync(db => db.RequestAttachments.CountAsync(f => f.RequestId == request.Id)));
        // The consent ledger and the audit trail still verify, and still hold the customer's id (nothing else).
        Assert.True(await app.WithDbAsync(db => db.ConsentRecords.AnyAsync(c => c.AccountId == id)));

        // Their email and phone lead nowhere; the raw database no longer holds anything that opens to them.
        Assert.Equal("/account/login", (await Journeys.SignInAsync(browser, customer.Email, customer.Password)).Url.AbsolutePath);
        using var reuse = app.NewBrowser();
        var again = await Journeys.RegisterAsync(reuse, customer with { });
        Assert.EndsWith("/account/register/done", again.Url.AbsolutePath, StringComparison.Ordinal);
        // The bystander is untouched.
        Assert.Equal("/cabinet", (await Journeys.SignInAsync(bystanderBrowser, bystander.Email, bystander.Password)).Url.AbsolutePath);
    }

    [Fact]
    public async Task ACrashInTheMiddleOfDestructionLeavesNothingHalfDeletedAndTheNextRunFinishes()
    {
        using var app = new FlakyStoreApp(Settings);
        var (customer, id, browser) = await SignedInAsync(app);
        using var _ = browser;
        var files = await app.WithDbAsync(db => db.Documents.Where(d => d.AccountId == id).Select(d => d.StorageName).ToListAsync());
        await CloseAsync(browser, await browser.GetAsync("/cabinet/close"), customer.Password);
        app.Clock.Advance(TimeSpan.FromDays(15));
        var destruction = app.Service<AccountDestruction>();

        // 1. The database fails in the middle of the transaction (after the documents' rows, at the sessions').
        await CrashOnDeletingSessionsAsync(app, on: true);
        await Assert.ThrowsAnyAsync<Exception>(() => destruction.PurgeDueAsync(CancellationToken.None));
        var untouched = await AccountAsync(app, id);
        Assert.Equal(AccountStatus.Closing, untouched.Status);
        Assert.NotEmpty(untouched.SealedEmail);
        Assert.Equal(files.Count, await app.WithDbAsync(db => db.Documents.CountAsync(d => d.AccountId == id)));
        Assert.NotNull((await app.WithDbAsync(db => db.DataKeys.AsNoTracking().SingleAsync(k => k.AccountId == id))).WrappedKey);
        Assert.Equal(0, await app.WithDbAsync(db => db.StoreDeletions.CountAsync()));
        Assert.Equal(0, await app.WithDbAsync(db => db.AuditEntries.CountAsync(e => e.Action == "customer.destroyed")));
        await CrashOnDeletingSessionsAsync(app, on: false);

        // 2. The store fails after the commit: the customer is destroyed, the files wait in the queue.
        app.FailDeletes = true;
        await Assert.ThrowsAnyAsync<IOException>(() => destruction.PurgeDueAsync(CancellationToken.None));
        Assert.Equal(AccountStatus.Destroyed, (await AccountAsync(app, id)).Status);
        Assert.Equal(files.Count, await app.WithDbAsync(db => db.StoreDeletions.CountAsync()));
        app.FailDeletes = false;

        // 3. The next run finishes.
        await destruction.PurgeDueAsync(CancellationToken.None);
        Assert.Equal(0, await app.WithDbAsync(db => db.StoreDeletions.CountAsync()));
        foreach (var file in files)
        {
            Assert.Null(await app.Service<IDocumentStore>().GetAsync(file, CancellationToken.None));
        }
        await AssertNothingOfTheirsRemainsAsync(app, id);
        Assert.Equal(1, await app.WithDbAsync(db => db.AuditEntries.CountAsync(e => e.Action == "customer.destroyed" && e.Subject == id.ToString())));
    }

    [Fact]
    public async Task UnderARetentionHoldTheClosureEndsInABlockWithTheReasonShownAndNothingDestroyed()
    {
        using var app = new DerbesApp(Settings);
        var (customer, id, browser) = await SignedInAsync(app);
        using var _ = browser;
        const string reason = "Сот ісі №2-145/2026 бойынша сақтау талабы";
        // The PrivacyOfficer records the hold on the customer's record (Support cannot).
        var officer = await StaffJourneys.CreateAsync(app, Derbes.Web.Security.StaffRoles.PrivacyOfficer);
        using var staff = app.NewBrowser();
        await StaffJourneys.SignInAsync(app, staff, officer);
        var record = await staff.SubmitAsync(await staff.GetAsync($"/admin/customers/{id}"), new Dictionary<string, string> { ["Reason"] = "PrivacyRequest", ["Reference"] = "REQ-2026-77" });
        var saved = await staff.SubmitAsync(record, new Dictionary<string, string> { ["Hold"] = reason }, formSelector: "form[action*='handler=hold']");
        Assert.Contains(app.Text("Customers.HoldSet"), saved.Text, StringComparison.Ordinal);
        Assert.Equal(1, await app.WithDbAsync(db => db.AuditEntries.CountAsync(e => e.Action == "customer.hold-set" && e.Subject == id.ToString())));

        var page = await browser.GetAsync("/cabinet/close");
        Assert.Contains(reason, page.Text, StringComparison.Ordinal);
        Assert.Contains(app.Text("Close.Step.Held"), page.Text, StringComparison.Ordinal);
        await CloseAsync(browser, page, customer.Password);
        app.Clock.Advance(TimeSpan.FromDays(15));
        await app.Service<AccountDestruction>().PurgeDueAsync(CancellationToken.None);

        var account = await AccountAsync(app, id);
        Assert.Equal(AccountStatus.Blocked, account.Status);
        Assert.NotEmpty(account.SealedEmail);
        Assert.NotEmpty(await app.WithDbAsync(db => db.Documents.Where(d => d.AccountId == id).ToListAsync()));
        var held = await app.Mail.WaitForAsync(customer.Email, app.Text("Email.ClosingHeld.Subject", "SMALL"));
        Assert.Contains(reason, held.TextBody, StringComparison.Ordinal);
        Assert.Equal(1, await app.WithDbAsync(db => db.AuditEntries.CountAsync(e => e.Action == "customer.closing-held" && e.Subject == id.ToString())));

        // When the hold is lifted, the closure finishes: the account is due at once and the next run destroys it.
        await StaffJourneys.SignInAsync(app, staff, officer);
        record = await staff.SubmitAsync(await staff.GetAsync($"/admin/customers/{id}"), new Dictionary<string, string> { ["Reason"] = "PrivacyRequest", ["Reference"] = "REQ-2026-78" });
        var lifted = await staff.SubmitAsync(record, new Dictionary<string, string> { ["Hold"] = "" }, formSelector: "form[action*='handler=hold']");
        Assert.Contains(app.Text("Customers.HoldLifted"), lifted.Text, StringComparison.Ordinal);
        Assert.Equal(AccountStatus.Closing, (await AccountAsync(app, id)).Status);
        await app.Service<AccountDestruction>().PurgeDueAsync(CancellationToken.None);
        Assert.Equal(AccountStatus.Destroyed, (await AccountAsync(app, id)).Status);
        // Its record no longer opens: nothing is left to show.
        var gone = await staff.SubmitAsync(await staff.GetAsync($"/admin/customers/{id}"), new Dictionary<string, string> { ["Reason"] = "PrivacyRequest", ["Reference"] = "REQ-2026-79" });
        Assert.Equal(System.Net.HttpStatusCode.NotFound, gone.Status);
    }

    [Fact]
    public void EveryTableThatNamesACustomerIsEitherEmptiedOrKeptForAStatedReason()
    {
        // Rows are found by these columns; a new table holding them must be handled by the destruction (and listed
        // there as kept, with a reason, if the law requires keeping it).
        using var app = new DerbesApp(Settings);
        using var scope = app.Services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<DerbesDb>();
        var named = db.Model.GetEntityTypes()
            .Where(t => t.GetProperties().Any(p => p.Name is "AccountId" or "UserId" && (p.ClrType == typeof(Guid) || p.ClrType == typeof(Guid?))))
            .Select(t => t.ClrType)
            .ToList();
        var emptied = Emptied(db).Select(q => q.Type).ToHashSet();
        foreach (var type in named)
        {
            Assert.True(emptied.Contains(type) || AccountDestruction.Kept.ContainsKey(type), $"{type.Name} names a customer but the destruction neither empties it nor says why it is kept");
        }
    }

    /// <summary>The tables the destruction empties of the customer's rows, as queries counting them.</summary>
    private static IEnumerable<(Type Type, Func<Guid, Task<int>> Count)> Emptied(DerbesDb db) =>
    [
        (typeof(CustomerDocument), id => db.Documents.CountAsync(d => d.AccountId == id)),
        (typeof(AccountToken), id => db.AccountTokens.CountAsync(t => t.AccountId == id)),
        (typeof(UserSession), id => db.Sessions.CountAsync(s => s.AccountId == id)),
        (typeof(Derbes.Web.Messaging.OutboxMessage), id => db.Outbox.CountAsync(m => m.AccountId == id)),
        (typeof(Microsoft.AspNetCore.Identity.IdentityUserToken<Guid>), id => db.UserTokens.CountAsync(t => t.UserId == id)),
        (typeof(Microsoft.AspNetCore.Identity.IdentityUserLogin<Guid>), id => db.UserLogins.CountAsync(t => t.UserId == id)),
        (typeof(Microsoft.AspNetCore.Identity.IdentityUserClaim<Guid>), id => db.UserClaims.CountAsync(t => t.UserId == id)),
        (typeof(Microsoft.AspNetCore.Identity.IdentityUserRole<Guid>), id => db.UserRoles.CountAsync(t => t.UserId == id)),
        (typeof(Derbes.Web.Breaches.BreachCustomer), id => db.BreachCustomers.CountAsync(c => c.AccountId == id)),
    ];

    private static async Task AssertNothingOfTheirsRemainsAsync(DerbesApp app, Guid id)
    {
        await using var scope = app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<DerbesDb>();
        foreach (var (type, count) in Emptied(db))
        {
            Assert.True(await count(id) == 0, $"{type.Name} still holds rows of the destroyed customer");
        }
    }

    /// <summary>Makes the database refuse to delete sessions (a trigger), as a crash at that point of the transaction would.</summary>
    private static Task<int> CrashOnDeletingSessionsAsync(DerbesApp app, bool on) => app.WithDbAsync(async db =>
    {
        if (app.OnPostgres)
        {
            await db.Database.ExecuteSqlRawAsync(on
                ? """CREATE OR REPLACE FUNCTION crash_now() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'crash'; END $$ LANGUAGE plpgsql; CREATE TRIGGER crash_now BEFORE DELETE ON "Sessions" FOR EACH ROW EXECUTE FUNCTION crash_now();"""
                : """DROP TRIGGER crash_now ON "Sessions"; DROP FUNCTION crash_now();""");
        }
        else
        {
            await db.Database.ExecuteSqlRawAsync(on
                ? """CREATE TRIGGER crash_now BEFORE DELETE ON "Sessions" BEGIN SELECT RAISE(ABORT, 'crash'); END;"""
                : """DROP TRIGGER crash_now;""");
        }
        return 0;
    });

    /// <summary>The app with a document store that can be made to fail deleting, as a store that is down would.</summary>
    private sealed class FlakyStoreApp(Dictionary<string, string?> settings) : DerbesApp(settings)
    {
        public volatile bool FailDeletes;

        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.ConfigureServices(services =>
            {
                var original = services.Last(d => d.ServiceType == typeof(IDocumentStore));
                services.Remove(original);
                services.AddSingleton<IDocumentStore>(sp => new FlakyStore((IDocumentStore)original.ImplementationFactory!(sp), this));
            });
        }
    }

    private sealed class FlakyStore(IDocumentStore inner, FlakyStoreApp app) : IDocumentStore
    {
        public Task PutAsync(string storageName, byte[] sealedBytes, CancellationToken cancellationToken) => inner.PutAsync(storageName, sealedBytes, cancellationToken);

        public Task<byte[]?> GetAsync(string storageName, CancellationToken cancellationToken) => inner.GetAsync(storageName, cancellationToken);

        public Task DeleteAsync(string storageName, CancellationToken cancellationToken) =>
            app.FailDeletes ? throw new IOException("The store is down.") : inner.DeleteAsync(storageName, cancellationToken);
    }
}
