using System.Globalization;
using System.Text.Json;

namespace AuthErrorOps.Bench.Infrastructure;

/// <summary>
/// Ingest request bodies of one run: request ids <c>bench-{run}-{n}</c>, and stack traces over a
/// fixed number of variants whose frames name the run, so each run has its own clusters.
/// </summary>
public sealed class AuthErrorBodies(string runId, int variants = 30)
{
    private static readonly string[] ErrorTypes = ["TOKEN_EXPIRED", "INVALID_CREDENTIALS", "TOKEN_INVALID_SIGNATURE", "MFA_FAILED", "ACCOUNT_LOCKED"];

    public string RunId { get; } = runId;

    public int Variants { get; } = variants;

    public static string NewRunId() => Guid.NewGuid().ToString("N")[..8];

    public string RequestIdPrefix => $"bench-{RunId}-";

    public string RequestId(long n) => RequestIdPrefix + n.ToString(CultureInfo.InvariantCulture);

    public Dictionary<string, object?> Report(long n)
    {
        var variant = n % Variants;
        return new Dictionary<string, object?>
        {
            ["requestId"] = RequestId(n),
            ["occurredAt"] = DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture),
            ["httpStatus"] = 401,
            ["exceptionClass"] = "Acme.Auth.InvalidTokenException",
            ["exceptionMessage"] = $"token expired for user{n % 1000}@example.com at 2026-12-02T10:00:00Z",
            ["errorType"] = ErrorTypes[variant % ErrorTypes.Length],
            ["stacktrace"] = StackTrace(variant),
            ["sourceService"] = "login-api",
            ["environment"] = "prod",
            ["endpoint"] = "/oauth/token",
            ["httpMethod"] = "POST",
            ["provider"] = "keycloak",
            ["clientType"] = "web",
            ["userAgent"] = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36",
            ["userId"] = $"user{n % 1000}@example.com",
            ["clientIp"] = $"203.0.113.{n % 250}",
            ["traceId"] = "4bf92f3577b34da6a3ce929d0e0e4736",
        };
    }

    public byte[] Single(long n) => JsonSerializer.SerializeToUtf8Bytes(Report(n));

    public byte[] Batch(long first, int count) =>
        JsonSerializer.SerializeToUtf8Bytes(new { items = Enumerable.Range(0, count).Select(i => Report(first + i)).ToList() });

    /// <summary>A ten-frame .NET trace; the variant and the run are in the type names, so they are in the fingerprint.</summary>
    public string StackTrace(long variant) => string.Join('\n',
        $"   at Acme.Bench{RunId}.Variant{variant}.TokenValidator.Validate(String token) in /src/Acme.Auth/TokenValidator.cs:line 42",
        $"   at Acme.Bench{RunId}.Variant{variant}.LoginService.<LoginAsync>d__7.MoveNext() in /src/Acme.Auth/LoginService.cs:line 88",
        "--- End of stack trace from previous location ---",
        "   at Acme.Auth.Api.LoginController.Token(TokenRequest request) in /src/Acme.Auth.Api/LoginController.cs:line 31",
        "   at Microsoft.AspNetCore.Mvc.Infrastructure.ActionMethodExecutor.TaskOfIActionResultExecutor.Execute(ActionContext context)",
        "   at Microsoft.AspNetCore.Mvc.Infrastructure.ControllerActionInvoker.InvokeActionMethodAsync()",
        "   at Microsoft.AspNetCore.Mvc.Infrastructure.ControllerActionInvoker.InvokeNextActionFilterAsync()",
        "   at Microsoft.AspNetCore.Routing.EndpointMiddleware.Invoke(HttpContext httpContext)",
        "   at Microsoft.AspNetCore.Authentication.AuthenticationMiddleware.Invoke(HttpContext context)",
        "   at Microsoft.AspNetCore.Server.Kestrel.Core.Internal.Http.HttpProtocol.ProcessRequests[TContext](IHttpApplication`1 application)");
}
