using System.Net;

namespace AuthErrorOps.Ingest.Model;

/// <summary>Field-level validation of DESIGN §9; an empty result means the request can be stored.</summary>
public static class AuthErrorRequestValidator
{
    public static Dictionary<string, string[]> Validate(AuthErrorRequest request, DateTimeOffset now)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        void Fail(string field, string message) => errors[field] = [message];

        Required("requestId", request.RequestId, FieldLimits.RequestId);
        Required("exceptionClass", request.ExceptionClass, FieldLimits.ClassName);
        Required("stacktrace", request.Stacktrace, maxLength: null);

        if (request.RequestId is { } requestId && requestId.Any(char.IsControl))
        {
            Fail("requestId", "must not contain control characters.");
        }

        switch (request.OccurredAt)
        {
            case null:
                Fail("occurredAt", "is required (ISO-8601 date-time with offset).");
                break;
            case { } occurredAt when occurredAt > now + FieldLimits.MaxClockSkew:
                Fail("occurredAt", $"must not be more than {FieldLimits.MaxClockSkew.TotalMinutes:0} minutes in the future.");
                break;
            case { } occurredAt when occurredAt < FieldLimits.EarliestOccurredAt:
                Fail("occurredAt", $"must not be before {FieldLimits.EarliestOccurredAt:yyyy-MM-dd}.");
                break;
        }

        switch (request.HttpStatus)
        {
            case null:
                Fail("httpStatus", "is required.");
                break;
            case < 100 or > 599:
                Fail("httpStatus", "must be between 100 and 599.");
                break;
        }

        Optional("sourceService", request.SourceService, FieldLimits.SourceService);
        Optional("environment", request.Environment, FieldLimits.Environment);
        Optional("rootCauseClass", request.RootCauseClass, FieldLimits.ClassName);
        Optional("provider", request.Provider, FieldLimits.ShortText);
        Optional("clientType", request.ClientType, FieldLimits.ShortText);
        Optional("endpoint", request.Endpoint, FieldLimits.Endpoint);
        Optional("userAgent", request.UserAgent, FieldLimits.UserAgent);
        Optional("userId", request.UserId, FieldLimits.PrincipalOrIp);

        if (request.HttpMethod is { } method && (method.Length is 0 or > FieldLimits.HttpMethod || !method.All(IsTokenChar)))
        {
            Fail("httpMethod", $"must be an HTTP method token of at most {FieldLimits.HttpMethod} characters.");
        }

        if (request.ClientIp is { } ip && !IPAddress.TryParse(ip.Trim(), out _))
        {
            Fail("clientIp", "must be an IPv4 or IPv6 address.");
        }

        if (request.TraceId is { } traceId && (traceId.Length is 0 or > FieldLimits.TraceId || !traceId.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_')))
        {
            Fail("traceId", $"must be at most {FieldLimits.TraceId} letters, digits, '-' or '_'.");
        }

        if (request.Attributes is { } attributes)
        {
            if (System.Text.Encoding.UTF8.GetByteCount(attributes.ToJsonString()) > FieldLimits.AttributesBytes)
            {
                Fail("attributes", $"must be at most {FieldLimits.AttributesBytes / 1024} KiB of JSON.");
            }
            else if (!HasOnlyFiniteNumbers(attributes))
            {
                Fail("attributes", "numbers must be finite and within the range of a double (±1.7e308).");
            }
        }

        return errors;

        void Required(string field, string? value, int? maxLength)
        {
            if (IsBlank(value))
            {
                Fail(field, "is required and must not be blank.");
            }
            else if (value.Length > maxLength)
            {
                Fail(field, $"must be at most {maxLength} characters.");
            }
        }

        void Optional(string field, string? value, int maxLength)
        {
            if (value is not null && value.Length > maxLength)
            {
                Fail(field, $"must be at most {maxLength} characters.");
            }
        }
    }

    // NUL is dropped before storage (PostgreSQL refuses it), so it counts as blank here.
    private static bool IsBlank([System.Diagnostics.CodeAnalysis.NotNullWhen(false)] string? value) =>
        value is null || value.All(c => c == '\0' || char.IsWhiteSpace(c));

    // jsonb refuses numbers beyond its numeric range (1e999999 fails the insert).
    private static bool HasOnlyFiniteNumbers(System.Text.Json.Nodes.JsonNode? node) => node switch
    {
        System.Text.Json.Nodes.JsonObject obj => obj.All(pair => HasOnlyFiniteNumbers(pair.Value)),
        System.Text.Json.Nodes.JsonArray array => array.All(HasOnlyFiniteNumbers),
        System.Text.Json.Nodes.JsonValue value when value.GetValueKind() == System.Text.Json.JsonValueKind.Number =>
            double.TryParse(value.ToJsonString(), System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var number)
            && double.IsFinite(number),
        _ => true,
    };

    // RFC 9110 token characters.
    private static bool IsTokenChar(char c) => char.IsAsciiLetterOrDigit(c) || "!#$%&'*+-.^_`|~".Contains(c);
}
