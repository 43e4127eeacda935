namespace AuthErrorOps.Tests.Ingest;

/// <summary>Realistic reports; each call gets a fresh requestId unless one is given.</summary>
public static class AuthErrorSamples
{
    public const string DotNetStack = """
           at Acme.Auth.TokenValidator.Validate(String token) in /src/Acme.Auth/TokenValidator.cs:line 42
           at Acme.Auth.LoginService.<LoginAsync>d__7.MoveNext() in /src/Acme.Auth/LoginService.cs:line 88
        --- End of stack trace from previous location ---
           at Microsoft.AspNetCore.Mvc.Infrastructure.ActionMethodExecutor.TaskOfIActionResultExecutor.Execute(ActionContext context)
        """;

    public static Dictionary<string, object?> Valid(string? requestId = null, string? stack = null, string? userId = "alice@example.com", string? clientIp = "203.0.113.7") => new()
    {
        ["requestId"] = requestId ?? $"req-{Guid.NewGuid():N}",
        ["occurredAt"] = DateTimeOffset.UtcNow.AddMinutes(-1).ToString("O"),
        ["httpStatus"] = 401,
        ["exceptionClass"] = "Acme.Auth.InvalidTokenException",
        ["exceptionMessage"] = "token expired",
        ["errorType"] = "TOKEN_EXPIRED",
        ["stacktrace"] = stack ?? DotNetStack,
        ["sourceService"] = "login-api",
        ["environment"] = "prod",
        ["endpoint"] = "/oauth/token?grant_type=password",
        ["httpMethod"] = "POST",
        ["provider"] = "keycloak",
        ["clientType"] = "web",
        ["userAgent"] = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36",
        ["userId"] = userId,
        ["clientIp"] = clientIp,
        ["traceId"] = "4bf92f3577b34da6a3ce929d0e0e4736",
        ["attributes"] = new Dictionary<string, object?> { ["tenant"] = "acme", ["attempt"] = 3 },
    };
}
