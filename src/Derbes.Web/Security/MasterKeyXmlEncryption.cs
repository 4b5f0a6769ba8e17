using System.Security.Cryptography;
using System.Text;
using System.Xml.Linq;
using Microsoft.AspNetCore.DataProtection.XmlEncryption;

namespace Derbes.Web.Security;

/// <summary>
/// Encrypts the Data Protection key ring (which signs session and antiforgery cookies) with the current
/// master key before it is stored in the database, so a copy of the database alone cannot forge a session.
/// </summary>
public sealed class MasterKeyXmlEncryptor(MasterKeyRing keys) : IXmlEncryptor
{
    public EncryptedXmlInfo Encrypt(XElement plaintextElement)
    {
        ArgumentNullException.ThrowIfNull(plaintextElement);
        var plaintext = Encoding.UTF8.GetBytes(plaintextElement.ToString(SaveOptions.DisableFormatting));
        var nonce = RandomNumberGenerator.GetBytes(12);
        var ciphertext = new byte[plaintext.Length];
        var tag = new byte[16];
        using (var aes = new AesGcm(keys.Master(keys.CurrentId), 16))
        {
            aes.Encrypt(nonce, plaintext, ciphertext, tag, Encoding.UTF8.GetBytes("data-protection:" + keys.CurrentId));
        }
        CryptographicOperations.ZeroMemory(plaintext);
        var element = new XElement("encryptedKey",
            new XAttribute("masterKeyId", keys.CurrentId),
            new XElement("nonce", Convert.ToBase64String(nonce)),
            new XElement("value", Convert.ToBase64String(ciphertext)),
            new XElement("tag", Convert.ToBase64String(tag)));
        return new EncryptedXmlInfo(element, typeof(MasterKeyXmlDecryptor));
    }
}

/// <summary>The matching decryptor; Data Protection creates it through the service provider.</summary>
public sealed class MasterKeyXmlDecryptor(IServiceProvider services) : IXmlDecryptor
{
    public XElement Decrypt(XElement encryptedElement)
    {
        ArgumentNullException.ThrowIfNull(encryptedElement);
        var keys = services.GetRequiredService<MasterKeyRing>();
        var id = (string?)encryptedElement.Attribute("masterKeyId") ?? throw new CryptographicException("No master key id.");
        var nonce = Convert.FromBase64String((string)encryptedElement.Element("nonce")!);
        var ciphertext = Convert.FromBase64String((string)encryptedElement.Element("value")!);
        var tag = Convert.FromBase64String((string)encryptedElement.Element("tag")!);
        var plaintext = new byte[ciphertext.Length];
        using (var aes = new AesGcm(keys.Master(id), 16))
        {
            aes.Decrypt(nonce, ciphertext, tag, plaintext, Encoding.UTF8.GetBytes("data-protection:" + id));
        }
        return XElement.Parse(Encoding.UTF8.GetString(plaintext));
    }
}
