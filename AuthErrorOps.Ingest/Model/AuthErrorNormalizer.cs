using System.Buffers;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using AuthErrorOps.Core.Domain;
using AuthErrorOps.Core.Fingerprinting;
using AuthErrorOps.Core.Privacy;
using AuthErrorOps.Ingest.Infrastructure;

namespace AuthErrorOps.Ingest.Model;

/// <summary>
/// Turns a valid request into what is stored. Order matters: text is made storable (no NUL,
/// no lone surrogates), then scrubbed, then fingerprinted, so secrets never reach the table,
/// the logs or the hash, and never split clusters.
/// </summary>
public sealed class AuthErrorNormalizer(PiiHasher piiHasher, TimeProvider timeProvider)
{
    public NormalizedAuthError Normalize(AuthErrorRequest request)
    {
        var category = AuthErrorTaxonomy.Categorize(request.ErrorType);
        var exceptionClass = StorableText.Clean(request.ExceptionClass!.Trim());
        var fullStack = SensitiveDataScrubber.Scrub(StorableText.NormalizeLineEndings(StorableText.Clean(request.Stacktrace!)))!;
        var message = ScrubbedText(request.ExceptionMessage, FieldLimits.ExceptionMessage);
        var fingerprint = StackFingerprint.Compute(exceptionClass, fullStack, message);

        var normalized = new NormalizedAuthError
        {
            RequestId = StorableText.Clean(request.RequestId!),
            RequestHash = "",
            EventId = Guid.CreateVersion7(),
            OccurredAt = request.OccurredAt!.Value.ToUniversalTime(),
            ReceivedAt = timeProvider.GetUtcNow(),
            HttpStatus = (short)request.HttpStatus!.Value,
            ErrorType = category.ErrorType,
            Severity = category.Severity.ToDatabase(),
            SecuritySignal = category.SecuritySignal,
            ExceptionClass = exceptionClass,
            Stacktrace = StorableText.Truncate(fullStack, FieldLimits.Stacktrace),
            StackHash = fingerprint.StackHash,
            FingerprintVersion = (short)fingerprint.Version,
            ClusterTitle = fingerprint.Title,
            SourceService = Plain(request.SourceService),
            Environment = Plain(request.Environment),
            ExceptionMessage = message,
            RootCauseClass = Plain(request.RootCauseClass),
            RootCauseMessage = ScrubbedText(request.RootCauseMessage, FieldLimits.ExceptionMessage),
            Endpoint = request.Endpoint is null ? null : StorableText.Truncate(SensitiveDataScrubber.ScrubEndpoint(StorableText.Clean(request.Endpoint.Trim()))!, FieldLimits.Endpoint),
            HttpMethod = request.HttpMethod?.ToUpperInvariant(),
            Provider = Plain(request.Provider),
            ClientType = Plain(request.ClientType),
            UserAgentFamily = UserAgentFamily.Of(request.UserAgent),
            PrincipalHash = string.IsNullOrWhiteSpace(request.UserId) ? null : piiHasher.Hash(CanonicalPrincipal(request.UserId)),
            IpHash = string.IsNullOrWhiteSpace(request.ClientIp) ? null : piiHasher.Hash(CanonicalIp(request.ClientIp)),
            TraceId = request.TraceId,
            Attributes = request.Attributes is null ? null : StorableText.CleanJson(SensitiveDataScrubber.ScrubJson(request.Attributes.DeepClone()))?.ToJsonString(),
        };
        return normalized with { RequestHash = RequestHashOf(normalized) };
    }

    private static string? Plain(string? value) => value is null ? null : StorableText.Clean(value.Trim());

    private static string? ScrubbedText(string? value, int maxLength) =>
        value is null ? null : StorableText.Truncate(SensitiveDataScrubber.Scrub(StorableText.NormalizeLineEndings(StorableText.Clean(value)))!, maxLength);

    // Emails are case-insensitive in practice; other identifiers may not be.
    private static string CanonicalPrincipal(string userId)
    {
        var trimmed = userId.Trim();
        return trimmed.Contains('@', StringComparison.Ordinal) ? trimmed.ToLowerInvariant() : trimmed;
    }

    // One address, one hash: "::ffff:203.0.113.7" and "203.0.113.7" are the same client.
    private static string CanonicalIp(string clientIp)
    {
        var address = IPAddress.Parse(clientIp.Trim());
        return (address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address).ToString();
    }

    /// <summary>
    /// What makes two reports with one requestId the same report: every stored field but the server's own. The SHA-256 of
    /// the fields' UTF-8 joined by U+001F (a null field is empty), encoded into a pooled buffer: the joined text would be a
    /// new string and byte array of the stack trace's size per report.
    /// </summary>
    private static string RequestHashOf(NormalizedAuthError error)
    {
        const byte separator = 0x1F;
        ReadOnlySpan<string?> fields =
        [
            error.RequestId, error.OccurredAt.UtcTicks.ToString(CultureInfo.InvariantCulture), error.HttpStatus.ToString(CultureInfo.InvariantCulture),
            error.ErrorType, error.ExceptionClass, error.Stacktrace, error.SourceService, error.Environment, error.ExceptionMessage,
            error.RootCauseClass, error.RootCauseMessage, error.Endpoint, error.HttpMethod, error.Provider, error.ClientType,
            error.UserAgentFamily, error.PrincipalHash, error.IpHash, error.TraceId, error.Attributes,
        ];
        var capacity = fields.Length;
        foreach (var field in fields)
        {
            capacity += Encoding.UTF8.GetMaxByteCount(field?.Length ?? 0);
        }

        var buffer = ArrayPool<byte>.Shared.Rent(capacity);
        try
        {
            var length = 0;
            for (var i = 0; i < fields.Length; i++)
            {
                if (i > 0)
                {
                    buffer[length++] = separator;
                }

                length += Encoding.UTF8.GetBytes(fields[i], buffer.AsSpan(length));
            }

            Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
            SHA256.HashData(buffer.AsSpan(0, length), hash);
            return Convert.ToHexStringLower(hash);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
