using System.Buffers;
using System.Globalization;
using System.Text.Json;

namespace AuthErrorOps.Bench.Infrastructure;

/// <summary>
/// Ingest request bodies of one run: request ids <c>bench-{run}-{n}</c>, and stack traces over a
/// fixed number of variants whose frames name the run, so each run has its own clusters.
/// </summary>
/// <remarks>
/// The client shares the cores with what it measures, so a body is written straight to UTF-8 into a buffer
/// of its final size, with each variant's stack trace escaped once per run: the client's CPU per event at
/// 3,000 events/s fell from 0.039–0.042 ms (a dictionary serialised per report) to 0.032–0.036 ms (docs/performance.md).
/// </remarks>
public sealed class AuthErrorBodies
{
    private static readonly string[] ErrorTypes = ["TOKEN_EXPIRED", "INVALID_CREDENTIALS", "TOKEN_INVALID_SIGNATURE", "MFA_FAILED", "ACCOUNT_LOCKED"];

    private readonly JsonEncodedText[] _stackTraces;

    public AuthErrorBodies(string runId, int variants = 30)
    {
        RunId = runId;
        Variants = variants;
        _stackTraces = [.. Enumerable.Range(0, variants).Select(variant => JsonEncodedText.Encode(StackTrace(variant)))];
    }

    public string RunId { get; }

    public int Variants { get; }

    public static string NewRunId() => Guid.NewGuid().ToString("N")[..8];

    public string RequestIdPrefix => $"bench-{RunId}-";

    public string RequestId(long n) => RequestIdPrefix + n.ToString(CultureInfo.InvariantCulture);

    public byte[] Single(long n) => Write(1, writer => WriteReport(writer, n, DateTimeOffset.UtcNow));

    public byte[] Batch(long first, int count) => Write(count, writer =>
    {
        var now = DateTimeOffset.UtcNow;
        writer.WriteStartObject();
        writer.WriteStartArray("items");
        for (var n = first; n < first + count; n++)
        {
            WriteReport(writer, n, now);
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
    });

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

    private static byte[] Write(int reports, Action<Utf8JsonWriter> write)
    {
        // Room for the whole body at once (a report is ~1.6 KB): growing the buffer step by step zeroed four times as much memory.
        var buffer = new ArrayBufferWriter<byte>(64 + (reports * 2048));
        using (var writer = new Utf8JsonWriter(buffer))
        {
            write(writer);
        }

        return buffer.WrittenSpan.ToArray();
    }

    private void WriteReport(Utf8JsonWriter writer, long n, DateTimeOffset occurredAt)
    {
        var variant = (int)(n % Variants);
        var user = $"user{n % 1000}@example.com";
        writer.WriteStartObject();
        writer.WriteString("requestId", RequestId(n));
        writer.WriteString("occurredAt", occurredAt);
        writer.WriteNumber("httpStatus", 401);
        writer.WriteString("exceptionClass", "Acme.Auth.InvalidTokenException");
        writer.WriteString("exceptionMessage", $"token expired for {user} at 2026-12-02T10:00:00Z");
        writer.WriteString("errorType", ErrorTypes[variant % ErrorTypes.Length]);
        writer.WriteString("stacktrace", _stackTraces[variant]);
        writer.WriteString("sourceService", "login-api");
        writer.WriteString("environment", "prod");
        writer.WriteString("endpoint", "/oauth/token");
        writer.WriteString("httpMethod", "POST");
        writer.WriteString("provider", "keycloak");
        writer.WriteString("clientType", "web");
        writer.WriteString("userAgent", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36");
        writer.WriteString("userId", user);
        writer.WriteString("clientIp", $"203.0.113.{n % 250}");
        writer.WriteString("traceId", "4bf92f3577b34da6a3ce929d0e0e4736");
        writer.WriteEndObject();
    }
}
