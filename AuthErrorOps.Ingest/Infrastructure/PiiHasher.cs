using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace AuthErrorOps.Ingest.Infrastructure;

/// <summary>
/// HMAC-SHA-256 of personal identifiers (user ids, IP addresses) under <c>Ingest:PiiHashKey</c>:
/// the same person correlates across errors, and without the key nobody can test a guess.
/// </summary>
public sealed class PiiHasher(IOptions<IngestOptions> options)
{
    // One keyed HMAC per thread, reset after each use: the one-shot HMACSHA256.HashData sets up OpenSSL's MAC afresh on every
    // call, which cost more than hashing the few bytes of an identifier.
    [ThreadStatic]
    private static IncrementalHash? t_hmac;

    [ThreadStatic]
    private static PiiHasher? t_owner;

    private readonly byte[] _key = Encoding.UTF8.GetBytes(options.Value.EffectivePiiHashKey);

    public string Hash(string identifier)
    {
        if (t_hmac is null || !ReferenceEquals(t_owner, this))
        {
            t_hmac?.Dispose();
            t_hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, _key);
            t_owner = this;
        }

        var bytes = ArrayPool<byte>.Shared.Rent(Encoding.UTF8.GetMaxByteCount(identifier.Length));
        try
        {
            t_hmac.AppendData(bytes, 0, Encoding.UTF8.GetBytes(identifier, bytes));
            Span<byte> hash = stackalloc byte[HMACSHA256.HashSizeInBytes];
            t_hmac.GetHashAndReset(hash);
            return Convert.ToHexStringLower(hash);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(bytes);
        }
    }
}
