using System.Net;
using System.Net.Http.Headers;
using AngleSharp;
using AngleSharp.Dom;
using AngleSharp.Html.Dom;

namespace Derbes.Web.Tests.Infrastructure;

/// <summary>A page as a browser received it: status, headers, parsed HTML and the URL it ended on.</summary>
public sealed class WebPage(HttpStatusCode status, HttpResponseMessage response, IDocument document, string body, Uri url)
{
    public HttpStatusCode Status { get; } = status;
    public HttpResponseMessage Response { get; } = response;
    public IDocument Document { get; } = document;
    public string Body { get; } = body;
    public Uri Url { get; } = url;

    public string Text => Document.Body?.TextContent ?? "";

    public IHtmlFormElement Form(string? selector = null) =>
        (IHtmlFormElement?)Document.QuerySelector(selector ?? "main form[method=post]")
        ?? throw new InvalidOperationException($"No form '{selector ?? "main form[method=post]"}' on {Url}. Page text: {Text[..Math.Min(Text.Length, 500)]}");

    /// <summary>The error text shown next to a field (the element with the given id).</summary>
    public string ErrorText(string id) => Document.GetElementById(id)?.TextContent.Trim() ?? "";

    public string? Header(string name) =>
        Response.Headers.TryGetValues(name, out var values) ? string.Join(",", values)
        : Response.Content.Headers.TryGetValues(name, out var content) ? string.Join(",", content) : null;
}

/// <summary>A file chosen in a form's file input.</summary>
public sealed record Upload(string Field, string FileName, byte[] Content, string ContentType = "application/octet-stream");

/// <summary>
/// Drives the app like a person with a browser: fills in the real forms (hidden antiforgery token included),
/// keeps cookies, follows redirects one by one and records every response on the way.
/// </summary>
public sealed class Browser(HttpClient client) : IDisposable
{
    public HttpClient Client { get; } = client;
    public List<HttpResponseMessage> Hops { get; } = [];

    public Task<WebPage> GetAsync(string url) => SendAsync(new HttpRequestMessage(HttpMethod.Get, url));

    /// <summary>Submits the page's form with its current values, overridden by <paramref name="fields"/>.</summary>
    public Task<WebPage> SubmitAsync(WebPage page, IDictionary<string, string>? fields = null, IEnumerable<Upload>? uploads = null, string? formSelector = null, bool dropAntiforgery = false)
    {
        ArgumentNullException.ThrowIfNull(page);
        var form = page.Form(formSelector);
        var values = FormValues(form);
        foreach (var (name, value) in fields ?? new Dictionary<string, string>())
        {
            values.RemoveAll(v => v.Key == name);
            if (value is not null)
            {
                values.Add(new(name, value));
            }
        }
        if (dropAntiforgery)
        {
            values.RemoveAll(v => v.Key == "__af");
        }
        var action = string.IsNullOrEmpty(form.GetAttribute("action")) ? page.Url.PathAndQuery : form.GetAttribute("action")!;
        var request = new HttpRequestMessage(HttpMethod.Post, action);
        var multipart = string.Equals(form.Enctype, "multipart/form-data", StringComparison.OrdinalIgnoreCase);
        if (multipart)
        {
            var content = new MultipartFormDataContent();
            foreach (var (name, value) in values)
            {
                content.Add(new StringContent(value), name);
            }
            foreach (var upload in uploads ?? [])
            {
                var file = new ByteArrayContent(upload.Content);
                file.Headers.ContentType = new MediaTypeHeaderValue(upload.ContentType);
                content.Add(file, upload.Field, upload.FileName);
            }
            request.Content = content;
        }
        else
        {
            request.Content = new FormUrlEncodedContent(values);
        }
        return SendAsync(request);
    }

    /// <summary>Sends a request and follows redirects (a 302 after a POST becomes a GET, as browsers do).</summary>
    public async Task<WebPage> SendAsync(HttpRequestMessage request)
    {
        ArgumentNullException.ThrowIfNull(request);
        Hops.Clear();
        for (var hop = 0; hop < 8; hop++)
        {
            var response = await Client.SendAsync(request);
            Hops.Add(response);
            if (response.StatusCode is HttpStatusCode.Redirect or HttpStatusCode.SeeOther or HttpStatusCode.Found or HttpStatusCode.MovedPermanently or HttpStatusCode.TemporaryRedirect
                && response.Headers.Location is { } location)
            {
                var next = location.IsAbsoluteUri ? location : new Uri(Client.BaseAddress!, location);
                request = new HttpRequestMessage(HttpMethod.Get, next);
                continue;
            }
            var body = await response.Content.ReadAsStringAsync();
            var document = await BrowsingContext.New(Configuration.Default).OpenAsync(r => r.Content(body).Address(request.RequestUri!.IsAbsoluteUri ? request.RequestUri : new Uri(Client.BaseAddress!, request.RequestUri)));
            return new WebPage(response.StatusCode, response, document, body, document.Url is { } u ? new Uri(u) : request.RequestUri!);
        }
        throw new InvalidOperationException("Too many redirects.");
    }

    private static List<KeyValuePair<string, string>> FormValues(IHtmlFormElement form)
    {
        var values = new List<KeyValuePair<string, string>>();
        foreach (var element in form.Elements)
        {
            switch (element)
            {
                case IHtmlInputElement input when !string.IsNullOrEmpty(input.Name) && !input.IsDisabled:
                    if (input.Type is "checkbox" or "radio")
                    {
                        if (input.IsChecked)
                        {
                            values.Add(new(input.Name, string.IsNullOrEmpty(input.Value) ? "on" : input.Value));
                        }
                    }
                    else if (input.Type is not ("file" or "submit" or "button" or "image"))
                    {
                        values.Add(new(input.Name, input.Value));
                    }
                    break;
                case IHtmlSelectElement select when !string.IsNullOrEmpty(select.Name):
                    values.Add(new(select.Name, select.Value ?? ""));
                    break;
                case IHtmlTextAreaElement area when !string.IsNullOrEmpty(area.Name):
                    values.Add(new(area.Name, area.Value));
                    break;
            }
        }
        return values;
    }

    public void Dispose() => Client.Dispose();
}
