using Derbes.Web.Audit;
using Derbes.Web.Data;

namespace Derbes.Tests.Security;

public sealed class HashChainTests
{
    private static List<AuditEntry> Chain(int count)
    {
        var entries = new List<AuditEntry>();
        var previous = HashChain.Genesis;
        for (var i = 1; i <= count; i++)
        {
            var entry = new AuditEntry { Id = i, At = DateTimeOffset.UnixEpoch.AddMinutes(i), Actor = "system", Action = "test", Subject = i.ToString(System.Globalization.CultureInfo.InvariantCulture), Outcome = "ok" };
            entry.PreviousHash = previous;
            entry.Hash = HashChain.Link(previous, entry.CanonicalContent());
            previous = entry.Hash;
            entries.Add(entry);
        }
        return entries;
    }

    [Fact]
    public void AnIntactChainVerifies() => Assert.Null(HashChain.FirstBroken(Chain(5), e => e.Id));

    [Fact]
    public void AnEditedRecordIsFound()
    {
        var chain = Chain(5);
        chain[2].Outcome = "denied";
        Assert.Equal(3, HashChain.FirstBroken(chain, e => e.Id));
    }

    [Fact]
    public void ARemovedRecordIsFound()
    {
        var chain = Chain(5);
        chain.RemoveAt(1);
        Assert.Equal(3, HashChain.FirstBroken(chain, e => e.Id));
    }

    [Fact]
    public void FieldsCannotBeShiftedAcrossSeparators() =>
        Assert.NotEqual(HashChain.Canonical("a;", "b"), HashChain.Canonical("a", ";b"));
}
