using Derbes.Web.Campaigns;
using Derbes.Web.Campaigns.Surveys;
using Derbes.Web.Localization;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.Extensions.Localization;

namespace Derbes.Web.Pages.Admin.Campaigns;

/// <summary>
/// Marketing writes a survey campaign's questions (single or multiple choice, a 1–5 mark, free text) in kk and ru,
/// en optional, and puts them in order, while the campaign is a draft or scheduled; once it is sending the questions
/// are fixed, so every answer means what it meant when it was given. Every change is audited.
/// </summary>
[Authorize(Roles = CampaignDesk.Roles)]
public sealed class SurveyModel(CampaignDesk desk, Surveys surveys, IStringLocalizer<SharedResource> l) : PageModel
{
    public Campaign Campaign { get; private set; } = null!;
    public IReadOnlyList<SurveyQuestion> Questions { get; private set; } = [];

    /// <summary>The question being edited (?edit=ID), or none: the form adds a new one.</summary>
    [BindProperty(SupportsGet = true)]
    public long? Edit { get; set; }

    [BindProperty]
    public InputModel Input { get; set; } = new();

    public bool Editable => Campaign.IsEditable && Campaign.Kind == CampaignKind.Survey;

    public sealed class InputModel
    {
        public SurveyQuestionType Type { get; set; }
        public bool Required { get; set; } = true;
        public Dictionary<string, string?> Prompts { get; set; } = [];
        public Dictionary<string, string?> Options { get; set; } = [];
    }

    public async Task<IActionResult> OnGetAsync(long id, CancellationToken cancellationToken)
    {
        if (!await LoadAsync(id, cancellationToken))
        {
            return NotFound();
        }
        if (Edit is { } editing && Questions.FirstOrDefault(q => q.Id == editing) is { } question)
        {
            Input = new InputModel
            {
                Type = question.Type,
                Required = question.Required,
                Prompts = question.Texts.ToDictionary(t => t.Language, t => (string?)t.Prompt),
                Options = question.Texts.ToDictionary(t => t.Language, t => (string?)t.Options),
            };
        }
        else
        {
            Edit = null;
        }
        return Page();
    }

    public async Task<IActionResult> OnPostSaveAsync(long id, CancellationToken cancellationToken)
    {
        var input = new SurveyQuestionInput(Input.Type, Input.Required,
            [.. Languages.All.Select(code => new SurveyQuestionTextInput(code, Input.Prompts.GetValueOrDefault(code), Input.Options.GetValueOrDefault(code)))]);
        var problems = new List<CampaignProblem>();
        var result = Edit is { } questionId
            ? await surveys.UpdateAsync(id, questionId, input, problems, cancellationToken)
            : await surveys.AddAsync(id, input, problems, cancellationToken);
        switch (result)
        {
            case CampaignResult.Done:
                TempData["Notice"] = Edit is null ? "Survey.Editor.Added" : "Survey.Editor.Saved";
                return RedirectToPage(new { id, edit = (long?)null });
            case CampaignResult.Incomplete:
                foreach (var problem in problems)
                {
                    ModelState.AddModelError("Input." + problem.Field, l[problem.Error]);
                }
                return await LoadAsync(id, cancellationToken) ? Page() : NotFound();
            case CampaignResult.WrongState:
                TempData["Notice"] = "Survey.Editor.NotEditable";
                return RedirectToPage(new { id, edit = (long?)null });
            default:
                return NotFound();
        }
    }

    public async Task<IActionResult> OnPostRemoveAsync(long id, long question, CancellationToken cancellationToken) =>
        After(id, await surveys.RemoveAsync(id, question, cancellationToken), "Survey.Editor.Removed");

    public async Task<IActionResult> OnPostMoveAsync(long id, long question, int by, CancellationToken cancellationToken) =>
        After(id, await surveys.MoveAsync(id, question, by, cancellationToken), "Survey.Editor.Moved");

    private IActionResult After(long id, CampaignResult result, string done)
    {
        if (result == CampaignResult.NotFound)
        {
            return NotFound();
        }
        TempData["Notice"] = result switch
        {
            CampaignResult.Done => done,
            CampaignResult.Incomplete => "Survey.Editor.KeepOne",
            _ => "Survey.Editor.NotEditable",
        };
        return RedirectToPage(new { id, edit = (long?)null });
    }

    private async Task<bool> LoadAsync(long id, CancellationToken cancellationToken)
    {
        if (await desk.OpenAsync(id, cancellationToken) is not { } campaign)
        {
            return false;
        }
        Campaign = campaign;
        Questions = await surveys.QuestionsAsync(id, cancellationToken);
        return true;
    }
}
