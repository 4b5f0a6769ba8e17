using System.Net;
using System.Security.Cryptography;
using System.Text;
using Derbes.Web.Privacy;
using Derbes.Web.Security;
using Derbes.Web.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Derbes.Web.Tests.Privacy;

/// <summary>
/// Policy editions (issue 5): the Privacy Officer drafts, previews and publishes the next edition; it is current
/// at once in every language (Kazakh authoritative, translations say so), older editions stay as they were, the
/// changes page shows what changed, typed markup never runs, and only the Privacy Officer reaches the staff pages.
/// </summary>
public sealed class PolicyEditionTests
{
    private const string NewKazakhSentence = "Жаңа тармақ: деректер тек Қазақстанда сақталады.";

    [Fact]
    public async Task APublishedDraftIsTheCurrentEditionInKazakhRussianAndEnglishAndEditionOneStaysAsItWas()
    {
        using var app = new DerbesApp();
        using var officer = await OfficerAsync(app);
        var editionOne = await new Browser(officer.Client).GetAsync("/privacy/editions/1");

        var saved = await SaveDraftAsync(officer, CompleteDraft(await officer.GetAsync("/admin/policy/draft"), changesPurposes: true));
        Assert.Contains(app.Text("PolicyAdmin.DraftSavedNotice"), saved.Text, StringComparison.Ordinal);
        var preview = await officer.GetAsync("/admin/policy/preview");
        Assert.Contains(app.Text("PolicyAdmin.PreviewBanner", 2), preview.Text, StringComparison.Ordinal);
        Assert.Equal("Саясат, 2-редакция", preview.Document.QuerySelector("#preview-kk article h1")?.TextContent);
        Assert.NotNull(preview.Document.QuerySelector("#preview-ru article h2"));
        var published = await officer.SubmitAsync(preview);
        Assert.Equal("/admin/policy", published.Url.AbsolutePath);
        Assert.Contains(app.Text("PolicyAdmin.PublishedNotice"), published.Text, StringComparison.Ordinal);
        Assert.Contains(app.Text("PolicyAdmin.NoDraft"), published.Text, StringComparison.Ordinal);

        // Stored as the law asks: Markdown, Kazakh authoritative, the others translations, hashed as stored.
        var edition = await app.WithDbAsync(db => db.PolicyEditions.AsNoTracking().Include(e => e.Texts).SingleAsync(e => e.Number == 2));
        Assert.True(edition.RequiresReconsent);
        Assert.Equal(app.Clock.GetUtcNow(), edition.PublishedAt);
        Assert.Equal(["en", "kk", "ru"], edition.Texts.Select(t => t.Language).Order());
        Assert.All(edition.Texts, t => Assert.Equal(PolicyTextFormat.Markdown, t.Format));
        Assert.All(edition.Texts, t => Assert.Equal(t.Language != "kk", t.IsTranslation));
        Assert.All(edition.Texts, t => Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(t.Body))), t.Sha256));
        Assert.Equal(0, await app.WithDbAsync(db => db.PolicyDrafts.CountAsync()));

        // Current at once, in each language.
        using var reader = app.NewBrowser();
        var kazakh = await reader.GetAsync("/privacy");
        Assert.Equal("kk", kazakh.Document.QuerySelector("article.policy")?.GetAttribute("lang"));
        Assert.Equal("Саясат, 2-редакция", kazakh.Document.QuerySelector("article.policy h1")?.TextContent.Trim());
        Assert.Equal("Мақсаттар", kazakh.Document.QuerySelector("article.policy .policy-body h2")?.TextContent.Trim());
        Assert.Contains("2-редакция", kazakh.Document.QuerySelector("article.policy p.muted")?.TextContent, StringComparison.Ordinal);
        Assert.DoesNotContain(app.TextIn("kk", "Policy.Translation"), kazakh.Text, StringComparison.Ordinal);

        var russian = await app.NewBrowser().GetAsync("/privacy?lang=ru");
        var article = russian.Document.QuerySelector("article.policy")!;
        Assert.Equal("ru", article.GetAttribute("lang"));
        Assert.Equal("Политика, редакция 2", article.QuerySelector("h1")?.TextContent.Trim());
        Assert.Contains(app.TextIn("ru", "Policy.Translation"), article.TextContent, StringComparison.Ordinal);
        Assert.Equal("/privacy/editions/2?lang=kk", article.QuerySelector("a[hreflang=kk]")?.GetAttribute("href"));
        Assert.Contains(app.TextIn("ru", "Policy.WhatChanged"), article.TextContent, StringComparison.Ordinal);

        var english = await app.NewBrowser().GetAsync("/privacy?lang=en");
        Assert.Equal("Policy, edition 2", english.Document.QuerySelector("article.policy h1")?.TextContent.Trim());
        Assert.Contains(app.TextIn("en", "Policy.Translation"), english.Text, StringComparison.Ordinal);

        // Edition 1 is byte for byte what it was, and says it is no longer current.
        var one = await reader.GetAsync("/privacy/editions/1");
        Assert.Equal(editionOne.Document.QuerySelector("article.policy h1")?.TextContent, one.Document.QuerySelector("article.policy h1")?.TextContent);
        Assert.Equal(
            editionOne.Document.QuerySelectorAll("article.policy > h2, article.policy > p:not(.alert)").Select(e => e.TextContent).Skip(1),
            one.Document.QuerySelectorAll("article.policy > h2, article.policy > p:not(.alert)").Select(e => e.TextContent).Skip(1));
        Assert.Contains(app.Text("Policy.NotCurrent"), one.Text, StringComparison.Ordinal);

        // The list names both, newest first, with the summary and a link to what changed.
        var list = await reader.GetAsync("/privacy/editions");
        Assert.Equal(["/privacy/editions/2", "/privacy/editions/2/changes", "/privacy/editions/1"], list.Document.QuerySelectorAll("main ol.editions a").Select(a => a.GetAttribute("href")));
        Assert.Contains("Шағымға жауап беру мерзімі қысқарды.", list.Document.GetElementById("edition-2")?.TextContent, StringComparison.Ordinal);

        // Audited: every draft save and the publication, with its effect on customers.
        var entries = await app.WithDbAsync(db => db.AuditEntries.AsNoTracking().Where(e => e.Action.StartsWith("policy.")).ToListAsync());
        var draftSaved = Assert.Single(entries, e => e.Action == "policy.draft-saved");
        Assert.Equal("reconsent", draftSaved.Outcome);
        var publishedEntry = Assert.Single(entries, e => e.Action == "policy.published");
        Assert.Equal(("edition:2", "reconsent", StaffRoles.PrivacyOfficer), (publishedEntry.Subject, publishedEntry.Outcome, publishedEntry.Role));
    }

    [Fact]
    public async Task TheChangesPageShowsInsertedAndRemovedTextAndFallsBackToKazakhWhereATranslationIsMissing()
    {
        using var app = new DerbesApp();
        using var officer = await OfficerAsync(app);
        var form = CompleteDraft(await officer.GetAsync("/admin/policy/draft"), changesPurposes: false);
        form["Input.En.Title"] = "";
        form["Input.En.Summary"] = "";
        form["Input.En.Body"] = "";
        await SaveDraftAsync(officer, form);
        await officer.SubmitAsync(await officer.GetAsync("/admin/policy/preview"));
        Assert.Equal("inform", await app.WithDbAsync(db => db.AuditEntries.Where(e => e.Action == "policy.published").Select(e => e.Outcome).SingleAsync()));
        Assert.False(await app.WithDbAsync(db => db.PolicyEditions.Where(e => e.Number == 2).Select(e => e.RequiresReconsent).SingleAsync()));

        using var reader = app.NewBrowser();
        var changes = await reader.GetAsync("/privacy/editions/2/changes");
        Assert.Equal(HttpStatusCode.OK, changes.Status);
        Assert.Equal("Шағымға жауап беру мерзімі қысқарды.", changes.Document.GetElementById("summary")?.TextContent);
        var diff = changes.Document.GetElementById("diff")!;
        Assert.Contains(diff.QuerySelectorAll("del"), d => d.TextContent.Contains("30", StringComparison.Ordinal));
        Assert.Contains(diff.QuerySelectorAll("ins"), i => i.TextContent.Contains("15", StringComparison.Ordinal));
        Assert.Contains(diff.QuerySelectorAll("ins"), i => i.TextContent.Contains(NewKazakhSentence, StringComparison.Ordinal));
        Assert.Contains(diff.QuerySelectorAll("ins"), i => i.TextContent.Contains("## Мақсаттар", StringComparison.Ordinal));
        // Unchanged context far from the changes is collapsed, not repeated in full.
        Assert.NotEmpty(diff.QuerySelectorAll("p.diff-gap"));
        Assert.True(diff.QuerySelectorAll("p.diff-line").Length < 30, $"{diff.QuerySelectorAll("p.diff-line").Length} lines shown");

        var russian = await app.NewBrowser().GetAsync("/privacy/editions/2/changes?lang=ru");
        Assert.Equal("ru", russian.Document.GetElementById("diff")?.GetAttribute("lang"));
        Assert.Contains(russian.Document.QuerySelectorAll("#diff ins"), i => i.TextContent.Contains("15", StringComparison.Ordinal));

        // Edition 2 has no English: an English reader gets the Kazakh text, and is told so.
        var english = await app.NewBrowser().GetAsync("/privacy/editions/2/changes?lang=en");
        Assert.Equal("kk", english.Document.GetElementById("diff")?.GetAttribute("lang"));
        Assert.NotNull(english.Document.GetElementById("no-translation"));
        var policy = await app.NewBrowser().GetAsync("/privacy?lang=en");
        Assert.Equal("kk", policy.Document.QuerySelector("article.policy")?.GetAttribute("lang"));
        Assert.NotNull(policy.Document.GetElementById("no-translation"));

        // Edition 1 has nothing before it: the page says so.
        var first = await reader.GetAsync("/privacy/editions/1/changes");
        Assert.Equal(HttpStatusCode.OK, first.Status);
        Assert.Equal(app.Text("Policy.FirstEdition"), first.Document.GetElementById("first-edition")?.TextContent);
        Assert.Null(first.Document.GetElementById("diff"));
    }

    [Fact]
    public async Task ScriptIframeAndJavascriptLinksAreRemovedOnThePreviewAndOnThePublicPage()
    {
        using var app = new DerbesApp();
        using var officer = await OfficerAsync(app);
        var form = CompleteDraft(await officer.GetAsync("/admin/policy/draft"), changesPurposes: false);
        form["Input.Kk.Body"] = """
            ## Қауіпті мәтін

            <script>alert('kk')</script>

            <iframe src="https://evil.example/frame"></iframe>

            [басыңыз](javascript:alert(1)) және <a href="https://evil.example" onclick="alert(2)">сілтеме</a>

            <img src=x onerror="alert(3)"> соңғы жол
            """;
        await SaveDraftAsync(officer, form);
        var preview = await officer.GetAsync("/admin/policy/preview");
        AssertNoActiveContent(preview.Document.QuerySelector("#preview-kk article")!, "preview");
        Assert.Contains("соңғы жол", preview.Document.QuerySelector("#preview-kk article")?.TextContent, StringComparison.Ordinal);
        await officer.SubmitAsync(preview);

        var page = await app.NewBrowser().GetAsync("/privacy");
        var article = page.Document.QuerySelector("article.policy")!;
        Assert.Equal("Қауіпті мәтін", article.QuerySelector(".policy-body h2")?.TextContent);
        AssertNoActiveContent(article, "/privacy");
        // The stored text is what the officer typed: the edition is kept verbatim, only its display is made safe.
        Assert.Contains("<script>", await app.WithDbAsync(db => db.PolicyTexts.Where(t => t.EditionNumber == 2 && t.Language == "kk").Select(t => t.Body).SingleAsync()), StringComparison.Ordinal);
        Assert.DoesNotContain("<script>alert", page.Body, StringComparison.Ordinal);
        Assert.DoesNotContain("<iframe", page.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PublishingWithoutTheRussianTextIsRefusedWithFieldErrorsAndNothingIsPublished()
    {
        using var app = new DerbesApp();
        using var officer = await OfficerAsync(app);
        var form = CompleteDraft(await officer.GetAsync("/admin/policy/draft"), changesPurposes: false);
        form["Input.Ru.Title"] = "";
        form["Input.Ru.Summary"] = "   ";
        form["Input.Ru.Body"] = "";
        await SaveDraftAsync(officer, form);

        var refused = await officer.SubmitAsync(await officer.GetAsync("/admin/policy/preview"));
        Assert.Equal("/admin/policy/preview", refused.Url.AbsolutePath);
        Assert.Equal(app.Text("PolicyAdmin.Missing.Title", app.Text("PolicyAdmin.Language.ru")), refused.ErrorText("ru-title-error"));
        Assert.NotEmpty(refused.ErrorText("ru-summary-error"));
        Assert.NotEmpty(refused.ErrorText("ru-body-error"));
        Assert.Empty(refused.ErrorText("kk-title-error"));
        Assert.NotNull(refused.Document.GetElementById("errors"));

        Assert.Equal(1, await app.WithDbAsync(db => db.PolicyEditions.CountAsync()));
        Assert.Equal(0, await app.WithDbAsync(db => db.AuditEntries.CountAsync(e => e.Action == "policy.published")));
        Assert.Equal(1, await app.WithDbAsync(db => db.PolicyDrafts.CountAsync()));
        Assert.Equal(HttpStatusCode.NotFound, (await app.NewBrowser().GetAsync("/privacy/editions/2")).Status);
    }

    [Fact]
    public async Task OnlyThePrivacyOfficerReachesThePolicyPagesAndUnknownEditionsAreNotFound()
    {
        using var app = new DerbesApp();
        foreach (var role in new[] { StaffRoles.Marketing, StaffRoles.Support, StaffRoles.Administrator })
        {
            var staff = await StaffJourneys.CreateAsync(app, role);
            using var browser = app.NewBrowser();
            await StaffJourneys.SignInAsync(app, browser, staff);
            foreach (var url in new[] { "/admin/policy", "/admin/policy/draft", "/admin/policy/preview" })
            {
                Assert.Equal(HttpStatusCode.Forbidden, (await browser.Client.GetAsync(url)).StatusCode);
            }
            // Not even by posting straight to the handlers.
            var post = await browser.Client.PostAsync("/admin/policy/preview", new FormUrlEncodedContent([new("Version", Guid.NewGuid().ToString())]));
            Assert.Equal(HttpStatusCode.Forbidden, post.StatusCode);
            var save = await browser.Client.PostAsync("/admin/policy/draft", new FormUrlEncodedContent([new("Input.Kk.Title", "x")]));
            Assert.Equal(HttpStatusCode.Forbidden, save.StatusCode);
        }
        Assert.Equal(0, await app.WithDbAsync(db => db.PolicyDrafts.CountAsync()));

        using var reader = app.NewBrowser();
        foreach (var url in new[] { "/privacy/editions/999", "/privacy/editions/999/changes", "/privacy/editions/0/changes", "/privacy/editions/2/changes" })
        {
            var page = await reader.GetAsync(url);
            Assert.Equal(HttpStatusCode.NotFound, page.Status);
            Assert.Equal(app.Text("Error.NotFound.Title"), page.Document.QuerySelector("main h1")?.TextContent.Trim());
        }
    }

    [Fact]
    public async Task TwoOfficersPublishingTheSameDraftAtOnceMakeOneEdition()
    {
        using var app = new DerbesApp();
        using var first = await OfficerAsync(app);
        using var second = await OfficerAsync(app);
        await SaveDraftAsync(first, CompleteDraft(await first.GetAsync("/admin/policy/draft"), changesPurposes: false));
        var previewA = await first.GetAsync("/admin/policy/preview");
        var previewB = await second.GetAsync("/admin/policy/preview");

        var results = await Task.WhenAll(first.SubmitAsync(previewA), second.SubmitAsync(previewB));
        Assert.Single(results, r => r.Url.AbsolutePath == "/admin/policy");
        var loser = Assert.Single(results, r => r.Url.AbsolutePath == "/admin/policy/preview");
        Assert.NotNull(loser.Document.GetElementById("stale"));
        Assert.Equal([1, 2], await app.WithDbAsync(db => db.PolicyEditions.OrderBy(e => e.Number).Select(e => e.Number).ToListAsync()));
        Assert.Equal(1, await app.WithDbAsync(db => db.AuditEntries.CountAsync(e => e.Action == "policy.published")));

        // A preview of an older text cannot publish a newer one: saved again after the preview, publishing is refused.
        await SaveDraftAsync(first, CompleteDraft(await first.GetAsync("/admin/policy/draft"), changesPurposes: false));
        var old = await second.GetAsync("/admin/policy/preview");
        await SaveDraftAsync(first, new Dictionary<string, string> { ["Input.Kk.Summary"] = "Тағы бір өзгеріс." });
        var stale = await second.SubmitAsync(old);
        Assert.NotNull(stale.Document.GetElementById("stale"));
        Assert.Equal(2, await app.WithDbAsync(db => db.PolicyEditions.CountAsync()));
    }

    [Fact]
    public async Task ADraftFormShownBeforeSomeoneElseSavedIsRefused()
    {
        using var app = new DerbesApp();
        using var first = await OfficerAsync(app);
        using var second = await OfficerAsync(app);
        var formA = await first.GetAsync("/admin/policy/draft");
        var formB = await second.GetAsync("/admin/policy/draft");
        await SaveDraftAsync(first, CompleteDraft(formA, changesPurposes: false), formA);
        var refused = await second.SubmitAsync(formB, CompleteDraft(formB, changesPurposes: true));
        Assert.NotNull(refused.Document.GetElementById("conflict"));
        Assert.False(await app.WithDbAsync(db => db.PolicyDrafts.Select(d => d.ChangesPurposes).SingleAsync()));
        Assert.Equal(1, await app.WithDbAsync(db => db.AuditEntries.CountAsync(e => e.Action == "policy.draft-saved")));
    }

    [Fact]
    public async Task ThePolicyNamesTheOperatorAndTheResponsiblePersonFromConfigurationAndLeavesOutWhatIsNotSet()
    {
        using var bare = new DerbesApp(new Dictionary<string, string?> { ["Site:OperatorBin"] = "", ["Site:CareAddress"] = "" });
        var plain = await bare.NewBrowser().GetAsync("/privacy");
        Assert.Equal("SMALL", plain.Document.GetElementById("operator-name")?.TextContent);
        Assert.Null(plain.Document.GetElementById("operator-bin"));
        Assert.Null(plain.Document.GetElementById("care-address"));
        Assert.Null(plain.Document.GetElementById("responsible"));

        using var app = new DerbesApp(new Dictionary<string, string?>
        {
            ["Site:OperatorName"] = "ТОО «СМОЛ Қазақстан»",
            ["Site:OperatorBin"] = "900101300017",
            ["Site:CareAddress"] = "Алматы қ., Абай даңғылы, 1",
            ["Site:CareEmail"] = "care@small.example.kz",
            ["Site:ResponsibleName"] = "Айгүл Сәрсенова",
            ["Site:ResponsibleEmail"] = "dpo@small.example.kz",
            ["Site:ResponsiblePhone"] = "+77272000000",
        });
        foreach (var url in new[] { "/privacy", "/privacy/editions/1", "/privacy/editions/1/changes?lang=ru" })
        {
            var page = await app.NewBrowser().GetAsync(url);
            var box = page.Document.GetElementById("operator")!;
            Assert.Equal("ТОО «СМОЛ Қазақстан»", box.QuerySelector("#operator-name")?.TextContent);
            Assert.Equal("900101300017", box.QuerySelector("#operator-bin")?.TextContent);
            Assert.Equal("Алматы қ., Абай даңғылы, 1", box.QuerySelector("#care-address")?.TextContent);
            Assert.Equal("mailto:care@small.example.kz", box.QuerySelector("#care-email a")?.GetAttribute("href"));
            Assert.Equal("Айгүл Сәрсенова", box.QuerySelector("#responsible-name")?.TextContent);
            Assert.Equal("mailto:dpo@small.example.kz", box.QuerySelector("#responsible-email a")?.GetAttribute("href"));
            Assert.Equal("tel:+77272000000", box.QuerySelector("#responsible-phone a")?.GetAttribute("href"));
            // No position was configured: no empty label, no dangling punctuation.
            Assert.Null(box.QuerySelector("#responsible-position"));
        }
    }

    // ------------------------------------------------------------------ helpers

    private static async Task<Browser> OfficerAsync(DerbesApp app)
    {
        var officer = await StaffJourneys.CreateAsync(app, StaffRoles.PrivacyOfficer);
        var browser = app.NewBrowser();
        Assert.Equal("/admin", (await StaffJourneys.SignInAsync(app, browser, officer)).Url.AbsolutePath);
        return browser;
    }

    /// <summary>The draft form as an officer fills it in: each language edits the text the form starts from (edition 1).</summary>
    private static Dictionary<string, string> CompleteDraft(WebPage form, bool changesPurposes)
    {
        string Value(string id) => form.Document.GetElementById(id)?.TextContent ?? form.Document.GetElementById(id)?.GetAttribute("value") ?? "";
        var fields = new Dictionary<string, string>
        {
            ["Input.Kk.Title"] = "Саясат, 2-редакция",
            ["Input.Kk.Summary"] = "Шағымға жауап беру мерзімі қысқарды.",
            ["Input.Kk.Body"] = "## Мақсаттар\n\n" + Value("Input_Kk_Body").Replace("30 (отыз)", "15 (он бес)", StringComparison.Ordinal) + "\n\n" + NewKazakhSentence,
            ["Input.Ru.Title"] = "Политика, редакция 2",
            ["Input.Ru.Summary"] = "Срок ответа на претензию сокращён.",
            ["Input.Ru.Body"] = "## Цели\n\n" + Value("Input_Ru_Body").Replace("30 (тридцать)", "15 (пятнадцать)", StringComparison.Ordinal),
            ["Input.En.Title"] = "Policy, edition 2",
            ["Input.En.Summary"] = "The time to answer a claim is shorter.",
            ["Input.En.Body"] = "## Purposes\n\n" + Value("Input_En_Body").Replace("30 (thirty)", "15 (fifteen)", StringComparison.Ordinal),
        };
        if (changesPurposes)
        {
            fields["Input.ChangesPurposes"] = "true";
        }
        return fields;
    }

    private static async Task<WebPage> SaveDraftAsync(Browser officer, Dictionary<string, string> fields, WebPage? form = null)
    {
        form ??= await officer.GetAsync("/admin/policy/draft");
        var saved = await officer.SubmitAsync(form, fields);
        Assert.Null(saved.Document.GetElementById("conflict"));
        Assert.Equal("/admin/policy/draft", saved.Url.AbsolutePath);
        return saved;
    }

    private static void AssertNoActiveContent(AngleSharp.Dom.IElement root, string where)
    {
        Assert.Empty(root.QuerySelectorAll("script, iframe, img, style, object, embed"));
        foreach (var element in root.QuerySelectorAll("*"))
        {
            foreach (var attribute in element.Attributes)
            {
                Assert.False(attribute.Name.StartsWith("on", StringComparison.OrdinalIgnoreCase), $"{attribute.Name}= on <{element.LocalName}> on {where}");
                Assert.DoesNotContain("javascript:", attribute.Value, StringComparison.OrdinalIgnoreCase);
            }
        }
        // Links written in the policy text open nothing that could reach back to the site.
        Assert.All(root.QuerySelectorAll(".policy-body a[href]"), a => Assert.Equal("noopener noreferrer", a.GetAttribute("rel")));
    }
}
