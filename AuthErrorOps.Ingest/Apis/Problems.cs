using Microsoft.AspNetCore.Http.HttpResults;

namespace AuthErrorOps.Ingest.Apis;

/// <summary>The RFC 9457 problem documents the API answers with; titles are stable, details specific.</summary>
internal static class Problems
{
    public static ProblemHttpResult UnsupportedMediaType(string? contentType) => TypedResults.Problem(
        statusCode: StatusCodes.Status415UnsupportedMediaType,
        title: "Unsupported media type",
        detail: $"The body must be application/json (UTF-8); got '{contentType ?? "none"}'.");

    public static ProblemHttpResult TooLarge(long limit) => TypedResults.Problem(
        statusCode: StatusCodes.Status413PayloadTooLarge,
        title: "Request body too large",
        detail: $"The body must be at most {limit / 1024} KiB.");

    public static ProblemHttpResult MalformedJson(string? path, string message) => TypedResults.Problem(
        statusCode: StatusCodes.Status400BadRequest,
        title: "Malformed JSON",
        detail: "The body is not valid JSON of the expected shape.",
        extensions: new Dictionary<string, object?> { ["errors"] = JsonErrors(path, message) });

    public static Dictionary<string, string[]> JsonErrors(string? path, string message) =>
        new(StringComparer.Ordinal) { [FieldName(path)] = [FirstSentence(message)] };

    public static ProblemHttpResult Invalid(IDictionary<string, string[]> errors) => TypedResults.Problem(
        statusCode: StatusCodes.Status422UnprocessableEntity,
        title: "One or more fields are invalid",
        detail: "See 'errors' for each invalid field.",
        extensions: new Dictionary<string, object?> { ["errors"] = errors });

    public static ProblemHttpResult InvalidQuery(IDictionary<string, string[]> errors) => TypedResults.Problem(
        statusCode: StatusCodes.Status400BadRequest,
        title: "One or more query parameters are invalid",
        detail: "See 'errors' for each invalid parameter.",
        extensions: new Dictionary<string, object?> { ["errors"] = errors });

    public static ProblemHttpResult Conflict(string requestId) => TypedResults.Problem(
        statusCode: StatusCodes.Status409Conflict,
        title: "requestId already used for a different report",
        detail: $"A report with requestId '{requestId}' and a different body was already recorded. Use a new requestId for a new report.");

    public static ProblemHttpResult NotFound(string detail) => TypedResults.Problem(
        statusCode: StatusCodes.Status404NotFound, title: "Not found", detail: detail);

    /// <summary><c>$.items[3].httpStatus</c> → <c>items[3].httpStatus</c>; the whole body → <c>$</c>.</summary>
    public static string FieldName(string? path) =>
        string.IsNullOrEmpty(path) || path == "$" ? "$" : path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : path;

    // System.Text.Json appends path and position details the field name already carries.
    private static string FirstSentence(string message)
    {
        var end = message.IndexOf(". ", StringComparison.Ordinal);
        return end < 0 ? message : message[..(end + 1)];
    }
}
