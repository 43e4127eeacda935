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
    private readonly byte[] _key = Encoding.UTF8.GetBytes(options.Value.EffectivePiiHashKey);

    public string Hash(string identifier) =>
        Convert.ToHexStringLower(HMACSHA256.HashData(_key, Encoding.UTF8.GetBytes(identifier)));
}
