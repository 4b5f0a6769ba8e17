namespace Derbes.Web;

/// <summary>The marker for the one set of interface strings: Resources/SharedResource(.ru|.en).resx; Kazakh is the neutral language.</summary>
public sealed class SharedResource;
