using System.Net;
using Derbes.Web.Security;
using Derbes.Web.Staff;
using Derbes.Web.Tests.Infrastructure;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OtpNet;

namespace Derbes.Web.Tests.Admin;

/// <summary>
/// Staff and roles (issue 4): every admin page declares its roles and refuses the others with a logged 403;
/// the Administrator invites staff by email, who set their own password and authenticator; role changes and
/// deactivation apply at the next request; the last Administrator stays.
/// </summary>
public sealed class StaffTests : IClassFixture<StaffTests.App>
{
    public sealed class App : DerbesApp;

    private readonly App _app;

    public StaffTests(App app) => _app = app;

    [Fact]
    public async Task EveryAdminPageDeclaresItsRolesAndRefusesEveryOtherRoleWithALogged403()
    {
        var pages = AdminRoutes(_app);
        Assert.Contains(pages, p => p.Route == "/admin");
        Assert.Contains(pages, p => p.Route == "/admin/staff");
        foreach (var page in pages)
        {
            Assert.True(page.Roles.Count > 0, $"{page.Route} declares no role with [Authorize(Roles = …)]");
            Assert.All(page.Roles, r => Assert.Contains(r, StaffRoles.All));
        }

        var someone = await StaffJourneys.CreateAsync(_app, StaffRoles.Support);
        foreach (var role in StaffRoles.All)
        {
            var staff = await StaffJourneys.CreateAsync(_app, role);
            using var browser = _app.NewBrowser();
            Assert.Equal("/admin", (await StaffJourneys.SignInAsync(_app, browser, staff)).Url.AbsolutePath);
            foreach (var page in pages)
            {
                var url = page.Route.Replace("{id:guid}", someone.Id.ToString(), StringComparison.Ordinal).Replace("{id:long}", "1", StringComparison.Ordinal);
                var response = await browser.Client.GetAsync(url);
                if (page.Roles.Contains(role))
                {
                    // Allowed in; a page about one thing may not find a thing with a staff member's id, or may send
                    // the visitor to the record first (to state a reason).
                    var ok = response.StatusCode == HttpStatusCode.OK
                        || (page.Route.Contains('{', StringComparison.Ordinal) && response.StatusCode == HttpStatusCode.NotFound)
                        || (page.Route.Contains('{', StringComparison.Ordinal) && response.StatusCode == HttpStatusCode.Found && response.Headers.Location?.OriginalString.StartsWith("/admin/", StringComparison.Ordinal) == true);
                    Assert.True(ok, $"{role} on {url}: {response.StatusCode}");
                }
                else
                {
                    Assert.True(response.StatusCode == HttpStatusCode.Forbidden, $"{role} on {url}: {response.StatusCode}");
                    var logged = await _app.WithDbAsync(db => db.AuditEntries.CountAsync(e => e.Action == "access.denied" && e.Actor == staff.Id.ToString() && e.Subject == url));
                    Assert.True(logged == 1, $"{role} refused on {url} but not logged");
                }
            }
        }

        // A customer gets 403 on every admin page; a stranger is sent to sign in.
        using var customerBrowser = _app.NewBrowser();
        var customer = await Journeys.RegisteredAndConfirmedAsync(_app, customerBrowser);
        await Journeys.SignInAsync(customerBrowser, customer.Email, customer.Password);
        using var stranger = _app.NewBrowser();
        foreach (var page in pages)
        {
            var url = page.Route.Replace("{id:guid}", someone.Id.ToString(), StringComparison.Ordinal).Replace("{id:long}", "1", StringComparison.Ordinal);
            Assert.Equal(HttpStatusCode.Forbidden, (await customerBrowser.Client.GetAsync(url)).StatusCode);
            var anonymous = await stranger.Client.GetAsync(url);
            Assert.Equal(HttpStatusCode.Redirect, anonymous.StatusCode);
            Assert.StartsWith("/account/login", anonymous.Headers.Location?.AbsolutePath ?? anonymous.Headers.Location?.OriginalString, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task AnAdministratorInvitesStaffWhoSetTheirOwnPasswordAndAuthenticator()
    {
        var admin = await StaffJourneys.CreateAsync(_app, StaffRoles.Administrator);
        using var adminBrowser = _app.NewBrowser();
        await StaffJourneys.SignInAsync(_app, adminBrowser, admin);
        var email = $"new.staff.{Guid.NewGuid():N}@small.example.kz";
        var form = await adminBrowser.GetAsync("/admin/staff/invite");
        var invited = await adminBrowser.SubmitAsync(form, new Dictionary<string, string>
        {
            ["Input.FirstName"] = "Дәурен",
            ["Input.LastName"] = "<script>alert(1)</script>",
            ["Input.Email"] = email,
            ["Input.Language"] = "ru",
            ["Input.Roles"] = StaffRoles.Support,
        });
        Assert.StartsWith("/admin/staff/", invited.Url.AbsolutePath, StringComparison.Ordinal);
        Assert.Contains(_app.Text("Staff.Invited"), invited.Text, StringComparison.Ordinal);
        Assert.Contains(_app.Text("StaffStatus.Invited"), invited.Text, StringComparison.Ordinal);
        // Typed markup is shown as text, never run.
        Assert.Contains("&lt;script&gt;alert(1)&lt;/script&gt;", invited.Body, StringComparison.Ordinal);
        Assert.DoesNotContain("<script>alert(1)", invited.Body, StringComparison.Ordinal);

        // The invitee cannot sign in before accepting.
        using var invitee = _app.NewBrowser();
        Assert.Equal("/account/login", (await Journeys.SignInAsync(invitee, email, StaffJourneys.Password)).Url.AbsolutePath);

        // The email, in the language chosen for them, carries a one-time link.
        var mail = await _app.Mail.WaitForAsync(email);
        Assert.Contains(_app.TextIn("ru", "Email.StaffInvitation.Subject", "SMALL"), mail.Subject, StringComparison.Ordinal);
        var link = new Uri(Mailbox.Link(mail, "/staff/accept"));
        var accept = await invitee.GetAsync(link.PathAndQuery);
        Assert.Equal("no-referrer", accept.Header("Referrer-Policy"));
        var key = accept.Document.QuerySelector("main code.key")?.TextContent.Trim() ?? "";
        Assert.Equal(32, key.Length);

        var totp = new Totp(Base32Encoding.ToBytes(key));
        var wrong = await invitee.SubmitAsync(accept, new Dictionary<string, string>
        {
            ["Input.Password"] = "short",
            ["Input.Code"] = ((int.Parse(totp.ComputeTotp(_app.Clock.GetUtcNow().UtcDateTime), System.Globalization.CultureInfo.InvariantCulture) + 500_000) % 1_000_000).ToString("D6", System.Globalization.CultureInfo.InvariantCulture),
        });
        Assert.Equal("/staff/accept", wrong.Url.AbsolutePath);
        Assert.Equal(_app.Text("TwoFactor.Invalid"), wrong.ErrorText("code-error"));
        Assert.NotEmpty(wrong.ErrorText("password-error"));

        var done = await invitee.SubmitAsync(wrong, new Dictionary<string, string>
        {
            ["Input.Password"] = StaffJourneys.Password,
            ["Input.Code"] = totp.ComputeTotp(_app.Clock.GetUtcNow().UtcDateTime),
        });
        Assert.Equal("/account/login", done.Url.AbsolutePath);
        Assert.Contains(_app.Text("Staff.Accepted"), done.Text, StringComparison.Ordinal);

        // The link is spent.
        var again = await _app.NewBrowser().GetAsync(link.PathAndQuery);
        Assert.Contains(_app.Text("Link.Invalid"), again.Text, StringComparison.Ordinal);

        // Signs in with password and code, reaches the staff home, not the Administrator's pages.
        var id = Guid.Parse(invited.Url.AbsolutePath["/admin/staff/".Length..]);
        var home = await StaffJourneys.SignInAsync(_app, invitee, new StaffLogin(id, "Дәурен", email, StaffJourneys.Password, key));
        Assert.Equal("/admin", home.Url.AbsolutePath);
        Assert.Equal(HttpStatusCode.Forbidden, (await invitee.Client.GetAsync("/admin/staff")).StatusCode);

        // The authenticator key is stored sealed: the database alone does not give anyone the codes.
        var storedKey = await _app.WithDbAsync(db => db.UserTokens.Where(t => t.UserId == id && t.Name == StaffAuthenticator.KeyName).Select(t => t.Value).SingleAsync());
        Assert.StartsWith("sealed:", storedKey, StringComparison.Ordinal);
        Assert.DoesNotContain(key, storedKey!, StringComparison.Ordinal);

        var actions = await _app.WithDbAsync(db => db.AuditEntries.Where(e => e.Subject == id.ToString()).Select(e => e.Action).ToListAsync());
        Assert.Contains("staff.invited", actions);
        Assert.Contains("staff.invitation-accepted", actions);
    }

    [Fact]
    public async Task RoleChangesApplyAtTheNextRequestAndAreAudited()
    {
        var admin = await StaffJourneys.CreateAsync(_app, StaffRoles.Administrator);
        var colleague = await StaffJourneys.CreateAsync(_app, StaffRoles.Administrator, StaffRoles.Support);
        using var adminBrowser = _app.NewBrowser();
        using var colleagueBrowser = _app.NewBrowser();
        await StaffJourneys.SignInAsync(_app, adminBrowser, admin);
        await StaffJourneys.SignInAsync(_app, colleagueBrowser, colleague);
        Assert.Equal(HttpStatusCode.OK, (await colleagueBrowser.Client.GetAsync("/admin/staff")).StatusCode);

        var edit = await adminBrowser.GetAsync($"/admin/staff/{colleague.Id}");
        var saved = await adminBrowser.SubmitAsync(edit, new Dictionary<string, string> { ["Input.Roles"] = StaffRoles.Support }, formSelector: "main form[action$='handler=roles']");
        Assert.Contains(_app.Text("Staff.RolesSaved"), saved.Text, StringComparison.Ordinal);

        // No sign-out needed: the very next request is judged on the new roles. (The cookie's issue time has
        // whole seconds and the test clock stands still; a real clock has always moved on by the next request.)
        _app.Clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(HttpStatusCode.Forbidden, (await colleagueBrowser.Client.GetAsync("/admin/staff")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await colleagueBrowser.Client.GetAsync("/admin")).StatusCode);
        var entry = await _app.WithDbAsync(db => db.AuditEntries.SingleAsync(e => e.Action == "staff.roles-changed" && e.Subject == colleague.Id.ToString()));
        Assert.Equal(admin.Id.ToString(), entry.Actor);
        Assert.Equal("Administrator,Support>Support", entry.Outcome);
    }

    [Fact]
    public async Task DeactivationEndsEverySessionAtOnceAndStopsSignIn()
    {
        var admin = await StaffJourneys.CreateAsync(_app, StaffRoles.Administrator);
        var leaver = await StaffJourneys.CreateAsync(_app, StaffRoles.Support);
        using var adminBrowser = _app.NewBrowser();
        using var leaverBrowser = _app.NewBrowser();
        await StaffJourneys.SignInAsync(_app, adminBrowser, admin);
        await StaffJourneys.SignInAsync(_app, leaverBrowser, leaver);

        var edit = await adminBrowser.GetAsync($"/admin/staff/{leaver.Id}");
        var done = await adminBrowser.SubmitAsync(edit, formSelector: "main form[action$='handler=deactivate']");
        Assert.Contains(_app.Text("Staff.Deactivated"), done.Text, StringComparison.Ordinal);

        Assert.Equal("/account/login", (await leaverBrowser.GetAsync("/admin")).Url.AbsolutePath);
        var again = await Journeys.SignInAsync(leaverBrowser, leaver.Email, leaver.Password);
        Assert.Equal("/account/login", again.Url.AbsolutePath);
        Assert.Equal(0, await _app.WithDbAsync(db => db.Sessions.CountAsync(s => s.AccountId == leaver.Id && s.EndedAt == null)));
    }

    [Fact]
    public async Task TheLastActiveAdministratorCanNeitherLoseTheRoleNorBeDeactivated()
    {
        using var app = new DerbesApp();
        var only = await StaffJourneys.CreateAsync(app, StaffRoles.Administrator);
        using var browser = app.NewBrowser();
        await StaffJourneys.SignInAsync(app, browser, only);

        var edit = await browser.GetAsync($"/admin/staff/{only.Id}");
        var refused = await browser.SubmitAsync(edit, new Dictionary<string, string> { ["Input.Roles"] = StaffRoles.Support }, formSelector: "main form[action$='handler=roles']");
        Assert.Equal(app.Text("Staff.LastAdministrator"), refused.ErrorText("roles-error"));
        var stillAdmin = await browser.SubmitAsync(await browser.GetAsync($"/admin/staff/{only.Id}"), formSelector: "main form[action$='handler=deactivate']");
        Assert.Equal(app.Text("Staff.LastAdministrator"), stillAdmin.ErrorText("roles-error"));
        Assert.Equal(HttpStatusCode.OK, (await browser.Client.GetAsync("/admin/staff")).StatusCode);

        // With a second active Administrator, the first may step down.
        await StaffJourneys.CreateAsync(app, StaffRoles.Administrator);
        var stepDown = await browser.SubmitAsync(await browser.GetAsync($"/admin/staff/{only.Id}"), new Dictionary<string, string> { ["Input.Roles"] = StaffRoles.Support }, formSelector: "main form[action$='handler=roles']");
        Assert.Contains(app.Text("Staff.RolesSaved"), stepDown.Text, StringComparison.Ordinal);
        app.Clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(HttpStatusCode.Forbidden, (await browser.Client.GetAsync("/admin/staff")).StatusCode);
    }

    [Fact]
    public async Task TwoAdministratorsRemovingEachOtherAtTheSameMomentLeaveOne()
    {
        using var app = new DerbesApp();
        var survivor = (await StaffJourneys.CreateAsync(app, StaffRoles.Administrator)).Id;
        for (var round = 0; round < 8; round++)
        {
            var other = (await StaffJourneys.CreateAsync(app, StaffRoles.Administrator)).Id;
            // Each takes away the other's role (or, every other round, deactivates them), both at once.
            async Task<StaffChange> RemoveAsync(Guid who)
            {
                await using var scope = app.Services.CreateAsyncScope();
                var staff = scope.ServiceProvider.GetRequiredService<StaffDirectory>();
                await Task.Yield();
                return round % 2 == 0
                    ? await staff.SetRolesAsync(who, [StaffRoles.Support], CancellationToken.None)
                    : await staff.SetActiveAsync(who, false, CancellationToken.None);
            }
            var results = await Task.WhenAll(Task.Run(() => RemoveAsync(other)), Task.Run(() => RemoveAsync(survivor)));
            Assert.Contains(StaffChange.LastAdministrator, results);
            Assert.Contains(StaffChange.Done, results);
            var admins = await app.WithDbAsync(db => (
                from ur in db.UserRoles
                join r in db.Roles on ur.RoleId equals r.Id
                join a in db.Users on ur.UserId equals a.Id
                where r.Name == StaffRoles.Administrator && a.Status == Derbes.Web.Customers.AccountStatus.Active
                select a.Id).ToListAsync());
            Assert.Single(admins);
            survivor = admins[0];
        }
    }

    [Fact]
    public async Task AnInvitationNeedsAKnownRoleAFreeEmailAndNamesAndIgnoresForgedRoles()
    {
        var admin = await StaffJourneys.CreateAsync(_app, StaffRoles.Administrator);
        using var browser = _app.NewBrowser();
        await StaffJourneys.SignInAsync(_app, browser, admin);
        var before = await _app.WithDbAsync(db => db.Users.CountAsync());

        var form = await browser.GetAsync("/admin/staff/invite");
        var forged = await browser.SubmitAsync(form, new Dictionary<string, string>
        {
            ["Input.FirstName"] = "Ерік",
            ["Input.LastName"] = "Нұров",
            ["Input.Email"] = $"x.{Guid.NewGuid():N}@small.example.kz",
            ["Input.Roles"] = "Root",
        });
        Assert.Equal(_app.Text("Staff.RolesRequired"), forged.ErrorText("roles-error"));

        var taken = await browser.SubmitAsync(forged, new Dictionary<string, string>
        {
            ["Input.FirstName"] = "Ерік",
            ["Input.LastName"] = "Нұров",
            ["Input.Email"] = admin.Email.ToUpperInvariant(),
            ["Input.Roles"] = StaffRoles.Marketing,
        });
        Assert.Equal(_app.Text("Setup.EmailTaken"), taken.ErrorText("email-error"));

        var empty = await browser.SubmitAsync(taken, new Dictionary<string, string>
        {
            ["Input.FirstName"] = "",
            ["Input.LastName"] = new string('ж', 101),
            ["Input.Email"] = "not an email",
            ["Input.Roles"] = StaffRoles.Marketing,
        });
        Assert.NotEmpty(empty.ErrorText("first-name-error"));
        Assert.NotEmpty(empty.ErrorText("last-name-error"));
        Assert.NotEmpty(empty.ErrorText("email-error"));
        Assert.Equal(before, await _app.WithDbAsync(db => db.Users.CountAsync()));
    }

    [Fact]
    public async Task TheCabinetsRecordIsACustomersOwnAndRefusesStaffWithALogged403ButItsSecurityIsEveryAccounts()
    {
        // Every cabinet page, with its route values made up where it has any: the refusal comes before the page looks.
        var pages = SiteRoutes.All(_app.Services)
            .Where(r => r.Pattern == "/cabinet" || r.Pattern.StartsWith("/cabinet/", StringComparison.Ordinal))
            .Select(r => r.Path)
            .Distinct()
            .ToList();
        Assert.Contains("/cabinet/my-data", pages);
        Assert.Contains("/cabinet/security/password", pages);
        Assert.True(pages.Count >= 15, $"only {pages.Count} cabinet pages found");

        var staff = await StaffJourneys.CreateAsync(_app, StaffRoles.All);
        using var browser = _app.NewBrowser();
        await StaffJourneys.SignInAsync(_app, browser, staff);
        // The account's own security stays open to staff: the password and the sessions; the two-step page refuses them
        // itself (their authenticator is not theirs to turn off), as before.
        var open = new Dictionary<string, HttpStatusCode>
        {
            ["/cabinet/security"] = HttpStatusCode.OK,
            ["/cabinet/security/password"] = HttpStatusCode.OK,
            ["/cabinet/security/two-factor"] = HttpStatusCode.NotFound,
        };
        foreach (var (url, status) in open)
        {
            using var response = await browser.Client.GetAsync(url);
            Assert.True(response.StatusCode == status, $"staff on {url}: {response.StatusCode}");
        }
        foreach (var url in pages.Except(open.Keys))
        {
            using var response = await browser.Client.GetAsync(url);
            Assert.True(response.StatusCode == HttpStatusCode.Forbidden, $"staff on {url}: {response.StatusCode}");
            var logged = await _app.WithDbAsync(db => db.AuditEntries.CountAsync(e => e.Action == "access.denied" && e.Actor == staff.Id.ToString() && e.Subject == url));
            Assert.True(logged == 1, $"staff refused on {url} but not logged");
        }

        // The customer's own cabinet is theirs as before.
        using var customerBrowser = _app.NewBrowser();
        var customer = await Journeys.RegisteredAndConfirmedAsync(_app, customerBrowser);
        Assert.Equal("/cabinet", (await Journeys.SignInAsync(customerBrowser, customer.Email, customer.Password)).Url.AbsolutePath);
        Assert.Equal(HttpStatusCode.OK, (await customerBrowser.GetAsync("/cabinet/my-data")).Status);
    }

    private sealed record AdminPage(string Route, IReadOnlyList<string> Roles);

    /// <summary>Every page under /admin, with the roles its own [Authorize] declares (the folder rule only requires "staff").</summary>
    private static List<AdminPage> AdminRoutes(DerbesApp app) =>
        [.. app.Service<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText is { } raw && (raw == "admin" || raw.StartsWith("admin/", StringComparison.Ordinal)))
            .Select(e => new AdminPage(
                "/" + e.RoutePattern.RawText,
                [.. e.Metadata.GetOrderedMetadata<IAuthorizeData>()
                    .Where(a => a.Roles is not null)
                    .SelectMany(a => a.Roles!.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
                    .Distinct()]))
            .DistinctBy(p => p.Route)];
}
