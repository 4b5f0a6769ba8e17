using System.ComponentModel.DataAnnotations;
using Derbes.Web.Audit;
using Derbes.Web.Consents;
using Derbes.Web.Customers;
using Derbes.Web.Data;
using Derbes.Web.Documents;
using Derbes.Web.Localization;
using Derbes.Web.Messaging;
using Derbes.Web.Privacy;
using Derbes.Web.Security;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Localization;
using Microsoft.Extensions.Options;

namespace Derbes.Web.Pages.Account;

/// <summary>
/// Registration (policy 1.6): the form and scanned documents, explicit consent to the current edition,
/// the attestation of policy 2.4, and separate advertising opt-ins. A registered email or phone gets the
/// very same answer as a new one; its owner is told by email instead (SECURITY-CHECKS 4).
/// </summary>
[EnableRateLimiting(RateLimits.Accounts)]
[RequestSizeLimit(RegisterModel.MaxRequestBytes)]
[RequestFormLimits(MultipartBodyLengthLimit = RegisterModel.MaxFileSectionBytes)]
public sealed class RegisterModel(
    DerbesDb db,
    AccountDirectory directory,
    PersonalDataVault vault,
    Argon2PasswordHasher hasher,
    PasswordRules passwordRules,
    DocumentInspector inspector,
    DocumentIntake intake,
    ConsentLedger consents,
    AccountTokens tokens,
    AccountMessages messages,
    AuditTrail audit,
    PendingRegistration pending,
    IOptions<AccountOptions> accountOptions,
    IOptions<DocumentOptions> documentOptions,
    IStringLocalizer<SharedResource> l,
    TimeProvider clock) : PageModel
{
    /// <summary>Three files of 10 MB and the form around them.</summary>
    public const long MaxRequestBytes = 31 * 1024 * 1024;

    /// <summary>
    /// One file part may not exceed 10 MB (plus slack for its headers): the form reader stops there, so a
    /// 30 MB file is refused without being read to its end (SECURITY-CHECKS 28).
    /// </summary>
    public const long MaxFileSectionBytes = (10 * 1024 * 1024) + (64 * 1024);

    [BindProperty]
    public InputModel Input { get; set; } = new();

    [BindProperty]
    public List<IFormFile> Documents { get; set; } = [];

    public int Edition { get; private set; }
    public DocumentOptions DocumentLimits => documentOptions.Value;
    public int MinPasswordLength => accountOptions.Value.MinPasswordLength;
    public int RecommendedPasswordLength => accountOptions.Value.RecommendedPasswordLength;

    public sealed class InputModel
    {
        [Required(ErrorMessage = "Validation.Required")]
        [StringLength(100, ErrorMessage = "Validation.TooLong")]
        [RegularExpression(@"^[^\p{Cc}]*$", ErrorMessage = "Validation.NoControlCharacters")]
        [Display(Name = "Register.FirstName")]
        public string FirstName { get; set; } = "";

        [Required(ErrorMessage = "Validation.Required")]
        [StringLength(100, ErrorMessage = "Validation.TooLong")]
        [RegularExpression(@"^[^\p{Cc}]*$", ErrorMessage = "Validation.NoControlCharacters")]
        [Display(Name = "Register.LastName")]
        public string LastName { get; set; } = "";

        [Required(ErrorMessage = "Validation.Required")]
        [StringLength(254, ErrorMessage = "Validation.TooLong")]
        [EmailAddress(ErrorMessage = "Validation.Email")]
        [Display(Name = "Register.Email")]
        public string Email { get; set; } = "";

        [Required(ErrorMessage = "Validation.Required")]
        [StringLength(32, ErrorMessage = "Validation.TooLong")]
        [Display(Name = "Register.Phone")]
        public string Phone { get; set; } = "";

        [Required(ErrorMessage = "Validation.Required")]
        [DataType(DataType.Password)]
        [Display(Name = "Register.Password")]
        public string Password { get; set; } = "";

        [Display(Name = "Register.Language")]
        public string Language { get; set; } = "";

        public bool AcceptProcessing { get; set; }
        public bool AttestOwnData { get; set; }
        public bool AdvertisingEmail { get; set; }
        public bool AdvertisingSms { get; set; }
        /// <summary>Transfer to third parties (policy 3.5.1): its own box, never ticked for the customer (Art. 7 p.6).</summary>
        public bool ThirdPartyTransfer { get; set; }
    }

    public async Task OnGetAsync(CancellationToken cancellationToken)
    {
        Edition = await CurrentEditionAsync(cancellationToken);
        Input.Language = Languages.Current;
    }

    public async Task<IActionResult> OnPostAsync(CancellationToken cancellationToken)
    {
        Edition = await CurrentEditionAsync(cancellationToken);
        var language = Languages.IsSupported(Input.Language) ? Input.Language : Languages.Current;
        Input.Language = language;

        var email = (Input.Email ?? "").Trim();
        var firstName = (Input.FirstName ?? "").Trim();
        var lastName = (Input.LastName ?? "").Trim();
        if (email.Length > 0 && ModelState["Input.Email"]?.Errors.Count is null or 0 && !EmailAddresses.IsDeliverable(email))
        {
            ModelState.AddModelError("Input.Email", l["Validation.Email"]);
        }
        string phone = "";
        if (!string.IsNullOrWhiteSpace(Input.Phone) && !KazakhPhone.TryNormalise(Input.Phone, out phone))
        {
            ModelState.AddModelError("Input.Phone", l["Validation.Phone"]);
        }
        if (!string.IsNullOrEmpty(Input.Password))
        {
            var problem = passwordRules.Check(Input.Password, PasswordRules.PersonalParts(email, phone, firstName, lastName));
            if (problem != PasswordProblem.None)
            {
                ModelState.AddModelError("Input.Password", l["Password." + problem, MinPasswordLength, accountOptions.Value.MaxPasswordBytes]);
            }
        }
        if (!Input.AcceptProcessing)
        {
            ModelState.AddModelError("Input.AcceptProcessing", l["Register.ConsentRequired"]);
        }
        if (!Input.AttestOwnData)
        {
            ModelState.AddModelError("Input.AttestOwnData", l["Register.AttestRequired"]);
        }

        var accepted = await InspectDocumentsAsync(cancellationToken);
        if (!ModelState.IsValid)
        {
            return Page();
        }

        var existing = await directory.FindByEmailAsync(email, cancellationToken)
            ?? await directory.FindByPhoneAsync(phone, cancellationToken);
        if (existing is not null)
        {
            // Same page, status and (one hash) time as a new registration; the owner hears about it by email.
            await hasher.VerifyDummyAsync(Input.Password);
            messages.AlreadyRegistered(existing, directory.Open(existing));
            audit.Record("account.register.duplicate", existing.Id, "notified-owner");
            await db.SaveChangesAsync(cancellationToken);
            pending.Start(Guid.NewGuid());
            return RedirectToPage("RegisterDone");
        }

        var now = clock.GetUtcNow();
        var account = Derbes.Web.Customers.Account.NewCustomer(now, language, await NewCustomerNumberAsync(cancellationToken));
        vault.CreateKey(account.Id);
        var profile = new Profile(firstName, lastName, BlindIndex.NormaliseEmail(email), phone);
        directory.Seal(account, profile);
        account.PasswordHash = await hasher.HashAsync(Input.Password);
        db.Users.Add(account);

        foreach (var (document, name) in accepted)
        {
            await intake.AddAsync(account.Id, document, name, accountOptions.Value.DocumentReviewDue, cancellationToken);
        }

        // Each consent on its own line, with the exact words the customer saw (SECURITY-CHECKS 5).
        foreach (var (purpose, granted) in new[]
        {
            (ConsentPurpose.Processing, true),
            (ConsentPurpose.OwnDataAttestation, true),
            (ConsentPurpose.AdvertisingEmail, Input.AdvertisingEmail),
            (ConsentPurpose.AdvertisingSms, Input.AdvertisingSms),
            (ConsentPurpose.ThirdPartyTransfer, Input.ThirdPartyTransfer),
        })
        {
            consents.Record(account.Id, purpose, granted, Edition, Languages.Current, ConsentWording.Text(l, purpose, Edition, Languages.Current));
        }

        var link = await tokens.IssueLinkAsync(account, TokenPurpose.ConfirmEmail, accountOptions.Value.EmailConfirmationLifetime, cancellationToken);
        var code = await tokens.IssueCodeAsync(account, TokenPurpose.ConfirmPhone, accountOptions.Value.PhoneCodeLifetime, accountOptions.Value.PhoneCodeMaxAttempts, cancellationToken);
        messages.ConfirmEmail(account, profile, link);
        messages.PhoneCode(account, phone, code, "confirm-phone");
        messages.DocumentsReceived(account, profile, accepted.Count);
        audit.Record("account.registered", account.Id);
        foreach (var _ in accepted)
        {
            audit.Record("document.uploaded", account.Id);
        }

        await db.SaveChangesAsync(cancellationToken);
        pending.Start(account.Id);
        return RedirectToPage("RegisterDone");
    }

    private async Task<List<(InspectedDocument Document, string Name)>> InspectDocumentsAsync(CancellationToken cancellationToken)
    {
        var accepted = new List<(InspectedDocument, string)>();
        var files = Documents.Where(f => f.Length > 0 || !string.IsNullOrEmpty(f.FileName)).ToList();
        if (files.Count == 0)
        {
            ModelState.AddModelError(nameof(Documents), l["Documents.Required"]);
            return accepted;
        }
        if (files.Count > DocumentLimits.MaxFiles)
        {
            ModelState.AddModelError(nameof(Documents), l["Documents.TooMany", DocumentLimits.MaxFiles]);
            return accepted;
        }
        foreach (var file in files)
        {
            var name = DocumentFileName.Clean(file.FileName);
            if (file.Length > DocumentLimits.MaxFileBytes)
            {
                ModelState.AddModelError(nameof(Documents), l["Documents.Rejected." + DocumentRejection.TooLarge, name, DocumentLimits.MaxFileBytes / (1024 * 1024)]);
                continue;
            }
            using var buffer = new MemoryStream((int)file.Length);
            await file.CopyToAsync(buffer, cancellationToken);
            var inspection = await inspector.InspectAsync(buffer.GetBuffer().AsMemory(0, (int)buffer.Length), cancellationToken);
            if (inspection.Document is null)
            {
                ModelState.AddModelError(nameof(Documents), l["Documents.Rejected." + inspection.Rejection, name, DocumentLimits.MaxFileBytes / (1024 * 1024)]);
                continue;
            }
            accepted.Add((inspection.Document, name));
        }
        return accepted;
    }

    private async Task<int> CurrentEditionAsync(CancellationToken cancellationToken) =>
        await PolicyEdition.InForceAsync(db, cancellationToken);

    /// <summary>A random ten-digit customer number, not a counter (it reveals nothing about how many customers exist).</summary>
    private async Task<string> NewCustomerNumberAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            var number = System.Security.Cryptography.RandomNumberGenerator.GetInt32(1_000_000_000, int.MaxValue)
                .ToString(System.Globalization.CultureInfo.InvariantCulture);
            if (!await db.Users.AnyAsync(a => a.NormalizedUserName == number, cancellationToken))
            {
                return number;
            }
        }
    }
}
