using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Derbes.Web.Security;

namespace Derbes.Web.Backups;

/// <summary>
/// Encrypts archive copies and key-store copies as a stream of AES-256-GCM chunks (the STREAM construction): each
/// chunk's nonce is its number, and the last chunk says it is the last, so a file that was cut short, had chunks
/// reordered, dropped or altered, or was encrypted under another key, fails to open instead of opening partly.
/// The file key is derived (HKDF-SHA256) from a master key of the key file and a random salt in the file's header;
/// the key file is kept apart from the copies (Keys:MasterKeyFile), so a copy alone cannot be read.
/// </summary>
public sealed class ArchiveCipher(MasterKeyRing keys)
{
    internal const int ChunkSize = 1 << 20;
    private const int TagSize = 16;
    private const int SaltSize = 32;
    private static readonly byte[] Magic = "DERBESBK"u8.ToArray();

    /// <summary>A stream that encrypts what is written to <paramref name="output"/>; dispose it to write the last chunk.</summary>
    public Stream Encrypt(Stream output, string purpose)
    {
        ArgumentNullException.ThrowIfNull(output);
        var keyId = keys.CurrentId;
        var salt = RandomNumberGenerator.GetBytes(SaltSize);
        var header = Header(keyId, salt);
        output.Write(header);
        return new EncryptingStream(output, FileKey(keyId, salt, purpose), header);
    }

    /// <summary>A stream that reads the plaintext of <paramref name="input"/>; throws <see cref="BackupException"/> when it cannot.</summary>
    public Stream Decrypt(Stream input, string purpose)
    {
        ArgumentNullException.ThrowIfNull(input);
        var magic = new byte[Magic.Length + 2];
        if (input.ReadAtLeast(magic, magic.Length, throwOnEndOfStream: false) < magic.Length || !magic.AsSpan(0, Magic.Length).SequenceEqual(Magic))
        {
            throw new BackupException("This is not a Derbes archive file (its header is missing or wrong).");
        }
        if (magic[Magic.Length] != 1)
        {
            throw new BackupException($"The file is in format version {magic[Magic.Length]}, which this version of Derbes does not read.");
        }
        var keyIdBytes = new byte[magic[Magic.Length + 1]];
        var salt = new byte[SaltSize];
        if (input.ReadAtLeast(keyIdBytes, keyIdBytes.Length, throwOnEndOfStream: false) < keyIdBytes.Length
            || input.ReadAtLeast(salt, SaltSize, throwOnEndOfStream: false) < SaltSize)
        {
            throw new BackupException("The file is truncated: its header is incomplete.");
        }
        var keyId = Encoding.ASCII.GetString(keyIdBytes);
        byte[] key;
        try
        {
            key = FileKey(keyId, salt, purpose);
        }
        catch (CryptographicException)
        {
            throw new BackupException($"The file was encrypted with master key '{keyId}', which this instance's key file does not hold: restore needs the key file of the site that made the copy.");
        }
        return new DecryptingStream(input, key, Header(keyId, salt));
    }

    private byte[] FileKey(string keyId, byte[] salt, string purpose) =>
        HKDF.DeriveKey(HashAlgorithmName.SHA256, keys.Master(keyId), 32, salt, Encoding.UTF8.GetBytes("derbes-archive-v1/" + purpose));

    private static byte[] Header(string keyId, byte[] salt)
    {
        var id = Encoding.ASCII.GetBytes(keyId);
        var header = new byte[Magic.Length + 2 + id.Length + SaltSize];
        Magic.CopyTo(header, 0);
        header[Magic.Length] = 1;
        header[Magic.Length + 1] = checked((byte)id.Length);
        id.CopyTo(header, Magic.Length + 2);
        salt.CopyTo(header, Magic.Length + 2 + id.Length);
        // The purpose is bound through the key derivation, not stored: a key copy cannot pass for an archive.
        return header;
    }

    private static byte[] Nonce(long chunk, bool last)
    {
        var nonce = new byte[12];
        BinaryPrimitives.WriteInt64BigEndian(nonce.AsSpan(3), chunk);
        nonce[11] = last ? (byte)1 : (byte)0;
        nonce[0] = 0x44;
        return nonce;
    }

    private sealed class EncryptingStream(Stream output, byte[] key, byte[] header) : Stream
    {
        private readonly AesGcm _aes = new(key, TagSize);
        private readonly byte[] _buffer = new byte[ChunkSize];
        private readonly byte[] _sealed = new byte[4 + ChunkSize + TagSize];
        private int _filled;
        private long _chunk;
        private bool _finished;

        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            while (!buffer.IsEmpty)
            {
                if (_filled == ChunkSize)
                {
                    // Flushed only when more follows, so the last chunk is always the one written at Dispose.
                    WriteChunk(last: false);
                }
                var take = Math.Min(buffer.Length, ChunkSize - _filled);
                buffer[..take].CopyTo(_buffer.AsSpan(_filled));
                _filled += take;
                buffer = buffer[take..];
            }
        }

        private void WriteChunk(bool last)
        {
            BinaryPrimitives.WriteInt32BigEndian(_sealed, _filled);
            _aes.Encrypt(Nonce(_chunk++, last), _buffer.AsSpan(0, _filled), _sealed.AsSpan(4, _filled), _sealed.AsSpan(4 + _filled, TagSize), header);
            output.Write(_sealed, 0, 4 + _filled + TagSize);
            _filled = 0;
        }

        public override void Flush() => output.Flush();

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing && !_finished)
            {
                _finished = true;
                WriteChunk(last: true);
                output.Flush();
                _aes.Dispose();
                CryptographicOperations.ZeroMemory(key);
            }
            base.Dispose(disposing);
        }
    }

    private sealed class DecryptingStream(Stream input, byte[] key, byte[] header) : Stream
    {
        private readonly AesGcm _aes = new(key, TagSize);
        private readonly byte[] _plain = new byte[ChunkSize];
        private readonly byte[] _sealed = new byte[ChunkSize + TagSize];
        private int _offset;
        private int _length;
        private long _chunk;
        private bool _ended;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            while (_offset == _length)
            {
                if (_ended)
                {
                    return 0;
                }
                NextChunk();
            }
            var take = Math.Min(buffer.Length, _length - _offset);
            _plain.AsSpan(_offset, take).CopyTo(buffer);
            _offset += take;
            return take;
        }

        private void NextChunk()
        {
            Span<byte> prefix = stackalloc byte[4];
            if (input.ReadAtLeast(prefix, 4, throwOnEndOfStream: false) < 4)
            {
                throw new BackupException("The file is truncated: it ends before its last chunk.");
            }
            var length = BinaryPrimitives.ReadInt32BigEndian(prefix);
            if (length is < 0 or > ChunkSize)
            {
                throw new BackupException("The file is damaged: a chunk has an impossible length.");
            }
            if (input.ReadAtLeast(_sealed.AsSpan(0, length + TagSize), length + TagSize, throwOnEndOfStream: false) < length + TagSize)
            {
                throw new BackupException("The file is truncated: it ends inside a chunk.");
            }
            // A chunk opens either as the last one or as one that more follow; anything else is not this file.
            foreach (var last in (ReadOnlySpan<bool>)[false, true])
            {
                try
                {
                    _aes.Decrypt(Nonce(_chunk, last), _sealed.AsSpan(0, length), _sealed.AsSpan(length, TagSize), _plain.AsSpan(0, length), header);
                    _chunk++;
                    _offset = 0;
                    _length = length;
                    _ended = last;
                    if (last && input.ReadByte() != -1)
                    {
                        throw new BackupException("The file is damaged: something follows its last chunk.");
                    }
                    return;
                }
                catch (AuthenticationTagMismatchException)
                {
                }
            }
            throw new BackupException(_chunk == 0
                ? "The file cannot be opened with this instance's key: the key is wrong, or the file was altered."
                : $"The file was altered: chunk {_chunk} does not authenticate.");
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                _aes.Dispose();
                CryptographicOperations.ZeroMemory(key);
            }
            base.Dispose(disposing);
        }
    }
}

/// <summary>An archive or key copy that cannot be used, with a message an operator can act on.</summary>
public sealed class BackupException(string message) : Exception(message);
