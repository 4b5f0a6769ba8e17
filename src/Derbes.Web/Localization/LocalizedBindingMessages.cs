using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Localization;
using Microsoft.Extensions.Options;

namespace Derbes.Web.Localization;

/// <summary>Model-binding messages ("the value is invalid") in the page's language.</summary>
public sealed class LocalizedBindingMessages(IStringLocalizerFactory factory) : IConfigureOptions<MvcOptions>
{
    public void Configure(MvcOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var l = factory.Create(typeof(SharedResource));
        var m = options.ModelBindingMessageProvider;
        m.SetValueMustNotBeNullAccessor(_ => l["Validation.Required"]);
        m.SetMissingBindRequiredValueAccessor(_ => l["Validation.Required"]);
        m.SetMissingKeyOrValueAccessor(() => l["Validation.Required"]);
        m.SetAttemptedValueIsInvalidAccessor((_, _) => l["Validation.Invalid"]);
        m.SetUnknownValueIsInvalidAccessor(_ => l["Validation.Invalid"]);
        m.SetValueIsInvalidAccessor(_ => l["Validation.Invalid"]);
        m.SetValueMustBeANumberAccessor(_ => l["Validation.Invalid"]);
        m.SetNonPropertyAttemptedValueIsInvalidAccessor(_ => l["Validation.Invalid"]);
        m.SetNonPropertyUnknownValueIsInvalidAccessor(() => l["Validation.Invalid"]);
        m.SetNonPropertyValueMustBeANumberAccessor(() => l["Validation.Invalid"]);
        m.SetMissingRequestBodyRequiredValueAccessor(() => l["Validation.Required"]);
    }
}
