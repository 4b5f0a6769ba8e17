using System.Data.Common;
using System.Net;
using Derbes.Web.Campaigns;
using Derbes.Web.Campaigns.Surveys;
using Derbes.Web.Consents;
using Derbes.Web.Customers;
using Derbes.Web.Messaging;
using Derbes.Web.Security;
using Derbes.Web.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Derbes.Web.Tests.Campaigns;

/// <summary>
/// Surveys (issue 8, policy 2.2.4 "сауалдар"): a survey campaign's link opens the questions without signing in, in the
/// customer's language; each customer answers once (twice, or twice at the same moment, stores one answer); the
/// answers are kept apart from who gave them (no account, no exact time, no link in the database or the audit
/// trail); Marketing sees aggregates and free text without authors; forged links, bad answers and a cancelled
/// campaign store nothing.
/// </summary>
public sealed class SurveyTests : IClassFixture<SurveyTests.App>
{
    /// <summary>Wednesday 25 November 2026, 10:00 in Almaty: a working day, inside the sending window.</summary>
    public static readonly DateTimeOffset Wednesday = new(2026, 11, 25, 5, 0, 0, TimeSpan.Zero);

    public sealed class App() : DerbesApp(startAt: Wednesday);

    private readonly App _app;

    public SurveyTests(App app) => _app = app;

    /// <summary>A survey campaign and the ids of its four questions (single choice, multiple choice, rating, free text).</summary>
    private sealed record Survey(long Id, long Single, long Multiple, long Rating, long Free)
    {
        public string Reference => Campaign.ReferenceOf(Id);
    }

    private async Task<Survey> SurveyAsync(CampaignStatus status = CampaignStatus.Sending, MessageChannel channel = MessageChannel.Email)
    {
        return await _app.WithDbAsync(async db =>
        {
            var now = _app.Clock.GetUtcNow();
            var campaign = new Campaign
            {
                Name = "Дүкен туралы пікір " + Guid.NewGuid().ToString("N")[..6],
                Kind = CampaignKind.Survey,
                Channel = channel,
                Status = status,
                ScheduledFor = status == CampaignStatus.Scheduled ? now : null,
                CreatedBy = Guid.NewGuid(),
                CreatedAt = now,
                UpdatedAt = now,
                Texts =
                [
                    new CampaignText { Language = "kk", Subject = "Пікіріңізді білгіміз келеді", Body = "Біздің дүкендер туралы бірнеше сұраққа жауап беріңізші." },
                    new CampaignText { Language = "ru", Subject = "Нам важно ваше мнение", Body = "Ответьте, пожалуйста, на несколько вопросов о наших магазинах." },
                ],
            };
            db.Campaigns.Add(campaign);
            await db.SaveChangesAsync();
            SurveyQuestion Question(int position, SurveyQuestionType type, bool required, string kk, string ru, string kkOptions = "", string ruOptions = "") => new()
            {
                CampaignId = campaign.Id,
                Position = position,
                Type = type,
                Required = required,
                Texts =
                [
                    new SurveyQuestionText { Language = "kk", Prompt = kk, Options = kkOptions },
                    new SurveyQuestionText { Language = "ru", Prompt = ru, Options = ruOptions },
                ],
            };
            var single = Question(1, SurveyQuestionType.SingleChoice, true, "Бізде жиі сауда жасайсыз ба?", "Часто ли вы у нас покупаете?", "Күн сайын\nАптасына\nСирек", "Каждый день\nРаз в неделю\nРедко");
            var multiple = Question(2, SurveyQuestionType.MultipleChoice, false, "Не сатып аласыз?", "Что вы покупаете?", "Нан\nСүт\nЖеміс", "Хлеб\nМолоко\nФрукты");
            var rating = Question(3, SurveyQuestionType.Rating, true, "Қызмет көрсетуді бағалаңыз", "Оцените обслуживание");
            var free = Question(4, SurveyQuestionType.FreeText, false, "Не жақсартуға болады?", "Что можно улучшить?");
            db.SurveyQuestions.AddRange(single, multiple, rating, free);
            await db.SaveChangesAsync();
            return new Survey(campaign.Id, single.Id, multiple.Id, rating.Id, free.Id);
        });
    }

    /// <summary>A confirmed customer who agreed to advertising by email, in <paramref name="language"/>.</summary>
    private async Task<SeededCustomer> CustomerAsync(string language = "kk")
    {
        var customer = (await CustomerSeed.AddAsync(_app, 1, _ => false, language)).Single();
        await CustomerSeed.RecordAsync(_app, customer.Id, ConsentPurpose.AdvertisingEmail, granted: true);
        return customer;
    }

    private string LinkFor(Guid accountId, long campaignId, string language = "kk") =>
        "/survey/" + _app.Service<SurveyToken>().Create(new SurveyClaim(accountId, campaignId)) + "?lang=" + language;

    /// <summary>Sends the survey form as a browser does, several values of one name as ticked boxes.</summary>
    private static Task<WebPage> AnswerAsync(Browser browser, WebPage form, params (string Name, string Value)[] values)
    {
        var fields = new List<KeyValuePair<string, string>>
        {
            new("__af", form.Document.QuerySelector("#survey-form input[name='__af']")!.GetAttribute("value")!),
        };
        fields.AddRange(values.Select(v => new KeyValuePair<string, string>(v.Name, v.Value)));
        return browser.SendAsync(new HttpRequestMessage(HttpMethod.Post, form.Url.PathAndQuery) { Content = new FormUrlEncodedContent(fields) });
    }

    private static (string, string)[] Valid(Survey s, string words = "Кассалар көбірек болса екен") =>
        [("q" + s.Single, "1"), ("q" + s.Multiple, "0"), ("q" + s.Multiple, "2"), ("q" + s.Rating, "4"), ("q" + s.Free, words)];

    private Task<(int Responses, int Answers, int Participations, int Audit)> StoredAsync(Survey s) =>
        _app.WithDbAsync(async db => (
            await db.SurveyResponses.CountAsync(r => r.CampaignId == s.Id),
            await db.SurveyAnswers.CountAsync(a => a.QuestionId == s.Single || a.QuestionId == s.Multiple || a.QuestionId == s.Rating || a.QuestionId == s.Free),
            await db.SurveyParticipations.CountAsync(p => p.CampaignId == s.Id),
            await db.AuditEntries.CountAsync(e => e.Action == "survey.answered" && e.Subject == s.Reference)));

    [Fact]
    public async Task CustomersAnswerThroughTheLinkInTheirEmailWithoutSigningInInKazakhAndRussian()
    {
        var kazakh = await CustomerAsync("kk");
        var russian = await CustomerAsync("ru");
        var survey = await SurveyAsync(CampaignStatus.Scheduled);
        // Started on the first pass, released a minute later at the campaign's pace.
        await _app.Service<CampaignSender>().TickAsync(CancellationToken.None);
        _app.Clock.Advance(TimeSpan.FromMinutes(1));
        await _app.Service<CampaignSender>().TickAsync(CancellationToken.None);

        foreach (var (customer, language, prompt, option) in new[]
        {
            (kazakh, "kk", "Бізде жиі сауда жасайсыз ба?", "Аптасына"),
            (russian, "ru", "Часто ли вы у нас покупаете?", "Раз в неделю"),
        })
        {
            var mail = await _app.Mail.WaitForAsync(customer.Email);
            var link = new Uri(Mailbox.Link(mail, "/survey/"));
            Assert.EndsWith("?lang=" + language, link.Query, StringComparison.Ordinal);
            // The email's button leads to the same survey.
            Assert.Contains(System.Net.WebUtility.HtmlEncode(link.PathAndQuery), mail.HtmlBody, StringComparison.Ordinal);
            Assert.Contains(System.Text.Encodings.Web.HtmlEncoder.Default.Encode(_app.TextIn(language, "Survey.Email.Button")), mail.HtmlBody, StringComparison.Ordinal);
            Assert.Contains(_app.TextIn(language, "Survey.Email.Button") + ": " + link, mail.TextBody, StringComparison.Ordinal);

            // A browser that never signed in.
            using var browser = _app.NewBrowser();
            var form = await browser.GetAsync(link.PathAndQuery);
            Assert.Equal(HttpStatusCode.OK, form.Status);
            Assert.Equal("no-referrer", form.Header("Referrer-Policy"));
            Assert.Contains(prompt, form.Document.QuerySelector($"fieldset[data-question='{survey.Single}'] legend")!.TextContent, StringComparison.Ordinal);
            Assert.Equal(option, form.Document.QuerySelector($"label[for='q{survey.Single}-1']")!.TextContent.Trim());
            Assert.Equal(5, form.Document.QuerySelectorAll($"fieldset[data-question='{survey.Rating}'] input[type=radio]").Length);
            Assert.NotNull(form.Document.QuerySelector($"textarea#q{survey.Free}[maxlength='{SurveyQuestion.MaxFreeText}']"));

            var done = await AnswerAsync(browser, form, Valid(survey));
            Assert.Equal(HttpStatusCode.OK, done.Status);
            Assert.Equal(_app.TextIn(language, "Survey.Thanks"), done.Document.GetElementById("survey-thanks")?.TextContent.Trim());
            Assert.Null(done.Document.QuerySelector("#survey-form"));
        }

        var stored = await StoredAsync(survey);
        Assert.Equal((2, 10, 2, 2), stored);
        var day = await _app.WithDbAsync(db => db.SurveyResponses.Where(r => r.CampaignId == survey.Id).Select(r => r.Day).Distinct().ToListAsync());
        Assert.Equal([new DateOnly(2026, 11, 25)], day);
        // The answers mean the same in both languages: option 1 of question 1, twice.
        Assert.Equal(2, await _app.WithDbAsync(db => db.SurveyAnswers.CountAsync(a => a.QuestionId == survey.Single && a.Option == 1)));
    }

    [Fact]
    public async Task AnsweringTwiceIsRefusedAndStoresNothingNew()
    {
        var customer = await CustomerAsync();
        var survey = await SurveyAsync();
        var link = LinkFor(customer.Id, survey.Id);
        using var browser = _app.NewBrowser();
        var form = await browser.GetAsync(link);
        var stale = await browser.GetAsync(link);
        Assert.Equal(HttpStatusCode.OK, (await AnswerAsync(browser, form, Valid(survey))).Status);
        var first = await StoredAsync(survey);
        Assert.Equal((1, 5, 1, 1), first);

        // The form still open in another tab, sent again with other answers: refused.
        var again = await AnswerAsync(browser, stale, Valid(survey, "Екінші рет жазып көрейін"));
        Assert.Equal(HttpStatusCode.Conflict, again.Status);
        Assert.Equal(_app.Text("Survey.AlreadyAnswered"), again.Document.GetElementById("survey-answered")?.TextContent.Trim());
        Assert.Equal(first, await StoredAsync(survey));
        Assert.False(await _app.WithDbAsync(db => db.SurveyAnswers.AnyAsync(a => a.Text == "Екінші рет жазып көрейін")));

        // Opening the link again says so, and offers no form.
        var opened = await browser.GetAsync(link);
        Assert.NotNull(opened.Document.GetElementById("survey-answered"));
        Assert.Null(opened.Document.QuerySelector("#survey-form"));
    }

    [Fact]
    public async Task TwoSubmissionsAtTheSameMomentStoreOneAnswer()
    {
        var customer = await CustomerAsync();
        var survey = await SurveyAsync();
        var link = LinkFor(customer.Id, survey.Id, "ru");
        using var one = _app.NewBrowser();
        using var two = _app.NewBrowser();
        var formOne = await one.GetAsync(link);
        var formTwo = await two.GetAsync(link);

        var pages = await Task.WhenAll(AnswerAsync(one, formOne, Valid(survey, "первый")), AnswerAsync(two, formTwo, Valid(survey, "второй")));

        Assert.Single(pages, p => p.Status == HttpStatusCode.OK && p.Document.GetElementById("survey-thanks") is not null);
        Assert.Single(pages, p => p.Status == HttpStatusCode.Conflict && p.Document.GetElementById("survey-answered") is not null);
        Assert.Equal((1, 5, 1, 1), await StoredAsync(survey));
    }

    [Fact]
    public async Task TheDatabaseHoldsNoLinkBetweenAResponseAndItsCustomer()
    {
        var customer = await CustomerAsync();
        var survey = await SurveyAsync();
        var lastAudit = await _app.WithDbAsync(db => db.AuditEntries.MaxAsync(e => (long?)e.Id)) ?? 0;
        using var browser = _app.NewBrowser();
        var form = await browser.GetAsync(LinkFor(customer.Id, survey.Id));
        await AnswerAsync(browser, form, Valid(survey));

        var key = _app.Service<SurveyToken>().ParticipationKey(new SurveyClaim(customer.Id, survey.Id));
        var forms = new[] { customer.Id.ToString("D"), customer.Id.ToString("N") };
        var campaign = survey.Id.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var responses = (await RowsAsync("SurveyResponses")).Where(r => r["CampaignId"] == campaign).ToList();
        Assert.Single(responses);
        var answers = (await RowsAsync("SurveyAnswers")).Where(r => string.Equals(r["ResponseId"], responses[0]["Id"], StringComparison.OrdinalIgnoreCase)).ToList();
        Assert.Equal(5, answers.Count);
        foreach (var value in responses.Concat(answers).SelectMany(r => r.Values))
        {
            Assert.DoesNotContain(forms, f => value.Contains(f, StringComparison.OrdinalIgnoreCase));
            Assert.DoesNotContain(key, value, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain(customer.Number, value, StringComparison.Ordinal);
        }
        // The response keeps the day only: no column holds a time of day.
        Assert.Equal(["CampaignId", "Day", "Id"], responses[0].Keys.Order(StringComparer.Ordinal));
        Assert.Equal("2026-11-25", responses[0]["Day"][..10]);

        // The participation: the campaign and the keyed HMAC, nothing else (no time, no response).
        var participation = Assert.Single(await RowsAsync("SurveyParticipations"), r => r["CampaignId"] == campaign);
        Assert.Equal(["AccountKey", "CampaignId"], participation.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(key, participation["AccountKey"]);
        Assert.DoesNotContain(forms, f => participation["AccountKey"].Contains(f, StringComparison.OrdinalIgnoreCase));

        // The model agrees: no time and no account on any of the three.
        await _app.WithDbAsync(db =>
        {
            foreach (var type in new[] { typeof(SurveyResponse), typeof(SurveyAnswer), typeof(SurveyParticipation) })
            {
                var properties = db.Model.FindEntityType(type)!.GetProperties().ToList();
                Assert.DoesNotContain(properties, p => p.ClrType == typeof(DateTimeOffset) || p.ClrType == typeof(DateTime) || p.ClrType == typeof(DateTimeOffset?));
                Assert.DoesNotContain(properties, p => p.Name == "AccountId");
            }
            return Task.FromResult(0);
        });

        // The audit trail: the campaign answered, by nobody, from nowhere; nothing written then names the customer.
        var entries = await _app.WithDbAsync(db => db.AuditEntries.AsNoTracking().Where(e => e.Id > lastAudit).ToListAsync());
        var answered = Assert.Single(entries, e => e.Action == "survey.answered");
        Assert.Equal((survey.Reference, "anonymous", "", "", ""), (answered.Subject, answered.Actor, answered.Role, answered.Ip, answered.CorrelationId));
        Assert.DoesNotContain(entries, e => forms.Any(f => (e.Actor + e.Subject + e.Outcome).Contains(f, StringComparison.OrdinalIgnoreCase)));
    }

    /// <summary>Every row of a table as the database returns it (below the application), each value as text.</summary>
    private Task<List<Dictionary<string, string>>> RowsAsync(string table) =>
        _app.WithDbAsync(async db =>
        {
            var connection = db.Database.GetDbConnection();
            await db.Database.OpenConnectionAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = $"SELECT * FROM \"{table}\"";
            await using DbDataReader reader = await command.ExecuteReaderAsync();
            var rows = new List<Dictionary<string, string>>();
            while (await reader.ReadAsync())
            {
                var row = new Dictionary<string, string>(StringComparer.Ordinal);
                for (var i = 0; i < reader.FieldCount; i++)
                {
                    var value = reader.GetValue(i);
                    row[reader.GetName(i)] = value switch
                    {
                        byte[] bytes => Convert.ToHexString(bytes),
                        DateOnly date => date.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture),
                        DateTime time => time.ToString("yyyy-MM-dd HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture),
                        _ => Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture) ?? "",
                    };
                }
                rows.Add(row);
            }
            return rows;
        });

    [Fact]
    public async Task MarketingSeesTheTotalsAndTheWordsButNeverWhoAnswered()
    {
        var survey = await SurveyAsync();
        var customers = new List<SeededCustomer>();
        var words = new[] { "Нан жаңа болсын", "<script>alert('x')</script>", "Бағалар төмен болса екен" };
        var marks = new[] { "5", "4", "4" };
        for (var i = 0; i < 3; i++)
        {
            var customer = await CustomerAsync();
            customers.Add(customer);
            using var browser = _app.NewBrowser();
            var form = await browser.GetAsync(LinkFor(customer.Id, survey.Id));
            var single = i == 0 ? "0" : "2";
            var values = new List<(string, string)> { ("q" + survey.Single, single), ("q" + survey.Rating, marks[i]), ("q" + survey.Free, words[i]), ("q" + survey.Multiple, "1") };
            if (i == 2)
            {
                values.Add(("q" + survey.Multiple, "2"));
            }
            Assert.NotNull((await AnswerAsync(browser, form, [.. values])).Document.GetElementById("survey-thanks"));
        }

        var marketing = await StaffJourneys.CreateAsync(_app, StaffRoles.Marketing);
        using var staff = _app.NewBrowser();
        await StaffJourneys.SignInAsync(_app, staff, marketing);
        var page = await staff.GetAsync($"/admin/campaigns/{survey.Id}/results");
        Assert.Equal(HttpStatusCode.OK, page.Status);
        Assert.Equal("3", page.Document.GetElementById("response-count")!.TextContent.Trim());

        string[] Counts(string id) => [.. page.Document.QuerySelectorAll($"#{id} td.count").Select(c => c.TextContent.Trim())];
        Assert.Equal(["1", "0", "2"], Counts("options-" + survey.Single));
        Assert.Equal(["0", "3", "1"], Counts("options-" + survey.Multiple));
        Assert.Equal(["0", "0", "0", "2", "1"], Counts("ratings-" + survey.Rating));
        Assert.Matches(@"4[.,]33", page.Document.GetElementById("mean-" + survey.Rating)!.TextContent);

        // The words, alphabetically (not in the order they came), each on its own, encoded: the script is text.
        var texts = page.Document.QuerySelectorAll($"#texts-{survey.Free} li").Select(l => l.TextContent).ToList();
        Assert.Equal(words.Order(StringComparer.OrdinalIgnoreCase), texts);
        Assert.DoesNotContain("<script>alert", page.Body, StringComparison.Ordinal);
        Assert.Contains("&lt;script&gt;", page.Body, StringComparison.Ordinal);

        // Nobody's name, email or number, and no time of an answer.
        foreach (var customer in customers)
        {
            Assert.DoesNotContain(customer.Email, page.Body, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain(customer.Number, page.Body, StringComparison.Ordinal);
            Assert.DoesNotContain(customer.Id.ToString(), page.Body, StringComparison.OrdinalIgnoreCase);
        }
        Assert.DoesNotContain("Сейітова", page.Text, StringComparison.Ordinal);
        Assert.DoesNotContain("Айгүл", page.Text, StringComparison.Ordinal);
        Assert.DoesNotMatch(@"\b\d{1,2}:\d{2}\b", page.Text);
        Assert.True(await _app.WithDbAsync(db => db.AuditEntries.AnyAsync(e => e.Action == "survey.results-viewed" && e.Subject == survey.Reference && e.Actor == marketing.Id.ToString())));
        await using (var scope = _app.Services.CreateAsyncScope())
        {
            // The figure the campaign's page shows beside the others.
            Assert.Equal(3, await scope.ServiceProvider.GetRequiredService<Surveys>().ResponseCountAsync(survey.Id, CancellationToken.None));
        }

        // Not for a customer, nor for staff without the Marketing role.
        using var anonymous = _app.NewBrowser();
        Assert.NotEqual(HttpStatusCode.OK, (await anonymous.Client.GetAsync($"/admin/campaigns/{survey.Id}/results")).StatusCode);
        var officer = await StaffJourneys.CreateAsync(_app, StaffRoles.PrivacyOfficer);
        using var other = _app.NewBrowser();
        await StaffJourneys.SignInAsync(_app, other, officer);
        Assert.Equal(HttpStatusCode.Forbidden, (await other.Client.GetAsync($"/admin/campaigns/{survey.Id}/results")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await other.Client.GetAsync($"/admin/campaigns/{survey.Id}/survey")).StatusCode);
    }

    [Fact]
    public async Task ForgedOrAlteredLinksAreNotFound()
    {
        var customer = await CustomerAsync();
        var survey = await SurveyAsync();
        var token = _app.Service<SurveyToken>().Create(new SurveyClaim(customer.Id, survey.Id));
        var altered = token[..10] + (token[10] == 'A' ? 'B' : 'A') + token[11..];
        var otherCampaign = _app.Service<SurveyToken>().Create(new SurveyClaim(customer.Id, survey.Id + 1000));
        // The unsubscribe link of the same customer and campaign is no survey link (its own key).
        var unsubscribe = _app.Service<UnsubscribeToken>().Create(new UnsubscribeClaim(customer.Id, MessageChannel.Email, survey.Id));
        using var browser = _app.NewBrowser();
        foreach (var bad in new[] { altered, token[..^2], "forged", unsubscribe, otherCampaign, Convert.ToBase64String(new byte[41]).TrimEnd('=') })
        {
            var page = await browser.GetAsync("/survey/" + Uri.EscapeDataString(bad));
            Assert.Equal(HttpStatusCode.NotFound, page.Status);
            Assert.NotNull(page.Document.GetElementById("survey-invalid"));
            Assert.Null(page.Document.QuerySelector("#survey-form"));
        }

        // A POST to an altered link, with a genuine form's antiforgery token, stores nothing.
        var form = await browser.GetAsync("/survey/" + token);
        var refused = await browser.SendAsync(new HttpRequestMessage(HttpMethod.Post, "/survey/" + altered)
        {
            Content = new FormUrlEncodedContent([new("__af", form.Document.QuerySelector("#survey-form input[name='__af']")!.GetAttribute("value")!), .. Valid(survey).Select(v => new KeyValuePair<string, string>(v.Item1, v.Item2))]),
        });
        Assert.Equal(HttpStatusCode.NotFound, refused.Status);
        Assert.Equal((0, 0, 0, 0), await StoredAsync(survey));

        // A draft is never sent: a customer's link to one leads nowhere.
        var draft = await SurveyAsync(CampaignStatus.Draft);
        Assert.Equal(HttpStatusCode.NotFound, (await browser.GetAsync(LinkFor(customer.Id, draft.Id))).Status);
    }

    [Fact]
    public async Task BadAnswersAreShownBesideTheirQuestionAndNothingIsStored()
    {
        var customer = await CustomerAsync("ru");
        var survey = await SurveyAsync();
        using var browser = _app.NewBrowser();
        var form = await browser.GetAsync(LinkFor(customer.Id, survey.Id, "ru"));
        var single = "q" + survey.Single;
        var multiple = "q" + survey.Multiple;
        var rating = "q" + survey.Rating;
        var free = "q" + survey.Free;
        (string, string)[] With(params (string, string)[] changes) =>
            [.. Valid(survey).Where(v => changes.All(c => c.Item1 != v.Item1)), .. changes.Where(c => c.Item2 is not null)];

        var cases = new (string Field, string Error, (string, string)[] Values)[]
        {
            (single, "Survey.Error.Option", With((single, "3"))),
            (single, "Survey.Error.Option", With((single, "-1"))),
            (single, "Survey.Error.Option", With((single, "один"))),
            (multiple, "Survey.Error.Option", With((multiple, "0"), (multiple, "9"))),
            (rating, "Survey.Error.Rating", With((rating, "0"))),
            (rating, "Survey.Error.Rating", With((rating, "6"))),
            (single, "Survey.Error.Required", [.. Valid(survey).Where(v => v.Item1 != single)]),
            (rating, "Survey.Error.Required", [.. Valid(survey).Where(v => v.Item1 != rating)]),
            (free, "Survey.Error.TextTooLong", With((free, new string('я', SurveyQuestion.MaxFreeText + 1)))),
            (free, "Survey.Error.NotAllowed", With((free, "текст\u0007звонок"))),
        };
        foreach (var (field, error, values) in cases)
        {
            var page = await AnswerAsync(browser, form, values);
            Assert.Equal(HttpStatusCode.OK, page.Status);
            Assert.Equal(_app.TextIn("ru", error), page.ErrorText(field + "-error"));
            Assert.NotNull(page.Document.GetElementById("errors"));
            Assert.Null(page.Document.GetElementById("survey-thanks"));
            // What was valid is still there to send again.
            Assert.NotNull(page.Document.QuerySelector("#survey-form"));
        }
        Assert.Equal((0, 0, 0, 0), await StoredAsync(survey));

        // Exactly the limit is fine; a script in the text is stored as the words and never run.
        var fine = await AnswerAsync(browser, form, With((free, "<script>alert(1)</script>" + new string('я', SurveyQuestion.MaxFreeText - 25))));
        Assert.NotNull(fine.Document.GetElementById("survey-thanks"));
        Assert.Equal((1, 5, 1, 1), await StoredAsync(survey));
    }

    [Fact]
    public async Task ACancelledCampaignsSurveyTakesNoAnswers()
    {
        var customer = await CustomerAsync();
        var survey = await SurveyAsync();
        var link = LinkFor(customer.Id, survey.Id);
        using var browser = _app.NewBrowser();
        var form = await browser.GetAsync(link);
        Assert.NotNull(form.Document.QuerySelector("#survey-form"));
        await _app.WithDbAsync(db => db.Campaigns.Where(c => c.Id == survey.Id).ExecuteUpdateAsync(s => s.SetProperty(c => c.Status, CampaignStatus.Cancelled)));

        var refused = await AnswerAsync(browser, form, Valid(survey));
        Assert.Equal(HttpStatusCode.Gone, refused.Status);
        Assert.Equal(_app.Text("Survey.Closed"), refused.Document.GetElementById("survey-closed")?.TextContent.Trim());
        Assert.Equal((0, 0, 0, 0), await StoredAsync(survey));
        Assert.Equal(HttpStatusCode.Gone, (await browser.GetAsync(link)).Status);
    }

    [Fact]
    public async Task ABlockedCustomerCannotAnswer()
    {
        var customer = await CustomerAsync();
        var survey = await SurveyAsync();
        using var browser = _app.NewBrowser();
        var form = await browser.GetAsync(LinkFor(customer.Id, survey.Id));
        await _app.WithDbAsync(db => db.Users.Where(a => a.Id == customer.Id).ExecuteUpdateAsync(s => s.SetProperty(a => a.Status, AccountStatus.Blocked)));
        Assert.Equal(HttpStatusCode.Gone, (await AnswerAsync(browser, form, Valid(survey))).Status);
        Assert.Equal((0, 0, 0, 0), await StoredAsync(survey));
    }

    [Fact]
    public async Task AStaffTestLinkShowsTheSurveyAndStoresNothing()
    {
        var marketing = await StaffJourneys.CreateAsync(_app, StaffRoles.Marketing);
        var survey = await SurveyAsync(CampaignStatus.Draft);
        using var browser = _app.NewBrowser();
        var form = await browser.GetAsync(LinkFor(marketing.Id, survey.Id));
        Assert.Equal(HttpStatusCode.OK, form.Status);
        Assert.Equal(_app.Text("Survey.Test"), form.Document.GetElementById("survey-test")?.TextContent.Trim());
        var checkedPage = await AnswerAsync(browser, form, Valid(survey));
        Assert.Equal(_app.Text("Survey.TestChecked"), checkedPage.Document.GetElementById("survey-test")?.TextContent.Trim());
        Assert.Equal((0, 0, 0, 0), await StoredAsync(survey));
    }

    [Fact]
    public async Task ASurveyWithoutQuestionsIsNeitherScheduledNorTestedAndItsSmsCarriesTheLink()
    {
        var id = await _app.WithDbAsync(async db =>
        {
            var now = _app.Clock.GetUtcNow();
            var campaign = new Campaign
            {
                Name = "Сұрақсыз",
                Kind = CampaignKind.Survey,
                Channel = MessageChannel.Sms,
                Status = CampaignStatus.Draft,
                CreatedAt = now,
                UpdatedAt = now,
                Texts = [new CampaignText { Language = "kk", Body = "Сауалнамаға қатысыңыз" }, new CampaignText { Language = "ru", Body = "Примите участие в опросе" }],
            };
            db.Campaigns.Add(campaign);
            await db.SaveChangesAsync();
            return campaign.Id;
        });
        await using (var scope = _app.Services.CreateAsyncScope())
        {
            var desk = scope.ServiceProvider.GetRequiredService<CampaignDesk>();
            // Complete but for its questions.
            Assert.Empty(CampaignDesk.Check(CampaignDesk.InputOf((await desk.OpenAsync(id, CancellationToken.None))!)));
            Assert.Equal(CampaignResult.Incomplete, await desk.ScheduleAsync(id, 0, null, CancellationToken.None));
            Assert.Equal(CampaignResult.Incomplete, await desk.TestSendAsync(id, "kk", CancellationToken.None));
        }
        Assert.Equal(CampaignStatus.Draft, await _app.WithDbAsync(db => db.Campaigns.Where(c => c.Id == id).Select(c => c.Status).SingleAsync()));

        await using (var scope = _app.Services.CreateAsyncScope())
        {
            var messages = scope.ServiceProvider.GetRequiredService<CampaignMessages>();
            var campaign = await scope.ServiceProvider.GetRequiredService<CampaignDesk>().OpenAsync(id, CancellationToken.None);
            var account = Guid.NewGuid();
            var sms = messages.Sms(campaign!, "ru", "+77010000000", account).Text;
            var link = DerbesApp.PublicUrl + "/survey/" + _app.Service<SurveyToken>().Create(new SurveyClaim(account, id)) + "?lang=ru";
            Assert.StartsWith("Примите участие в опросе\n" + link + "\n", sms, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task MarketingWritesTheQuestionsWhileTheCampaignCanChange()
    {
        var survey = await SurveyAsync(CampaignStatus.Draft);
        var marketing = await StaffJourneys.CreateAsync(_app, StaffRoles.Marketing);
        using var browser = _app.NewBrowser();
        await StaffJourneys.SignInAsync(_app, browser, marketing);
        var page = await browser.GetAsync($"/admin/campaigns/{survey.Id}/survey");
        Assert.Equal(HttpStatusCode.OK, page.Status);
        Assert.Equal(4, page.Document.QuerySelectorAll("#questions tbody tr").Length);

        // The Russian prompt missing, and the Russian options not as many as the Kazakh ones.
        var wrong = await browser.SubmitAsync(page, new Dictionary<string, string>
        {
            ["Input.Type"] = "SingleChoice",
            ["Input.Prompts[kk]"] = "Қай дүкенге барасыз?",
            ["Input.Options[kk]"] = "Абай даңғылы\nТөле би",
            ["Input.Prompts[ru]"] = "",
            ["Input.Options[ru]"] = "пр. Абая",
        }, formSelector: "#question-form");
        Assert.Equal(_app.Text("Survey.Error.PromptMissing"), wrong.ErrorText("prompt-ru-error"));
        Assert.Equal(_app.Text("Survey.Error.OptionsCount"), wrong.ErrorText("options-ru-error"));
        Assert.Equal(4, await _app.WithDbAsync(db => db.SurveyQuestions.CountAsync(q => q.CampaignId == survey.Id)));

        var added = await browser.SubmitAsync(page, new Dictionary<string, string>
        {
            ["Input.Type"] = "SingleChoice",
            ["Input.Prompts[kk]"] = "Қай дүкенге барасыз?",
            ["Input.Options[kk]"] = "Абай даңғылы\r\nТөле би\r\n",
            ["Input.Prompts[ru]"] = "В какой магазин вы ходите?",
            ["Input.Options[ru]"] = "пр. Абая\r\nТоле би",
        }, formSelector: "#question-form");
        Assert.Equal(_app.Text("Survey.Editor.Added"), added.Document.QuerySelector("p.alert.success")?.TextContent.Trim());
        var fifth = await _app.WithDbAsync(db => db.SurveyQuestions.Include(q => q.Texts).SingleAsync(q => q.CampaignId == survey.Id && q.Position == 5));
        Assert.Equal("пр. Абая\nТоле би", fifth.Texts.Single(t => t.Language == "ru").Options);

        // Up one place, then the first question removed: the rest renumbered.
        var moved = await browser.SubmitAsync(added, formSelector: $"tr[data-question='{fifth.Id}'] form[action*='handler=move'][action*='by=-1']");
        Assert.Equal(4, await _app.WithDbAsync(db => db.SurveyQuestions.Where(q => q.Id == fifth.Id).Select(q => q.Position).SingleAsync()));
        await browser.SubmitAsync(moved, formSelector: $"tr[data-question='{survey.Single}'] form[action*='handler=remove']");
        var positions = await _app.WithDbAsync(db => db.SurveyQuestions.Where(q => q.CampaignId == survey.Id).OrderBy(q => q.Position).Select(q => q.Id).ToListAsync());
        Assert.Equal([survey.Multiple, survey.Rating, fifth.Id, survey.Free], positions);
        Assert.Equal(3, await _app.WithDbAsync(db => db.AuditEntries.CountAsync(e => e.Subject == survey.Reference && e.Actor == marketing.Id.ToString() && e.Action.StartsWith("survey.question-"))));

        // Once it is sending, the questions stay as they were.
        await _app.WithDbAsync(db => db.Campaigns.Where(c => c.Id == survey.Id).ExecuteUpdateAsync(s => s.SetProperty(c => c.Status, CampaignStatus.Sending)));
        var fixedPage = await browser.SubmitAsync(moved, new Dictionary<string, string> { ["Input.Prompts[kk]"] = "Тағы бір", ["Input.Prompts[ru]"] = "Ещё один", ["Input.Type"] = "Rating" }, formSelector: "#question-form");
        Assert.Equal(_app.Text("Survey.Editor.NotEditable"), fixedPage.Document.QuerySelector("p.alert.success")?.TextContent.Trim());
        Assert.NotNull(fixedPage.Document.GetElementById("questions-fixed"));
        Assert.Null(fixedPage.Document.QuerySelector("#question-form"));
        Assert.Equal(4, await _app.WithDbAsync(db => db.SurveyQuestions.CountAsync(q => q.CampaignId == survey.Id)));
    }
}
