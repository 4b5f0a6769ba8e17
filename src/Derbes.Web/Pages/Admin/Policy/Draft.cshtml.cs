using System.ComponentModel.DataAnnotations;
using System.Security.Claims;
using Derbes.Web.Audit;
using Derbes.Web.Data;
using Derbes.Web.Localization;
using Derbes.Web.Privacy;
using Derbes.Web.Security;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;

namespace Derbes.Web.Pages.Admin.Policy;

/// <summary>
/// Writing the next edition: per language a title, a short plain summary of what changed and the Markdown body,
/// and whether it changes purposes or recipients (then customers must agree again). A draft may be incomplete;
/// completeness is checked at publication. Every save is audited; a form shown before someone else saved (or
/// published) is refused and shown again with what is stored now.
/// </summary>
[Authorize(Roles = StaffRoles.PrivacyOfficer)]
public sealed class DraftModel(DerbesDb db, AuditTrail audit, TimeProvider clock) : PageModel
{
    private const string SingleLine = @"^[^\p{Cc}]*$";
    private const string MultiLine = @"^(?:[^\p{Cc}]|\r|\n|\t)*$";

    [BindProperty]
    public InputModel Input { get; set; } = new();

    /// <summary>Whether a draft is stored (otherwise the form starts from the current edition's texts).</summary>
    public bool Exists { get; private set; }

    /// <summary>Set when another officer saved or published after this form was shown.</summary>
    public bool Conflict { get; private set; }

    public sealed class TextInput
    {
        [StringLength(PolicyDraft.MaxTitle, ErrorMessage = "Validation.TooLong"), RegularExpression(SingleLine, ErrorMessage = "Validation.NoControlCharacters")]
        public string? Title { get; set; }
        [StringLength(PolicyDraft.MaxSummary, ErrorMessage = "Validation.TooLong"), RegularExpression(MultiLine, ErrorMessage = "Validation.NoControlCharacters")]
        public string? Summary { get; set; }
        [StringLength(PolicyDraft.MaxBody, ErrorMessage = "Validation.TooLong"), RegularExpression(MultiLine, ErrorMessage = "Validation.NoControlCharacters")]
        public string? Body { get; set; }
    }

    public sealed class InputModel
    {
        public TextInput Kk { get; set; } = new();
        public TextInput Ru { get; set; } = new();
        public TextInput En { get; set; } = new();
        public bool ChangesPurposes { get; set; }
        /// <summary>The draft's version when the form was shown; empty for a draft not yet saved.</summary>
        public string? Version { get; set; }

        public TextInput For(string language) => language switch
        {
            Languages.Kazakh => Kk,
            Languages.Russian => Ru,
            _ => En,
        };
    }

    public async Task OnGetAsync(CancellationToken cancellationToken) => await FillAsync(cancellationToken);

    public async Task<IActionResult> OnPostAsync(CancellationToken cancellationToken)
    {
        if (!ModelState.IsValid)
        {
            Exists = await db.PolicyDrafts.AnyAsync(d => d.Id == PolicyDraft.TheId, cancellationToken);
            return Page();
        }
        var draft = await db.PolicyDrafts.Include(d => d.Texts).SingleOrDefaultAsync(d => d.Id == PolicyDraft.TheId, cancellationToken);
        var shown = Guid.TryParse(Input.Version, out var v) ? v : (Guid?)null;
        if (draft?.Version != shown)
        {
            return await ConflictAsync(cancellationToken);
        }
        var now = clock.GetUtcNow();
        var me = User.FindFirstValue(ClaimTypes.NameIdentifier) ?? "";
        if (draft is null)
        {
            draft = new PolicyDraft { CreatedAt = now, CreatedBy = me };
            db.PolicyDrafts.Add(draft);
        }
        draft.ChangesPurposes = Input.ChangesPurposes;
        draft.UpdatedAt = now;
        draft.UpdatedBy = me;
        draft.Version = Guid.NewGuid();
        foreach (var language in Languages.All)
        {
            var typed = Input.For(language);
            var text = draft.Text(language);
            text.Title = (typed.Title ?? "").Trim();
            text.Summary = Lines(typed.Summary).Trim();
            text.Body = Lines(typed.Body).TrimEnd();
        }
        audit.Record("policy.draft-saved", "draft", draft.ChangesPurposes ? "reconsent" : "inform");
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException)
        {
            // Saved, published or first created by someone else in the meantime: nothing of this form was stored.
            db.ChangeTracker.Clear();
            return await ConflictAsync(cancellationToken);
        }
        TempData["Notice"] = "PolicyAdmin.DraftSavedNotice";
        return RedirectToPage();
    }

    private async Task<IActionResult> ConflictAsync(CancellationToken cancellationToken)
    {
        ModelState.Clear();
        Conflict = true;
        await FillAsync(cancellationToken);
        return Page();
    }

    /// <summary>The stored draft, or a new one starting from the current edition's titles and bodies.</summary>
    private async Task FillAsync(CancellationToken cancellationToken)
    {
        var draft = await db.PolicyDrafts.AsNoTracking().Include(d => d.Texts).SingleOrDefaultAsync(d => d.Id == PolicyDraft.TheId, cancellationToken);
        Exists = draft is not null;
        Input = new InputModel { ChangesPurposes = draft?.ChangesPurposes ?? false, Version = draft?.Version.ToString() };
        if (draft is not null)
        {
            foreach (var language in Languages.All)
            {
                var text = draft.Text(language);
                Input.For(language).Title = text.Title;
                Input.For(language).Summary = text.Summary;
                Input.For(language).Body = text.Body;
            }
            return;
        }
        var latest = await db.PolicyEditions.AsNoTracking().Include(e => e.Texts).OrderByDescending(e => e.Number).FirstOrDefaultAsync(cancellationToken);
        foreach (var text in latest?.Texts ?? [])
        {
            Input.For(text.Language).Title = text.Title;
            Input.For(text.Language).Body = Lines(text.Body).TrimEnd();
        }
    }

    private static string Lines(string? typed) => (typed ?? "").Replace("\r\n", "\n", StringComparison.Ordinal).Replace('\r', '\n');
}
