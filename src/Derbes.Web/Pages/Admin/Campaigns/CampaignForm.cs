using Derbes.Web.Campaigns;
using Derbes.Web.Localization;
using Derbes.Web.Messaging;
using Microsoft.AspNetCore.Mvc.ModelBinding;
using Microsoft.Extensions.Localization;

namespace Derbes.Web.Pages.Admin.Campaigns;

/// <summary>The campaign form as posted: settings, and a subject and body per language.</summary>
public sealed class CampaignForm
{
    public string? Name { get; set; }
    public CampaignKind Kind { get; set; }
    public MessageChannel Channel { get; set; }
    public string? Language { get; set; }
    public DateOnly? RegisteredFrom { get; set; }
    public DateOnly? RegisteredTo { get; set; }
    public Dictionary<string, string?> Subject { get; set; } = [];
    public Dictionary<string, string?> Body { get; set; } = [];

    public CampaignInput ToInput() => new(
        Name, Kind, Channel, string.IsNullOrEmpty(Language) ? null : Language, RegisteredFrom, RegisteredTo,
        [.. Languages.All.Select(code => new CampaignTextInput(code, Subject.GetValueOrDefault(code), Body.GetValueOrDefault(code)))]);

    public static CampaignForm Of(Campaign campaign)
    {
        ArgumentNullException.ThrowIfNull(campaign);
        return new CampaignForm
        {
            Name = campaign.Name,
            Kind = campaign.Kind,
            Channel = campaign.Channel,
            Language = campaign.Language,
            RegisteredFrom = campaign.RegisteredFrom,
            RegisteredTo = campaign.RegisteredTo,
            Subject = campaign.Texts.ToDictionary(t => t.Language, t => (string?)t.Subject),
            Body = campaign.Texts.ToDictionary(t => t.Language, t => (string?)t.Body),
        };
    }

    /// <summary>Each problem beside its field ("Input.Subject[kk]"), once.</summary>
    public static void Report(ModelStateDictionary state, IEnumerable<CampaignProblem> problems, IStringLocalizer l)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(problems);
        ArgumentNullException.ThrowIfNull(l);
        foreach (var problem in problems)
        {
            var key = problem.Field.Split('.') is [var field, var code] ? $"Input.{field}[{code}]" : "Input." + problem.Field;
            if (state[key]?.Errors.Count is null or 0)
            {
                state.AddModelError(key, l[problem.Error, Campaign.MaxName, Campaign.MaxSubject]);
            }
        }
    }
}
