namespace Derbes.Web.Messaging;

/// <summary>A composed email: plain text and HTML bodies of the same message.</summary>
public sealed record EmailContent(string To, string Subject, string Text, string Html);
