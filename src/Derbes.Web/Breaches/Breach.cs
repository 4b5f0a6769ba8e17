using System.Globalization;
using Derbes.Web.Calendar;

namespace Derbes.Web.Breaches;

/// <summary>The kinds of a customer's data an incident reached; an incident lists every kind it reached.</summary>
[Flags]
public enum BreachCategory
{
    None = 0,
    Names = 1,
    Email = 2,
    Phone = 4,
    Documents = 8,
    SignIns = 16,
    Consents = 32,
    Requests = 64,
}

/// <summary>Where the notice to the authorized body stands, as the register colours it.</summary>
public enum BreachStatus
{
    /// <summary>Not yet notified; the deadline has not passed.</summary>
    Pending,
    /// <summary>Not yet notified and the deadline has passed.</summary>
    Overdue,
    Notified,
    /// <summary>Notified after the deadline.</summary>
    NotifiedLate,
}

/// <summary>
/// One line of the breach register (Art. 22, 25 of the Law; KZ-RULES "Notify the authorized body of a personal-data
/// security breach: 1 working day from detection"): when it was detected, what happened, which kinds of data, how
/// many customers, what was done, and when the authorized body was told. The incident names customers only through
/// <see cref="BreachCustomer"/> link rows; <see cref="AffectedCount"/> stays as recorded, so the register still says
/// how many were affected after some of them are destroyed.
/// </summary>
public sealed class Breach
{
    /// <summary>The longest description or list of measures, in characters (a CR LF counts as one).</summary>
    public const int MaxText = 4000;
    public const int MaxCustomerText = 1000;
    public const int MaxChannel = 200;
    public const int MaxReference = 100;
    public const int MaxNumber = 32;

    public long Id { get; set; }
    public string Number { get; set; } = "";
    /// <summary>The year (Asia/Almaty) it was recorded and its place in that year; unique together.</summary>
    public int Year { get; set; }
    public int Sequence { get; set; }

    public DateTimeOffset DetectedAt { get; set; }
    public DateTimeOffset RecordedAt { get; set; }
    public Guid RecordedBy { get; set; }
    public string Description { get; set; } = "";
    public BreachCategory Categories { get; set; }
    public string Measures { get; set; } = "";
    public DateTimeOffset? MeasuresChangedAt { get; set; }
    public Guid? MeasuresChangedBy { get; set; }
    public int AffectedCount { get; set; }

    /// <summary>When the notice reached the authorized body, as the officer records it.</summary>
    public DateTimeOffset? NotifiedAt { get; set; }
    public string? NotificationChannel { get; set; }
    public string? NotificationReference { get; set; }
    public Guid? NotificationRecordedBy { get; set; }

    /// <summary>Two officers changing the same incident at once: the second finds it changed and fails.</summary>
    public int Version { get; set; }

    public List<BreachNoticeText> Texts { get; set; } = [];

    /// <summary>The day of detection in Asia/Almaty: the term counts from the next working day.</summary>
    public DateOnly DetectedOn => WorkingCalendar.AlmatyDate(DetectedAt);

    /// <summary>KZ-RULES: the authorized body is told within 1 working day of detection.</summary>
    public DateOnly DeadlineOn(WorkingCalendar calendar)
    {
        ArgumentNullException.ThrowIfNull(calendar);
        return calendar.AddWorkingDays(DetectedOn, 1);
    }

    public BreachStatus StatusOn(DateOnly today, DateOnly deadline) => NotifiedAt is { } sent
        ? WorkingCalendar.AlmatyDate(sent) > deadline ? BreachStatus.NotifiedLate : BreachStatus.Notified
        : today > deadline ? BreachStatus.Overdue : BreachStatus.Pending;

    public BreachNoticeText? Text(string language) => Texts.FirstOrDefault(t => t.Language == language);

    public static string FormatNumber(int year, int sequence) =>
        string.Create(CultureInfo.InvariantCulture, $"BR-{year}-{sequence:D3}");

    /// <summary>Every category there is, in a fixed order.</summary>
    public static IReadOnlyList<BreachCategory> AllCategories { get; } = [.. Enum.GetValues<BreachCategory>().Where(c => c != BreachCategory.None)];

    public static BreachCategory Known { get; } = AllCategories.Aggregate(BreachCategory.None, (all, c) => all | c);

    public static IEnumerable<BreachCategory> Each(BreachCategory categories) => AllCategories.Where(c => categories.HasFlag(c));
}

/// <summary>A customer an incident reached, and when they were told of it by email (null: not yet).</summary>
public sealed class BreachCustomer
{
    public long BreachId { get; set; }
    public Guid AccountId { get; set; }
    public DateTimeOffset? NotifiedAt { get; set; }
}

/// <summary>A customer's request or complaint linked to an incident (a complaint about the breach, say).</summary>
public sealed class BreachRequest
{
    public long BreachId { get; set; }
    public long RequestId { get; set; }
    public DateTimeOffset LinkedAt { get; set; }
    public Guid LinkedBy { get; set; }
}

/// <summary>What the customers are told, in one language: what happened and what was done, in plain words.</summary>
public sealed class BreachNoticeText
{
    public long BreachId { get; set; }
    public string Language { get; set; } = "";
    public string WhatHappened { get; set; } = "";
    public string WhatWasDone { get; set; } = "";
}
