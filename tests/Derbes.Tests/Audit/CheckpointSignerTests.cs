using System.Security.Cryptography;
using System.Text;
using Derbes.Web.Audit;
using Derbes.Web.Data;
using Derbes.Web.Security;
using Microsoft.Extensions.Options;

namespace Derbes.Tests.Audit;

/// <summary>Checkpoints of a purged audit trail are signed with Ed25519, with a key derived from the master key.</summary>
public sealed class CheckpointSignerTests
{
    private static readonly byte[] First = RandomNumberGenerator.GetBytes(32);
    private static readonly byte[] Second = RandomNumberGenerator.GetBytes(32);

    private static CheckpointSigner Signer(string current, params (string Id, byte[] Key)[] masters)
    {
        var json = $$"""
            {"current":"{{current}}","indexKey":"{{Convert.ToBase64String(new byte[32])}}","masterKeys":[{{string.Join(",", masters.Select(m => $$"""{"id":"{{m.Id}}","key":"{{Convert.ToBase64String(m.Key)}}"}"""))}}]}
            """;
        var ring = new MasterKeyRing(Options.Create(new KeyOptions { MasterKeyFileContent = json }), new DataDirectory(Path.GetTempPath()));
        return new CheckpointSigner(ring);
    }

    private static AuditCheckpoint Checkpoint() => new()
    {
        At = DateTimeOffset.UnixEpoch.AddDays(21_000),
        FirstPurgedId = 1,
        LastPurgedId = 40,
        FirstPurgedPreviousHash = HashChain.Genesis,
        LastPurgedHash = Convert.ToHexStringLower(SHA256.HashData("40"u8)),
        PurgedCount = 40,
        PurgedFrom = DateTimeOffset.UnixEpoch.AddDays(19_000),
        PurgedTo = DateTimeOffset.UnixEpoch.AddDays(19_900),
    };

    [Fact]
    public void ASignedCheckpointVerifiesAndAnyEditBreaksItsSignature()
    {
        var signer = Signer("m1", ("m1", First));
        var checkpoint = Checkpoint();
        signer.Sign(checkpoint);
        Assert.Equal("m1", checkpoint.KeyId);
        Assert.True(signer.Verify(checkpoint));

        var edits = new Action<AuditCheckpoint>[]
        {
            c => c.LastPurgedHash = HashChain.Genesis,
            c => c.FirstPurgedPreviousHash = c.LastPurgedHash,
            c => c.PurgedCount++,
            c => c.LastPurgedId++,
            c => c.PurgedTo = c.PurgedTo.AddSeconds(1),
            c => c.At = c.At.AddTicks(10),
            c => c.Signature = c.Signature[..^2] + (c.Signature[^2..] == "00" ? "01" : "00"),
            c => c.Signature = "not hex at all",
        };
        foreach (var edit in edits)
        {
            var copy = Checkpoint();
            signer.Sign(copy);
            edit(copy);
            Assert.False(signer.Verify(copy));
        }
    }

    [Fact]
    public void TheKeyIsDerivedFromTheMasterKeySoTheSameKeyFileGivesTheSamePublicKeyAndAnotherDoesNot()
    {
        var one = Signer("m1", ("m1", First)).PublicKeyHex("m1");
        Assert.Equal(one, Signer("m1", ("m1", First)).PublicKeyHex("m1"));
        Assert.NotEqual(one, Signer("m1", ("m1", Second)).PublicKeyHex("m1"));
        Assert.Equal(64, one!.Length);
        Assert.Null(Signer("m1", ("m1", First)).PublicKeyHex("m9"));
    }

    [Fact]
    public void AnAuditorChecksTheSignatureWithThePublicKeyAlone()
    {
        var signer = Signer("m1", ("m1", First));
        var checkpoint = Checkpoint();
        signer.Sign(checkpoint);
        var publicKey = Convert.FromHexString(signer.PublicKeyHex("m1")!);
        Assert.True(Geralt.Ed25519.Verify(Convert.FromHexString(checkpoint.Signature), Encoding.UTF8.GetBytes(checkpoint.SignedContent()), publicKey));
    }

    [Fact]
    public void CheckpointsSignedBeforeARotationStillVerifyAndOnesSignedWithAnotherKeyFileDoNot()
    {
        var before = Signer("m1", ("m1", First));
        var checkpoint = Checkpoint();
        before.Sign(checkpoint);

        var rotated = Signer("m2", ("m1", First), ("m2", Second));
        Assert.True(rotated.Verify(checkpoint));
        var newer = Checkpoint();
        rotated.Sign(newer);
        Assert.Equal("m2", newer.KeyId);
        Assert.True(rotated.Verify(newer));

        // Someone with the database but another key file cannot forge one under the real key's id.
        var forger = Signer("m1", ("m1", Second));
        var forged = Checkpoint();
        forger.Sign(forged);
        Assert.False(before.Verify(forged));
        // Nor name a key the ring does not hold.
        forged.KeyId = "m9";
        Assert.False(before.Verify(forged));
    }
}
