using System.Collections.Frozen;

namespace AuthErrorOps.Core.Domain;

public enum Severity
{
    Low,
    Medium,
    High,
}

/// <summary>What the taxonomy says of one error type: how bad it is and whether it hints at an attack.</summary>
public sealed record AuthErrorCategory(string ErrorType, Severity Severity, bool SecuritySignal);

/// <summary>
/// The error types of DESIGN §4. Unknown or missing input maps to <c>UNKNOWN_AUTH_ERROR</c>:
/// a reporter's vocabulary must never make us drop an error.
/// </summary>
public static class AuthErrorTaxonomy
{
    public const string InvalidCredentials = "INVALID_CREDENTIALS";
    public const string TokenExpired = "TOKEN_EXPIRED";
    public const string TokenInvalidSignature = "TOKEN_INVALID_SIGNATURE";
    public const string AccountLocked = "ACCOUNT_LOCKED";
    public const string MfaFailed = "MFA_FAILED";
    public const string RateLimited = "RATE_LIMITED";
    public const string AuthProviderTimeout = "AUTH_PROVIDER_TIMEOUT";
    public const string AuthProvider5xx = "AUTH_PROVIDER_5XX";
    public const string Unknown = "UNKNOWN_AUTH_ERROR";

    // Signature failures, lockouts, MFA failures and throttling are what credential stuffing and
    // token forgery look like; provider outages are operational, not security, events.
    private static readonly FrozenDictionary<string, AuthErrorCategory> Categories = new AuthErrorCategory[]
    {
        new(InvalidCredentials, Severity.Low, SecuritySignal: true),
        new(TokenExpired, Severity.Low, SecuritySignal: false),
        new(TokenInvalidSignature, Severity.High, SecuritySignal: true),
        new(AccountLocked, Severity.Medium, SecuritySignal: true),
        new(MfaFailed, Severity.Medium, SecuritySignal: true),
        new(RateLimited, Severity.Medium, SecuritySignal: true),
        new(AuthProviderTimeout, Severity.High, SecuritySignal: false),
        new(AuthProvider5xx, Severity.High, SecuritySignal: false),
        new(Unknown, Severity.Medium, SecuritySignal: false),
    }.ToFrozenDictionary(category => category.ErrorType, StringComparer.Ordinal);

    public static IReadOnlyCollection<string> ErrorTypes => Categories.Keys;

    /// <summary>Category of a reported type, case- and separator-insensitive (<c>token-expired</c> → <c>TOKEN_EXPIRED</c>).</summary>
    public static AuthErrorCategory Categorize(string? reportedType)
    {
        if (string.IsNullOrWhiteSpace(reportedType) || reportedType.Length > 64)
        {
            return Categories[Unknown];
        }

        var canonical = reportedType.Trim().ToUpperInvariant().Replace('-', '_').Replace(' ', '_');
        return Categories.GetValueOrDefault(canonical) ?? Categories[Unknown];
    }

    public static string ToDatabase(this Severity severity) => severity switch
    {
        Severity.Low => "LOW",
        Severity.Medium => "MEDIUM",
        Severity.High => "HIGH",
        _ => throw new ArgumentOutOfRangeException(nameof(severity), severity, null),
    };
}
