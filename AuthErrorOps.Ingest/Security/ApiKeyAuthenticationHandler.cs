using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace AuthErrorOps.Ingest.Security;

/// <summary>
/// <c>X-Api-Key</c> authentication against <c>Ingest:ApiKeys</c>. No key → 401, an unknown key →
/// 403, both as problem documents. Keys are compared in constant time, by their SHA-256.
/// </summary>
public sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> schemeOptions,
    ILoggerFactory loggerFactory,
    UrlEncoder encoder,
    IOptions<IngestOptions> ingestOptions,
    IProblemDetailsService problemDetails)
    : AuthenticationHandler<AuthenticationSchemeOptions>(schemeOptions, loggerFactory, encoder)
{
    public const string SchemeName = "ApiKey";
    public const string HeaderName = "X-Api-Key";

    private readonly byte[][] _keyHashes = ingestOptions.Value.ApiKeys
        .Where(key => !string.IsNullOrWhiteSpace(key))
        .Select(key => SHA256.HashData(Encoding.UTF8.GetBytes(key)))
        .ToArray();

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (!Request.Headers.TryGetValue(HeaderName, out var presented) || string.IsNullOrEmpty(presented.ToString()))
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }

        var presentedHash = SHA256.HashData(Encoding.UTF8.GetBytes(presented.ToString()));
        var index = Array.FindIndex(_keyHashes, hash => CryptographicOperations.FixedTimeEquals(hash, presentedHash));
        if (index < 0)
        {
            return Task.FromResult(AuthenticateResult.Fail("Unknown API key."));
        }

        // The key's position names the caller (for rate limiting and logs) without revealing the key.
        var identity = new ClaimsIdentity([new Claim(ClaimTypes.Name, $"api-key-{index + 1}")], SchemeName);
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName)));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        // With no keys configured nothing is accepted, so no presented key is "wrong": 401 says what to fix.
        var keyPresented = Request.Headers.ContainsKey(HeaderName) && !string.IsNullOrEmpty(Request.Headers[HeaderName].ToString());
        return keyPresented && _keyHashes.Length > 0
            ? WriteProblemAsync(StatusCodes.Status403Forbidden, "Invalid API key", $"The {HeaderName} header does not carry a key this service accepts.")
            : WriteProblemAsync(StatusCodes.Status401Unauthorized, "API key required",
                _keyHashes.Length == 0
                    ? "This service has no API keys configured (Ingest:ApiKeys), so it refuses writes."
                    : $"Send an API key in the {HeaderName} header.");
    }

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        WriteProblemAsync(StatusCodes.Status403Forbidden, "Forbidden", "This API key may not use this endpoint.");

    private async Task WriteProblemAsync(int status, string title, string detail)
    {
        Response.StatusCode = status;
        if (status == StatusCodes.Status401Unauthorized)
        {
            Response.Headers.WWWAuthenticate = SchemeName;
        }

        await problemDetails.WriteAsync(new ProblemDetailsContext
        {
            HttpContext = Context,
            ProblemDetails = { Status = status, Title = title, Detail = detail },
        });
    }
}
