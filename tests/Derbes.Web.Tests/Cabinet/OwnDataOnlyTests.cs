using System.Net;
using Derbes.Web.Tests.Infrastructure;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Derbes.Web.Tests.Cabinet;

/// <summary>
/// Every cabinet page acts only on the signed-in customer (issue 6): each id of another customer's document,
/// request, request file or session, on every route and handler that takes one, answers 404 exactly as an id that
/// does not exist, and changes nothing. The list of routes is checked against the app's own, so a new one is not missed.
/// </summary>
public sealed class OwnDataOnlyTests
{
    /// <summary>The cabinet's routes that take an id, each tried below.</summary>
    private static readonly string[] RoutesWithIds =
    [
        "cabinet/documents/{id:guid}",
        "cabinet/documents/{id:guid}/delete",
        "cabinet/requests/{id:long}",
    ];

    [Fact]
    public async Task AnotherCustomersIdsGetNotFoundEverywhereAndChangeNothing()
    {
        using var app = new DerbesApp();
        using var ownerBrowser = app.NewBrowser();
        var owner = await Journeys.RegisteredAndConfirmedAsync(app, ownerBrowser);
        var ownerId = await app.AccountIdAsync(owner.Email);
        await Journeys.SignInAsync(ownerBrowser, owner.Email, owner.Password);
        using var ownerPhone = app.NewBrowser();
        await Journeys.SignInAsync(ownerPhone, owner.Email, owner.Password);
        long requestId;
        long fileId;
        await using (var scope = app.Services.CreateAsyncScope())
        {
            var filed = await scope.ServiceProvider.GetRequiredService<Derbes.Web.Requests.CustomerRequests>().FileAsync(ownerId, Derbes.Web.Requests.RequestKind.Rectification,
                "Атым қате", new Derbes.Web.Requests.RequestUpload("proof.pdf", Derbes.Tests.Documents.SampleFiles.MinimalPdf()), Derbes.Web.Requests.RequestChannel.Cabinet, CancellationToken.None);
            requestId = filed.Request!.Id;
        }
        fileId = await app.WithDbAsync(db => db.RequestAttachments.Where(f => f.RequestId == requestId).Select(f => f.Id).SingleAsync());
        var documentId = await app.WithDbAsync(db => db.Documents.Where(d => d.AccountId == ownerId).Select(d => d.Id).FirstAsync());
        var sessionIds = await app.WithDbAsync(db => db.Sessions.Where(s => s.AccountId == ownerId && s.EndedAt == null).Select(s => s.Id).ToListAsync());
        Assert.Equal(2, sessionIds.Count);

        using var other = app.NewBrowser();
        var intruder = await Journeys.RegisteredAndConfirmedAsync(app, other);
        await Journeys.SignInAsync(other, intruder.Email, intruder.Password);
        var home = await other.GetAsync("/cabinet");
        var token = home.Document.QuerySelector("input[name=__af]")!.GetAttribute("value")!;

        async Task NotFoundAsync(HttpMethod method, string url, Dictionary<string, string>? fields = null)
        {
            using var request = new HttpRequestMessage(method, url);
            if (method == HttpMethod.Post)
            {
                var form = new Dictionary<string, string>(fields ?? []) { ["__af"] = token };
                request.Content = new FormUrlEncodedContent(form);
            }
            using var response = await other.Client.SendAsync(request);
            Assert.True(response.StatusCode == HttpStatusCode.NotFound, $"{method} {url} answered {(int)response.StatusCode}, not 404");
        }

        foreach (var id in new[] { documentId, Guid.NewGuid() })
        {
            await NotFoundAsync(HttpMethod.Get, $"/cabinet/documents/{id}");
            await NotFoundAsync(HttpMethod.Get, $"/cabinet/documents/{id}?handler=download");
            await NotFoundAsync(HttpMethod.Get, $"/cabinet/documents/{id}/delete");
            await NotFoundAsync(HttpMethod.Post, $"/cabinet/documents/{id}/delete");
        }
        // A replacement needs a file: sent as a form with one, to the other customer's document.
        using (var replace = new MultipartFormDataContent())
        {
            replace.Add(new StringContent(token), "__af");
            replace.Add(new ByteArrayContent(Derbes.Tests.Documents.SampleFiles.MinimalPdf()), "Documents", "new.pdf");
            using var response = await other.Client.PostAsync($"/cabinet/documents/{documentId}?handler=replace", replace);
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        }
        foreach (var id in new[] { requestId, requestId + 1000 })
        {
            await NotFoundAsync(HttpMethod.Get, $"/cabinet/requests/{id}");
            await NotFoundAsync(HttpMethod.Get, $"/cabinet/requests/{id}?handler=file&fileId={fileId}");
            await NotFoundAsync(HttpMethod.Post, $"/cabinet/requests/{id}?handler=reply", new() { ["Reply"] = "Бөтен өтінішке жауап" });
        }
        foreach (var session in sessionIds.Append(Guid.NewGuid()))
        {
            await NotFoundAsync(HttpMethod.Post, "/cabinet/security?handler=EndSession", new() { ["session"] = session.ToString("N") });
        }

        // Nothing of the owner's changed: the document is there, the request and its file too, both sessions are open.
        Assert.True(await app.WithDbAsync(db => db.Documents.AnyAsync(d => d.Id == documentId)));
        Assert.True(await app.WithDbAsync(db => db.RequestAttachments.AnyAsync(f => f.Id == fileId)));
        Assert.Equal(2, await app.WithDbAsync(db => db.Sessions.CountAsync(s => s.AccountId == ownerId && s.EndedAt == null)));
        Assert.Equal("/cabinet", (await ownerPhone.GetAsync("/cabinet")).Url.AbsolutePath);
        Assert.Equal(HttpStatusCode.OK, (await ownerBrowser.GetAsync($"/cabinet/documents/{documentId}")).Status);
    }

    [Fact]
    public void EveryCabinetRouteThatTakesAnIdIsTriedAbove()
    {
        using var app = new DerbesApp();
        using var scope = app.Services.CreateScope();
        var routes = app.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Select(e => e.RoutePattern.RawText ?? "")
            .Where(r => r.StartsWith("cabinet", StringComparison.OrdinalIgnoreCase) && r.Contains('{', StringComparison.Ordinal))
            .Distinct()
            .Order(StringComparer.Ordinal)
            .ToList();
        Assert.Equal(RoutesWithIds.Order(StringComparer.Ordinal), routes);
    }
}
