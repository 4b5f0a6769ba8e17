using System.Net;
using System.Text;
using Derbes.Web.Data;
using Derbes.Web.Security;
using Derbes.Web.Startup;
using Derbes.Web.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Derbes.Web.Tests.Admin;

/// <summary>
/// The audit trail (issue 4): the PrivacyOfficer filters and exports it, and both the page and the
/// <c>verify-audit</c> command find a row edited in the database.
/// </summary>
public sealed class AuditTrailTests
{
    [Fact]
    public async Task VerifyAuditFindsARowEditedInTheDatabaseAndNamesIt()
    {
        using var app = new DerbesApp();
        using (var browser = app.NewBrowser())
        {
            await Journeys.RegisteredAndConfirmedAsync(app, browser);
            await Journeys.SignInAsync(browser, Journeys.Someone().Email, "wrong password for nobody");
        }
        var intact = new StringWriter();
        Assert.Equal(0, await Commands.VerifyAuditAsync(app.Services, intact, CancellationToken.None));
        Assert.Matches(@"audit trail: intact \(\d+ entries\)", intact.ToString());
        Assert.Matches(@"consent ledger: intact \(\d+ records\)", intact.ToString());

        // Someone with database access softens one entry.
        var victim = await app.WithDbAsync(db => db.AuditEntries.OrderBy(e => e.Id).Skip(1).Select(e => e.Id).FirstAsync());
        await app.WithDbAsync(db => db.AuditEntries.Where(e => e.Id == victim).ExecuteUpdateAsync(s => s.SetProperty(e => e.Outcome, "nothing happened")));
        var broken = new StringWriter();
        Assert.Equal(1, await Commands.VerifyAuditAsync(app.Services, broken, CancellationToken.None));
        Assert.Contains($"audit trail: BROKEN at entry {victim}", broken.ToString(), StringComparison.Ordinal);

        // A deleted consent record is caught too, at the record after the gap.
        var consents = await app.WithDbAsync(db => db.ConsentRecords.OrderBy(c => c.Id).Select(c => c.Id).Take(2).ToListAsync());
        await app.WithDbAsync(db => db.ConsentRecords.Where(c => c.Id == consents[0]).ExecuteDeleteAsync());
        var gap = new StringWriter();
        Assert.Equal(1, await Commands.VerifyAuditAsync(app.Services, gap, CancellationToken.None));
        Assert.Contains($"consent ledger: BROKEN at record {consents[1]}", gap.ToString(), StringComparison.Ordinal);

        // The PrivacyOfficer's check on the page says the same.
        var officer = await StaffJourneys.CreateAsync(app, StaffRoles.PrivacyOfficer);
        using var staff = app.NewBrowser();
        await StaffJourneys.SignInAsync(app, staff, officer);
        var page = await staff.GetAsync("/admin/audit");
        var checkedPage = await staff.SubmitAsync(page, formSelector: "main form[action*='handler=verify']");
        Assert.Contains(app.Text("Audit.Broken", victim, consents[1]), checkedPage.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnAuditedSaveInATransactionOpenedWithoutTheChainLockIsRefusedAndUnderTheLockItIsSaved()
    {
        // Chain lock first, database second, everywhere: a transaction opened first would hold SQLite's write lock
        // while waiting for the chain lock, and a chain writer holding the lock would wait for the database.
        using var app = new DerbesApp();
        var subject = Guid.NewGuid();
        var refused = await app.WithDbAsync(async db =>
        {
            await using var transaction = await db.Database.BeginTransactionAsync();
            new Derbes.Web.Audit.AuditTrail(db, new Microsoft.AspNetCore.Http.HttpContextAccessor(), app.Clock).Record("test.outside-lock", subject);
            return await Assert.ThrowsAsync<InvalidOperationException>(() => db.SaveChangesAsync());
        });
        Assert.Contains("WithChainLockAsync", refused.Message, StringComparison.Ordinal);
        Assert.Equal(0, await app.WithDbAsync(db => db.AuditEntries.CountAsync(e => e.Action == "test.outside-lock")));

        await app.WithDbAsync(db => db.WithChainLockAsync(async ct =>
        {
            new Derbes.Web.Audit.AuditTrail(db, new Microsoft.AspNetCore.Http.HttpContextAccessor(), app.Clock).Record("test.under-lock", subject);
            return await db.SaveChangesAsync(ct);
        }, CancellationToken.None));
        Assert.Equal(1, await app.WithDbAsync(db => db.AuditEntries.CountAsync(e => e.Action == "test.under-lock")));
        var intact = new StringWriter();
        Assert.Equal(0, await Commands.VerifyAuditAsync(app.Services, intact, CancellationToken.None));
    }

    [Fact]
    public async Task ThePrivacyOfficerFiltersAndExportsTheTrailAndBothAreAudited()
    {
        using var app = new DerbesApp();
        using var browser = app.NewBrowser();
        var customer = await Journeys.RegisteredAndConfirmedAsync(app, browser);
        var index = app.Service<BlindIndex>().Email(customer.Email);
        var id = await app.WithDbAsync(db => db.Users.Where(a => a.EmailIndex == index).Select(a => a.Id).SingleAsync());
        // An outcome that a spreadsheet would run as a formula.
        await app.WithDbAsync(async db =>
        {
            new Derbes.Web.Audit.AuditTrail(db, new Microsoft.AspNetCore.Http.HttpContextAccessor(), app.Clock).Record("test.formula", id, outcome: "=HYPERLINK(\"http://x\")");
            return await db.SaveChangesAsync();
        });

        var officer = await StaffJourneys.CreateAsync(app, StaffRoles.PrivacyOfficer);
        using var staff = app.NewBrowser();
        await StaffJourneys.SignInAsync(app, staff, officer);
        var filtered = await staff.GetAsync($"/admin/audit?Subject={id}&Action=account.");
        var rows = filtered.Document.QuerySelectorAll("main table tbody tr");
        Assert.NotEmpty(rows);
        Assert.All(rows, r => Assert.Contains(id.ToString(), r.TextContent, StringComparison.Ordinal));
        Assert.All(rows, r => Assert.Contains("account.", r.TextContent, StringComparison.Ordinal));

        var csv = await staff.Client.GetAsync($"/admin/audit?handler=csv&Subject={id}");
        Assert.Equal(HttpStatusCode.OK, csv.StatusCode);
        Assert.Equal("text/csv", csv.Content.Headers.ContentType?.MediaType);
        Assert.Equal("attachment", csv.Content.Headers.ContentDisposition?.DispositionType);
        var text = Encoding.UTF8.GetString(await csv.Content.ReadAsByteArrayAsync()).TrimStart('\uFEFF');
        var lines = text.Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("id,at_utc,actor,role,action,subject,outcome,ip,correlation_id,hash", lines[0]);
        Assert.True(lines.Length > 2);
        Assert.Contains("\"'=HYPERLINK(\"\"http://x\"\")\"", text, StringComparison.Ordinal);

        var own = await app.WithDbAsync(db => db.AuditEntries.Where(e => e.Actor == officer.Id.ToString()).Select(e => e.Action).ToListAsync());
        Assert.Contains("audit.viewed", own);
        Assert.Contains("audit.exported", own);
    }

    [Fact]
    public async Task EachEntryNamesTheActorsRoleStaffRolesForStaffCustomerForACustomerAndNothingForNobody()
    {
        using var app = new DerbesApp();
        using var browser = app.NewBrowser();
        var customer = await Journeys.RegisteredAndConfirmedAsync(app, browser);
        var index = app.Service<BlindIndex>().Email(customer.Email);
        var id = (await app.WithDbAsync(db => db.Users.Where(a => a.EmailIndex == index).Select(a => a.Id).SingleAsync())).ToString();
        await Journeys.SignInAsync(browser, customer.Email, customer.Password);
        await browser.SubmitAsync(await browser.GetAsync("/cabinet"), formSelector: "main form[action='/account/logout']");
        using (var stranger = app.NewBrowser())
        {
            await Journeys.SignInAsync(stranger, "nobody." + Guid.NewGuid().ToString("N") + "@example.kz", "wrong password for nobody");
        }
        // Roles given in another order than the fixed one.
        var officer = await StaffJourneys.CreateAsync(app, StaffRoles.PrivacyOfficer, StaffRoles.Support);
        using var staff = app.NewBrowser();
        await StaffJourneys.SignInAsync(app, staff, officer);
        await staff.GetAsync("/admin/audit");

        var entries = await app.WithDbAsync(db => db.AuditEntries.AsNoTracking().OrderBy(e => e.Id).ToListAsync());
        // The customer's sign-in names the customer, as a customer; so does what they do signed in.
        var signIn = Assert.Single(entries, e => e.Action == "signin.succeeded" && e.Subject == id);
        Assert.Equal(id, signIn.Actor);
        Assert.Equal("customer", signIn.Role);
        Assert.Equal("customer", Assert.Single(entries, e => e.Action == "signout" && e.Subject == id).Role);
        // Before anyone has signed in there is no role.
        Assert.Equal("", Assert.Single(entries, e => e.Action == "account.registered").Role);
        var unknown = Assert.Single(entries, e => e.Action == "signin.failed" && e.Subject == "unknown");
        Assert.Equal(("anonymous", ""), (unknown.Actor, unknown.Role));
        // Staff: the roles they hold at that moment, in the fixed order, from sign-in on.
        var staffSignIn = Assert.Single(entries, e => e.Action == "signin.succeeded" && e.Subject == officer.Id.ToString());
        Assert.Equal((officer.Id.ToString(), "Support,PrivacyOfficer"), (staffSignIn.Actor, staffSignIn.Role));
        var viewed = Assert.Single(entries, e => e.Action == "audit.viewed");
        Assert.Equal((officer.Id.ToString(), "Support,PrivacyOfficer"), (viewed.Actor, viewed.Role));

        // The PrivacyOfficer sees the role, filters by it (any one of several roles finds the entry) and exports it.
        var customers = await staff.GetAsync("/admin/audit?Role=customer");
        var rows = customers.Document.QuerySelectorAll("main table tbody tr");
        Assert.NotEmpty(rows);
        Assert.All(rows, r => Assert.Equal("customer", r.QuerySelector("td[data-label='" + app.Text("Audit.Role") + "']")?.TextContent));
        var support = await staff.GetAsync("/admin/audit?Role=Support");
        Assert.Contains(support.Document.QuerySelectorAll("main table tbody tr"), r => r.TextContent.Contains("audit.viewed", StringComparison.Ordinal));
        Assert.DoesNotContain(support.Document.QuerySelectorAll("main table tbody tr"), r => r.TextContent.Contains("signout", StringComparison.Ordinal));
        var csv = Encoding.UTF8.GetString(await staff.Client.GetByteArrayAsync($"/admin/audit?handler=csv&Subject={officer.Id}"));
        Assert.Contains($"\"{officer.Id}\",\"Support,PrivacyOfficer\",\"signin.succeeded\"", csv, StringComparison.Ordinal);

        // Entries with and without a role chain together.
        var output = new StringWriter();
        Assert.Equal(0, await Commands.VerifyAuditAsync(app.Services, output, CancellationToken.None));
    }

    [Theory]
    [InlineData("plain", "\"plain\"")]
    [InlineData("=1+1", "\"'=1+1\"")]
    [InlineData("+7", "\"'+7\"")]
    [InlineData("-2", "\"'-2\"")]
    [InlineData("@SUM(A1)", "\"'@SUM(A1)\"")]
    [InlineData("say \"hi\"", "\"say \"\"hi\"\"\"")]
    public void CsvCellsAreQuotedAndFormulasDisarmed(string value, string expected) => Assert.Equal(expected, Csv.Cell(value));
}
