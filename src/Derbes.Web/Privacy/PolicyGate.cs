using System.Security.Claims;
using Derbes.Web.Security;
using Microsoft.AspNetCore.Mvc.Filters;

namespace Derbes.Web.Privacy;

/// <summary>
/// Stands before every cabinet page: a customer who has not yet read a new edition of the policy (or, when it
/// changed purposes or recipients, agreed to it again) is sent to /cabinet/policy-update first. Staff are not
/// customers and pass.
/// </summary>
public sealed class PolicyGate(PolicyAgreement agreement) : IAsyncPageFilter
{
    public const string UpdatePage = "/Cabinet/PolicyUpdate";

    public Task OnPageHandlerSelectionAsync(PageHandlerSelectedContext context) => Task.CompletedTask;

    public async Task OnPageHandlerExecutionAsync(PageHandlerExecutingContext context, PageHandlerExecutionDelegate next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        var user = context.HttpContext.User;
        if (context.ActionDescriptor.ViewEnginePath != UpdatePage
            && user.Identity?.IsAuthenticated == true
            && !StaffRoles.All.Any(user.IsInRole)
            && Guid.TryParse(user.FindFirstValue(ClaimTypes.NameIdentifier), out var id)
            && (await agreement.DueAsync(id, context.HttpContext.RequestAborted)).Due != PolicyDue.None)
        {
            context.Result = new Microsoft.AspNetCore.Mvc.RedirectToPageResult(UpdatePage);
            return;
        }
        await next();
    }
}
