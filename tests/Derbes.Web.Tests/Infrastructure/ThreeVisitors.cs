using Derbes.Web.Security;

namespace Derbes.Web.Tests.Infrastructure;

/// <summary>
/// The three kinds of people the site-wide tests ask as: a visitor, a signed-in customer, and a signed-in member of
/// staff holding every role.
/// </summary>
public sealed class ThreeVisitors : IDisposable
{
    private ThreeVisitors(Browser visitor, Browser customer, Browser staff) => (Visitor, Customer, Staff) = (visitor, customer, staff);

    public Browser Visitor { get; }

    public Browser Customer { get; }

    public Browser Staff { get; }

    /// <summary>Each with the name the tests' messages give it.</summary>
    public IReadOnlyList<(string Who, Browser Browser)> All => [("visitor", Visitor), ("customer", Customer), ("staff", Staff)];

    /// <summary>Registers and confirms a customer and creates a member of staff, and signs each in with a browser of their own.</summary>
    public static async Task<ThreeVisitors> SignInAsync(DerbesApp app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var customer = app.NewBrowser();
        var registered = await Journeys.RegisteredAndConfirmedAsync(app, customer);
        await Journeys.SignInAsync(customer, registered.Email, registered.Password);
        var staff = app.NewBrowser();
        await StaffJourneys.SignInAsync(app, staff, await StaffJourneys.CreateAsync(app, StaffRoles.All));
        return new ThreeVisitors(app.NewBrowser(), customer, staff);
    }

    public void Dispose()
    {
        Visitor.Dispose();
        Customer.Dispose();
        Staff.Dispose();
    }
}
