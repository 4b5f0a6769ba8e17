using System.Globalization;
using System.Security.Cryptography;
using Derbes.Tests.Documents;

namespace Derbes.Web.Tests.Infrastructure;

public sealed record NewCustomer(string FirstName, string LastName, string Email, string PhoneTyped, string PhoneE164, string Password, string Language = "kk");

/// <summary>The steps a customer takes, written once so tests read as the journey they check.</summary>
public static class Journeys
{
    public static NewCustomer Someone(string language = "kk")
    {
        var digits = RandomNumberGenerator.GetInt32(0, 10_000_000).ToString("D7", CultureInfo.InvariantCulture);
        var tag = Guid.NewGuid().ToString("N")[..10];
        return new NewCustomer(
            "Айгерім",
            "Сәрсенова",
            $"aigerim.{tag}@example.kz",
            $"8 701 {digits[..3]} {digits[3..5]} {digits[5..]}",
            $"+7701{digits}",
            "жасыл алма бағы көктемде гүлдейді",
            language);
    }

    public static Upload Document(string fileName = "passport.pdf") => new("Documents", fileName, SampleFiles.MinimalPdf(), "application/pdf");

    public static Dictionary<string, string> Fields(NewCustomer c, bool consent = true, bool attest = true, bool adEmail = false, bool adSms = false, bool thirdParty = false)
    {
        ArgumentNullException.ThrowIfNull(c);
        return new Dictionary<string, string>
        {
            ["Input.FirstName"] = c.FirstName,
            ["Input.LastName"] = c.LastName,
            ["Input.Email"] = c.Email,
            ["Input.Phone"] = c.PhoneTyped,
            ["Input.Password"] = c.Password,
            ["Input.Language"] = c.Language,
            ["Input.AcceptProcessing"] = consent ? "true" : "false",
            ["Input.AttestOwnData"] = attest ? "true" : "false",
            ["Input.AdvertisingEmail"] = adEmail ? "true" : "false",
            ["Input.AdvertisingSms"] = adSms ? "true" : "false",
            ["Input.ThirdPartyTransfer"] = thirdParty ? "true" : "false",
        };
    }

    /// <summary>Fills in and sends the registration form; returns the page the browser ends on.</summary>
    public static async Task<WebPage> RegisterAsync(Browser browser, NewCustomer customer, IEnumerable<Upload>? documents = null, IDictionary<string, string>? overrides = null)
    {
        ArgumentNullException.ThrowIfNull(browser);
        var form = await browser.GetAsync("/account/register");
        var fields = Fields(customer);
        foreach (var (key, value) in overrides ?? new Dictionary<string, string>())
        {
            fields[key] = value;
        }
        return await browser.SubmitAsync(form, fields, documents ?? [Document()]);
    }

    /// <summary>Opens the confirmation link from the email and presses the button.</summary>
    public static async Task<WebPage> ConfirmEmailAsync(DerbesApp app, Browser browser, NewCustomer customer)
    {
        ArgumentNullException.ThrowIfNull(app);
        ArgumentNullException.ThrowIfNull(browser);
        var mail = await app.Mail.WaitForAsync(customer.Email, subject: null);
        while (!Mailbox.Link(mail, "/account/").Contains("confirm-email", StringComparison.Ordinal))
        {
            mail = await app.Mail.WaitForAsync(customer.Email);
        }
        var link = new Uri(Mailbox.Link(mail, "/account/confirm-email"));
        var page = await browser.GetAsync(link.PathAndQuery);
        return await browser.SubmitAsync(page);
    }

    public static async Task<WebPage> SignInAsync(Browser browser, string login, string password, bool remember = false, string? returnUrl = null)
    {
        ArgumentNullException.ThrowIfNull(browser);
        var page = await browser.GetAsync("/account/login" + (returnUrl is null ? "" : "?returnUrl=" + Uri.EscapeDataString(returnUrl)));
        return await browser.SubmitAsync(page, new Dictionary<string, string>
        {
            ["Input.Login"] = login,
            ["Input.Password"] = password,
            ["Input.RememberMe"] = remember ? "true" : "false",
        });
    }

    /// <summary>Registers, confirms the email and returns the customer, signed out.</summary>
    public static async Task<NewCustomer> RegisteredAndConfirmedAsync(DerbesApp app, Browser browser, NewCustomer? customer = null)
    {
        customer ??= Someone();
        var done = await RegisterAsync(browser, customer);
        if (!done.Url.AbsolutePath.EndsWith("/account/register/done", StringComparison.Ordinal))
        {
            throw new InvalidOperationException("Registration did not go through: " + done.Text);
        }
        await ConfirmEmailAsync(app, browser, customer);
        return customer;
    }
}
