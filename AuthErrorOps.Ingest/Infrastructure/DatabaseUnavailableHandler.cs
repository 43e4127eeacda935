using Microsoft.AspNetCore.Diagnostics;
using Npgsql;

namespace AuthErrorOps.Ingest.Infrastructure;

/// <summary>A database outage is the server's problem, not the client's: 503 with Retry-After, so clients retry.</summary>
internal sealed partial class DatabaseUnavailableHandler(IProblemDetailsService problemDetails, ILogger<DatabaseUnavailableHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is not (NpgsqlException { IsTransient: true } or TimeoutException))
        {
            return false;
        }

        LogDatabaseUnavailable(logger, exception.GetType().Name, exception.Message);
        httpContext.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        httpContext.Response.Headers.RetryAfter = "1";
        return await problemDetails.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            Exception = exception,
            ProblemDetails = { Status = StatusCodes.Status503ServiceUnavailable, Title = "Database unavailable", Detail = "Nothing was stored; retry later with the same requestId." },
        });
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Request failed because the database is unavailable ({ExceptionType}): {Reason}")]
    private static partial void LogDatabaseUnavailable(ILogger logger, string exceptionType, string reason);
}
