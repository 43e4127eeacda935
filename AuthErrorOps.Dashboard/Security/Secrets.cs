using System.Security.Cryptography;
using System.Text;

namespace AuthErrorOps.Dashboard.Security;

internal static class Secrets
{
    /// <summary>
    /// Compares in constant time: both sides are hashed first, so neither the content nor the length of the
    /// expected secret leaks through timing.
    /// </summary>
    public static bool AreEqual(string? presented, string expected)
    {
        if (presented is null)
        {
            return false;
        }

        Span<byte> presentedHash = stackalloc byte[SHA256.HashSizeInBytes];
        Span<byte> expectedHash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(Encoding.UTF8.GetBytes(presented), presentedHash);
        SHA256.HashData(Encoding.UTF8.GetBytes(expected), expectedHash);
        return CryptographicOperations.FixedTimeEquals(presentedHash, expectedHash);
    }
}
