using System.ComponentModel.DataAnnotations;
using System.Security.Claims;
using Derbes.Web.Customers;
using Derbes.Web.Data;
using Derbes.Web.Localization;
using Derbes.Web.Security;
using Microsoft.AspNetCore.Localization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Localization;

namespace Derbes.Web.Pages.Cabinet;

/// <summary>
/// The customer's profile (issue 6): names, email, phone and the preferred language, each its own form. Email and
/// phone change only after the current password and a proof of the new address (a link) or number (an SMS code); the
/// work is done by <see cref="ProfileChanges"/>, which the mobile API shares. A new address or number held by another
/// account gets the same answers as a free one.
/// </summary>
[EnableRateLimiting(RateLimits.Accounts)]
public sealed class ProfileModel(DerbesDb db, AccountDirectory directory, ProfileChanges changes, IStringLocalizer<SharedResource> l) : PageModel
{
    public NamesInput Names { get; set; } = new();
    public EmailInput Email { get; set; } = new();
    public PhoneInput Phone { get; set; } = new();
    public CodeInput Code { get; set; } = new();
    public string Language { get; set; } = "";

    public string MaskedEmail { get; private set; } = "";
    public string? MaskedPhone { get; private set; }
    public bool PhoneConfirmed { get; private set; }
    public PendingChange? PendingEmail { get; private set; }
    public PendingChange? PendingPhone { get; private set; }

    /// <summary>The same rules as registration's (see Account/Register).</summary>
    public sealed class NamesInput
    {
        [Required(ErrorMessage = "Validation.Required")]
        [StringLength(ProfileChanges.MaxNameLength, ErrorMessage = "Validation.TooLong")]
        [RegularExpression(@"^[^\p{Cc}]*$", ErrorMessage = "Validation.NoControlCharacters")]
        [Display(Name = "Register.FirstName")]
        public string FirstName { get; set; } = "";

        [Required(ErrorMessage = "Validation.Required")]
        [StringLength(ProfileChanges.MaxNameLength, ErrorMessage = "Validation.TooLong")]
        [RegularExpression(@"^[^\p{Cc}]*$", ErrorMessage = "Validation.NoControlCharacters")]
        [Display(Name = "Register.LastName")]
        public string LastName { get; set; } = "";
    }

    public sealed class EmailInput
    {
        [Required(ErrorMessage = "Validation.Required")]
        [StringLength(ProfileChanges.MaxEmailLength, ErrorMessage = "Validation.TooLong")]
        [EmailAddress(ErrorMessage = "Validation.Email")]
        [Display(Name = "Profile.Email.New")]
        public string NewEmail { get; set; } = "";

        [Required(ErrorMessage = "Validation.Required")]
        [DataType(DataType.Password)]
        [Display(Name = "Profile.Password")]
        public string Password { get; set; } = "";
    }

    public sealed class PhoneInput
    {
        [Required(ErrorMessage = "Validation.Required")]
        [StringLength(ProfileChanges.MaxPhoneLength, ErrorMessage = "Validation.TooLong")]
        [Display(Name = "Profile.Phone.New")]
        public string NewPhone { get; set; } = "";

        [Required(ErrorMessage = "Validation.Required")]
        [DataType(DataType.Password)]
        [Display(Name = "Profile.Password")]
        public string Password { get; set; } = "";
    }

    public sealed class CodeInput
    {
        [Required(ErrorMessage = "Validation.Required")]
        [StringLength(12, ErrorMessage = "Validation.TooLong")]
        [Display(Name = "VerifyPhone.Code")]
        public string Value { get; set; } = "";
    }

    public async Task<IActionResult> OnGetAsync(CancellationToken cancellationToken)
    {
        var account = await AccountAsync(cancellationToken);
        if (account is null)
        {
            return NotFound();
        }
        var profile = directory.Open(account);
        Names = new NamesInput { FirstName = profile.FirstName, LastName = profile.LastName };
        Language = account.PreferredLanguage;
        await ShowAsync(account, cancellationToken);
        return Page();
    }

    public async Task<IActionResult> OnPostNamesAsync([Bind(Prefix = nameof(Names))] NamesInput names, CancellationToken cancellationToken)
    {
        var account = await AccountAsync(cancellationToken);
        if (account is null)
        {
            return NotFound();
        }
        Names = names;
        if (!ModelState.IsValid)
        {
            return await RedisplayAsync(account, cancellationToken);
        }
        var result = await changes.ChangeNamesAsync(account, names.FirstName, names.LastName, cancellationToken);
        if (result == ProfileChange.Invalid)
        {
            ModelState.AddModelError("Names.FirstName", l["Validation.Invalid"]);
            return await RedisplayAsync(account, cancellationToken);
        }
        return Done(result == ProfileChange.Changed ? "Profile.Names.Changed" : "Profile.Unchanged");
    }

    public async Task<IActionResult> OnPostEmailAsync([Bind(Prefix = nameof(Email))] EmailInput email, CancellationToken cancellationToken)
    {
        var account = await AccountAsync(cancellationToken);
        if (account is null)
        {
            return NotFound();
        }
        Email = new EmailInput { NewEmail = email.NewEmail };
        if (!ModelState.IsValid)
        {
            return await RedisplayAsync(account, cancellationToken);
        }
        switch (await changes.RequestEmailChangeAsync(account, email.Password, email.NewEmail, cancellationToken))
        {
            case ContactChangeRequest.Sent:
                return Done("Profile.Email.Sent");
            case ContactChangeRequest.Same:
                return Done("Profile.Email.Same");
            case ContactChangeRequest.Invalid:
                ModelState.AddModelError("Email.NewEmail", l["Validation.Email"]);
                break;
            case ContactChangeRequest.TooSoon:
                ModelState.AddModelError("Email.NewEmail", l["Profile.TooSoon"]);
                break;
            case var refused:
                ModelState.AddModelError("Email.Password", l[refused == ContactChangeRequest.LockedOut ? "Profile.LockedOut" : "Profile.WrongPassword"]);
                break;
        }
        return await RedisplayAsync(account, cancellationToken);
    }

    public async Task<IActionResult> OnPostPhoneAsync([Bind(Prefix = nameof(Phone))] PhoneInput phone, CancellationToken cancellationToken)
    {
        var account = await AccountAsync(cancellationToken);
        if (account is null)
        {
            return NotFound();
        }
        Phone = new PhoneInput { NewPhone = phone.NewPhone };
        if (!ModelState.IsValid)
        {
            return await RedisplayAsync(account, cancellationToken);
        }
        var (result, wait) = await changes.RequestPhoneChangeAsync(account, phone.Password, phone.NewPhone, cancellationToken);
        switch (result)
        {
            case ContactChangeRequest.Sent:
                return Done("Profile.Phone.Sent");
            case ContactChangeRequest.Same:
                return Done("Profile.Phone.Same");
            case ContactChangeRequest.Invalid:
                ModelState.AddModelError("Phone.NewPhone", l["Validation.Phone"]);
                break;
            case ContactChangeRequest.TooSoon:
                ModelState.AddModelError("Phone.NewPhone", TooSoon(wait));
                break;
            case var refused:
                ModelState.AddModelError("Phone.Password", l[refused == ContactChangeRequest.LockedOut ? "Profile.LockedOut" : "Profile.WrongPassword"]);
                break;
        }
        return await RedisplayAsync(account, cancellationToken);
    }

    public async Task<IActionResult> OnPostCodeAsync([Bind(Prefix = nameof(Code))] CodeInput code, CancellationToken cancellationToken)
    {
        var account = await AccountAsync(cancellationToken);
        if (account is null)
        {
            return NotFound();
        }
        if (!ModelState.IsValid)
        {
            return await RedisplayAsync(account, cancellationToken);
        }
        switch (await changes.ConfirmPhoneChangeAsync(account, code.Value, cancellationToken))
        {
            case ContactChangeOutcome.Changed:
                return Done("Profile.Phone.Changed");
            case ContactChangeOutcome.Taken:
                ModelState.AddModelError("Phone.NewPhone", l["Profile.Phone.Taken"]);
                break;
            case ContactChangeOutcome.TooManyAttempts:
                // The code is locked: the change is dropped, and a new one starts again with the password.
                ModelState.AddModelError("Phone.NewPhone", l["Profile.Phone.Locked"]);
                break;
            case var wrong:
                ModelState.AddModelError("Code.Value", l["Code." + (wrong == ContactChangeOutcome.Expired ? TokenCheck.Expired : TokenCheck.Invalid)]);
                break;
        }
        return await RedisplayAsync(account, cancellationToken);
    }

    public async Task<IActionResult> OnPostResendAsync(CancellationToken cancellationToken)
    {
        var account = await AccountAsync(cancellationToken);
        if (account is null)
        {
            return NotFound();
        }
        ModelState.Clear();
        var (result, wait) = await changes.ResendPhoneCodeAsync(account, cancellationToken);
        if (result == ContactChangeRequest.Sent)
        {
            return Done("Code.Resent");
        }
        if (result == ContactChangeRequest.TooSoon)
        {
            ModelState.AddModelError("Code.Value", TooSoon(wait));
            return await RedisplayAsync(account, cancellationToken);
        }
        return RedirectToPage();
    }

    public async Task<IActionResult> OnPostLanguageAsync(string? language, CancellationToken cancellationToken)
    {
        var account = await AccountAsync(cancellationToken);
        if (account is null)
        {
            return NotFound();
        }
        var result = await changes.ChangeLanguageAsync(account, language, cancellationToken);
        if (result == ProfileChange.Invalid)
        {
            Language = account.PreferredLanguage;
            ModelState.AddModelError(nameof(Language), l["Validation.Invalid"]);
            return await RedisplayAsync(account, cancellationToken);
        }
        // The site follows too, as the language switcher (/culture) does.
        Response.Cookies.Append(
            Languages.CookieName,
            CookieRequestCultureProvider.MakeCookieValue(new RequestCulture(account.PreferredLanguage)),
            new CookieOptions { MaxAge = TimeSpan.FromDays(365), HttpOnly = true, Secure = Request.IsHttps, SameSite = SameSiteMode.Lax, Path = "/", IsEssential = true });
        return Done(result == ProfileChange.Changed ? "Profile.Language.Changed" : "Profile.Unchanged");
    }

    private string TooSoon(TimeSpan wait) =>
        wait < TimeSpan.FromHours(1) ? l["Code.Cooldown", (int)Math.Ceiling(wait.TotalSeconds)] : l["Profile.TooSoon"];

    /// <summary>Post/redirect/get: a reload never repeats a change.</summary>
    private RedirectToPageResult Done(string notice)
    {
        TempData["Notice"] = notice;
        return RedirectToPage();
    }

    /// <summary>The page again with the errors of the form just sent, the other forms as stored.</summary>
    private async Task<PageResult> RedisplayAsync(Derbes.Web.Customers.Account account, CancellationToken cancellationToken)
    {
        if (!ModelState.ContainsKey("Names.FirstName") && !ModelState.ContainsKey("Names.LastName"))
        {
            var profile = directory.Open(account);
            Names = new NamesInput { FirstName = profile.FirstName, LastName = profile.LastName };
        }
        Language = string.IsNullOrEmpty(Language) ? account.PreferredLanguage : Language;
        await ShowAsync(account, cancellationToken);
        return Page();
    }

    private async Task ShowAsync(Derbes.Web.Customers.Account account, CancellationToken cancellationToken)
    {
        var profile = directory.Open(account);
        MaskedEmail = Masking.Email(profile.Email);
        MaskedPhone = profile.Phone is null ? null : Masking.Phone(profile.Phone);
        PhoneConfirmed = account.PhoneNumberConfirmed;
        var email = await changes.PendingEmailAsync(account, cancellationToken);
        PendingEmail = email is null ? null : email with { Value = Masking.Email(email.Value) };
        var phone = await changes.PendingPhoneAsync(account, cancellationToken);
        PendingPhone = phone is null ? null : phone with { Value = Masking.Phone(phone.Value) };
    }

    /// <summary>The signed-in customer's own account; staff manage their details elsewhere.</summary>
    private async Task<Derbes.Web.Customers.Account?> AccountAsync(CancellationToken cancellationToken)
    {
        var id = Guid.Parse(User.FindFirstValue(ClaimTypes.NameIdentifier)!);
        return await db.Users.SingleOrDefaultAsync(a => a.Id == id && a.Kind == AccountKind.Customer, cancellationToken);
    }
}
