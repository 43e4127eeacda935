using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using AuthErrorOps.Tests.Infrastructure;
using Dapper;
using Xunit;

namespace AuthErrorOps.Tests.Ingest;

/// <summary>
/// DESIGN §9: bad input is answered with 400/413/415/422 and a problem document, writes
/// nothing and never causes a 5xx; hostile but valid input is stored exactly as sent.
/// </summary>
public sealed class IngestBadInputTests(InfrastructureFixture infrastructure) : IAsyncLifetime
{
    private const string Single = "/api/auth-errors";
    private const string Batch = "/api/auth-errors/batch";
    private const string JsonType = "application/json";
    private const int BodyLimit = 64 * 1024;

    private IngestHost _host = null!;

    public async ValueTask InitializeAsync() => _host = await IngestHost.StartAsync(infrastructure, nameof(IngestBadInputTests));

    public ValueTask DisposeAsync() => _host.DisposeAsync();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>name, path, content type (null: none), body, expected status, expected key of <c>errors</c> (null: none checked).</summary>
    public static TheoryData<string, string, string?, byte[], int, string?> BadInputs()
    {
        var data = new TheoryData<string, string, string?, byte[], int, string?>();
        void Case(string name, byte[] body, int status, string? field, string path = Single, string? contentType = JsonType) =>
            data.Add(name, path, contentType, body, status, field);
        void Invalid(string name, Action<JsonObject> mutate, string field) => Case(name, With(mutate), 422, field);
        void WrongType(string name, string property, string jsonValue) => Case(name, With(o => o[property] = JsonNode.Parse(jsonValue)), 400, property);
        void Malformed(string name, string text, string? field) => Case(name, Utf8(text), 400, field);

        // Required fields missing, null or blank → 422 naming the field.
        foreach (var field in new[] { "requestId", "occurredAt", "httpStatus", "exceptionClass", "stacktrace" })
        {
            Invalid($"{field} missing", o => o.Remove(field), field);
            Invalid($"{field} null", o => o[field] = null, field);
        }

        Invalid("every field missing ({})", o => o.Clear(), "requestId");
        Invalid("requestId empty", o => o["requestId"] = "", "requestId");
        Invalid("requestId blank", o => o["requestId"] = "   ", "requestId");
        Invalid("requestId with a NUL control character", o => o["requestId"] = "req\u0000id", "requestId");
        Invalid("requestId with a newline", o => o["requestId"] = "req\nid", "requestId");
        Invalid("exceptionClass empty", o => o["exceptionClass"] = "", "exceptionClass");
        Invalid("exceptionClass blank (tab, newline)", o => o["exceptionClass"] = "\t \n", "exceptionClass");
        Invalid("stacktrace empty", o => o["stacktrace"] = "", "stacktrace");
        Invalid("stacktrace blank (CRLF)", o => o["stacktrace"] = "  \r\n  ", "stacktrace");

        // Oversized fields → 422 naming the field.
        Invalid("requestId 129 chars", o => o["requestId"] = new string('r', 129), "requestId");
        Invalid("exceptionClass 501 chars", o => o["exceptionClass"] = new string('E', 501), "exceptionClass");
        Invalid("sourceService 201 chars", o => o["sourceService"] = new string('s', 201), "sourceService");
        Invalid("environment 101 chars", o => o["environment"] = new string('e', 101), "environment");
        Invalid("endpoint 2001 chars", o => o["endpoint"] = "/" + new string('p', 2000), "endpoint");
        Invalid("httpMethod 17 chars", o => o["httpMethod"] = new string('M', 17), "httpMethod");
        Invalid("httpMethod with a space", o => o["httpMethod"] = "GET POST", "httpMethod");
        Invalid("httpMethod empty", o => o["httpMethod"] = "", "httpMethod");
        Invalid("userId 513 chars", o => o["userId"] = new string('u', 513), "userId");
        Invalid("rootCauseClass 501 chars", o => o["rootCauseClass"] = new string('R', 501), "rootCauseClass");
        Invalid("provider 101 chars", o => o["provider"] = new string('p', 101), "provider");
        Invalid("clientType 101 chars", o => o["clientType"] = new string('c', 101), "clientType");
        Invalid("userAgent 1001 chars", o => o["userAgent"] = new string('a', 1001), "userAgent");
        Invalid("traceId with invalid characters", o => o["traceId"] = "4bf92f35/77b3'4da6;--", "traceId");
        Invalid("traceId 65 chars", o => o["traceId"] = new string('a', 65), "traceId");
        Invalid("traceId empty", o => o["traceId"] = "", "traceId");
        Invalid("attributes over 16 KiB", o => o["attributes"] = new JsonObject { ["big"] = new string('x', (16 * 1024) + 1) }, "attributes");

        // Out-of-range values → 422.
        Invalid("httpStatus 99", o => o["httpStatus"] = 99, "httpStatus");
        Invalid("httpStatus 600", o => o["httpStatus"] = 600, "httpStatus");
        Invalid("httpStatus negative", o => o["httpStatus"] = -401, "httpStatus");
        Invalid("occurredAt 10 minutes in the future", o => o["occurredAt"] = DateTimeOffset.UtcNow.AddMinutes(10).ToString("O"), "occurredAt");
        Invalid("occurredAt in 1999", o => o["occurredAt"] = "1999-12-31T23:59:59Z", "occurredAt");
        Invalid("occurredAt year 1 (far past)", o => o["occurredAt"] = "0001-01-01T00:00:00Z", "occurredAt");
        Invalid("clientIp not-an-ip", o => o["clientIp"] = "not-an-ip", "clientIp");
        Invalid("clientIp 999.1.1.1", o => o["clientIp"] = "999.1.1.1", "clientIp");
        Invalid("clientIp empty", o => o["clientIp"] = "", "clientIp");
        Invalid("exceptionClass only NUL (blank once stored)", o => o["exceptionClass"] = "\u0000", "exceptionClass");
        Invalid("stacktrace only NULs and spaces (blank once stored)", o => o["stacktrace"] = " \u0000\u0000 ", "stacktrace");
        Invalid("attributes number beyond PostgreSQL numeric (1e999999)", o => o["attributes"] = JsonNode.Parse("{\"n\":1e999999}"), "attributes");

        // Wrong JSON types → 400 naming the field.
        WrongType("httpStatus as string \"401\"", "httpStatus", "\"401\"");
        WrongType("httpStatus as 401.5", "httpStatus", "401.5");
        WrongType("httpStatus as true", "httpStatus", "true");
        WrongType("httpStatus as 4.01e2", "httpStatus", "4.01e2");
        WrongType("httpStatus beyond int (2147483648)", "httpStatus", "2147483648");
        WrongType("httpStatus as object", "httpStatus", "{\"code\":401}");
        WrongType("occurredAt as number", "occurredAt", "1764000000");
        WrongType("occurredAt as \"yesterday\"", "occurredAt", "\"yesterday\"");
        WrongType("occurredAt as 30 February", "occurredAt", "\"2026-02-30T06:00:00Z\"");
        WrongType("requestId as number", "requestId", "12345");
        WrongType("requestId as array", "requestId", "[\"a\"]");
        WrongType("attributes as array", "attributes", "[1,2,3]");
        WrongType("attributes as string", "attributes", "\"tenant=acme\"");
        WrongType("stacktrace as object", "stacktrace", "{\"frames\":[]}");
        WrongType("exceptionClass as array", "exceptionClass", "[\"Acme.Auth.InvalidTokenException\"]");
        WrongType("clientIp as number", "clientIp", "3232235777");
        WrongType("occurredAt before year 1 in UTC", "occurredAt", "\"0001-01-01T00:00:00+01:00\"");
        WrongType("occurredAt after year 9999 in UTC", "occurredAt", "\"9999-12-31T23:59:59-01:00\"");

        // Not JSON, or not one JSON object → 400.
        var valid = Text(Base());
        Malformed("truncated JSON (after a value)", "{\"requestId\":\"req-1\",\"httpStatus\":401", "httpStatus");
        Malformed("truncated JSON (inside a string)", "{\"requestId\":\"req-1\",\"exceptionClass\":\"Acme.Au", "exceptionClass");
        Malformed("trailing garbage", valid + " x", "$");
        Malformed("a second object after the first", valid + valid, "$");
        Malformed("single-quoted strings", valid.Replace('"', '\''), "$");
        Malformed("empty body", "", "$");
        Malformed("whitespace-only body", "  \r\n ", "$");
        Malformed("null", "null", "$");
        Malformed("JSON array instead of object", "[" + valid + "]", "$");
        Malformed("JSON string instead of object", "\"req-1\"", "$");
        Malformed("JSON number instead of object", "401", "$");
        Malformed("duplicate property requestId", "{\"requestId\":\"a\"," + valid[1..], "requestId");
        Malformed("trailing comma", valid[..^1] + ",}", "$");
        Malformed("comment in JSON", "/* hi */" + valid, "$");
        Malformed("unquoted property names", "{requestId:\"a\"}", "$");
        Malformed("duplicate key inside attributes", "{\"requestId\":\"a\",\"attributes\":{\"k\":1,\"k\":2}}", null);
        Malformed("lone surrogate escape in exceptionMessage", "{\"requestId\":\"a\",\"exceptionMessage\":\"bad \\ud800 text\"}", "exceptionMessage");
        Malformed("lone surrogate escape in an attributes value", "{\"requestId\":\"a\",\"attributes\":{\"k\":\"bad \\udc00\"}}", "attributes");
        Malformed("NaN as httpStatus", "{\"requestId\":\"a\",\"httpStatus\":NaN}", "httpStatus");
        Malformed("attributes nested 200 deep", "{\"requestId\":\"a\",\"attributes\":" + string.Concat(Enumerable.Repeat("{\"a\":", 200)) + "1" + new string('}', 200) + "}", "attributes");

        // Not UTF-8 → 400.
        Case("invalid UTF-8: 0xFF in exceptionMessage", Spliced(valid, "token expired", [0x74, 0xFF, 0x6B]), 400, "exceptionMessage");
        Case("invalid UTF-8: overlong '/' (C0 AF) in sourceService", Spliced(valid, "login-api", [0x61, 0xC0, 0xAF, 0x62]), 400, "sourceService");
        Case("invalid UTF-8: lone continuation byte 0x80", Spliced(valid, "keycloak", [0x6B, 0x80]), 400, "provider");
        Case("invalid UTF-8: truncated 3-byte sequence", Spliced(valid, "prod", [0x70, 0xE2, 0x82]), 400, "environment");
        Case("invalid UTF-8: encoded surrogate (ED A0 80)", Spliced(valid, "web", [0xED, 0xA0, 0x80]), 400, "clientType");
        Case("UTF-16LE body labelled UTF-8", Encoding.Unicode.GetBytes(valid), 400, "$");

        // Too large → 413, however the excess is carried.
        Case("body 64 KiB + 1 byte (whitespace padding)", Utf8(valid.PadRight(BodyLimit + 1)), 413, null);
        Case("body 64 KiB + 1 byte (long exceptionMessage)", Padded(With(o => o["exceptionMessage"] = ""), "exceptionMessage", BodyLimit + 1), 413, null);
        Case("body 1 MiB", With(o => o["stacktrace"] = new string('s', 1024 * 1024)), 413, null);

        // Not application/json in UTF-8 → 415.
        var body = Utf8(valid);
        Case("content type text/plain", body, 415, null, contentType: "text/plain");
        Case("content type application/xml", body, 415, null, contentType: "application/xml");
        Case("content type missing", body, 415, null, contentType: null);
        Case("content type application/json; charset=utf-16", body, 415, null, contentType: "application/json; charset=utf-16");
        Case("content type application/json; charset=iso-8859-1", body, 415, null, contentType: "application/json; charset=iso-8859-1");
        Case("content type form-urlencoded", body, 415, null, contentType: "application/x-www-form-urlencoded");
        Case("content type multipart/form-data", body, 415, null, contentType: "multipart/form-data; boundary=xyz");
        Case("content type application/jsonp", body, 415, null, contentType: "application/jsonp");

        // The batch endpoint: the envelope itself is bad.
        Case("batch: items missing", Utf8("{}"), 422, "items", Batch);
        Case("batch: items null", Utf8("{\"items\":null}"), 422, "items", Batch);
        Case("batch: items empty", Utf8("{\"items\":[]}"), 422, "items", Batch);
        Case("batch: items an object", Utf8("{\"items\":" + valid + "}"), 400, "items", Batch);
        Case("batch: items a string", Utf8("{\"items\":\"all\"}"), 400, "items", Batch);
        Case("batch: body an array of items", Utf8("[" + valid + "]"), 400, "$", Batch);
        Case("batch: truncated JSON", Utf8("{\"items\":[" + valid), 400, null, Batch);
        Case("batch: empty body", [], 400, "$", Batch);
        Case("batch: content type text/plain", Utf8("{\"items\":[" + valid + "]}"), 415, null, Batch, "text/plain");
        Case("batch: content type missing", Utf8("{\"items\":[" + valid + "]}"), 415, null, Batch, null);
        return data;
    }

    [Theory]
    [MemberData(nameof(BadInputs))]
    public async Task Bad_input_is_a_problem_response_and_writes_nothing(
        string name, string path, string? contentType, byte[] body, int expectedStatus, string? expectedErrorField)
    {
        var (errorsBefore, outboxBefore) = await CountsAsync();

        using var response = await _host.CreateClient().PostAsync(path, Content(contentType, body), Ct);

        var text = await response.Content.ReadAsStringAsync(Ct);
        var counts = await CountsAsync();
        Assert.True((int)response.StatusCode < 500,
            $"{name}: server error {(int)response.StatusCode}: {text}; rows {(errorsBefore, outboxBefore)} → {counts}; {LastServerError()}");
        Assert.True((int)response.StatusCode == expectedStatus, $"{name}: expected {expectedStatus}, got {(int)response.StatusCode}: {text}");
        AssertProblem(name, response, text, expectedStatus, expectedErrorField);
        Assert.Equal((errorsBefore, outboxBefore), counts);
    }

    /// <summary>name, JSON object whose members replace the sample's, padding to this many bytes (0: none), stored column, its expected value.</summary>
    public static TheoryData<string, string, int, string, string> HostileButValidInputs() => new()
    {
        { "SQL injection in requestId", """{"requestId":"'; DROP TABLE auth_error; --"}""", 0, "request_id", "'; DROP TABLE auth_error; --" },
        { "SQL tautology in requestId", """{"requestId":"1' OR '1'='1"}""", 0, "request_id", "1' OR '1'='1" },
        { "SQL injection in exceptionClass", """{"exceptionClass":"\"); DELETE FROM outbox_message; --"}""", 0, "exception_class", "\"); DELETE FROM outbox_message; --" },
        { "script tag in exceptionMessage", """{"exceptionMessage":"<script>alert(1)</script>"}""", 0, "exception_message", "<script>alert(1)</script>" },
        { "unknown errorType NOPE", """{"errorType":"NOPE"}""", 0, "error_type", "UNKNOWN_AUTH_ERROR" },
        { "unicode requestId (CJK, emoji, RTL)", """{"requestId":"请求-🔐-ñ-\u202Eabc"}""", 0, "request_id", "请求-🔐-ñ-\u202Eabc" },
        { "requestId exactly 128 chars", $$"""{"requestId":"{{new string('q', 128)}}"}""", 0, "request_id", new string('q', 128) },
        { "httpStatus 100 (lower bound)", """{"httpStatus":100}""", 0, "http_status", "100" },
        { "httpStatus 599 (upper bound)", """{"httpStatus":599}""", 0, "http_status", "599" },
        { "NUL escape in exceptionMessage", """{"exceptionMessage":"a\u0000b"}""", 0, "exception_message", "ab" },
        { "body exactly 64 KiB", """{"errorType":"RATE_LIMITED"}""", BodyLimit, "error_type", "RATE_LIMITED" },
    };

    [Theory]
    [MemberData(nameof(HostileButValidInputs))]
    public async Task Hostile_but_valid_input_is_stored_exactly_once(string name, string overrides, int padTo, string column, string expectedStored)
    {
        // Spliced as text, so every escape reaches the server exactly as written here.
        var body = Base();
        foreach (var member in JsonDocument.Parse(overrides).RootElement.EnumerateObject())
        {
            body.Remove(member.Name);
        }

        var json = Text(body)[..^1] + "," + overrides[1..];
        var bytes = Utf8(padTo > 0 ? json.PadRight(padTo) : json);
        Assert.True(padTo == 0 || bytes.Length == padTo, $"{name}: padding");
        var (errorsBefore, outboxBefore) = await CountsAsync();

        using var response = await _host.CreateClient().PostAsync(Single, Content(JsonType, bytes), Ct);

        var text = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"{name}: expected 202, got {(int)response.StatusCode}: {text}; {LastServerError()}");
        var authErrorId = JsonDocument.Parse(text).RootElement.GetProperty("authErrorId").GetInt64();
        Assert.Equal((errorsBefore + 1, outboxBefore + 1), await CountsAsync());
        await using var connection = await _host.DataSource.OpenConnectionAsync(Ct);
        var sql = column switch
        {
            "request_id" => "SELECT request_id FROM auth_error WHERE id = @authErrorId",
            "exception_class" => "SELECT exception_class FROM auth_error WHERE id = @authErrorId",
            "exception_message" => "SELECT exception_message FROM auth_error WHERE id = @authErrorId",
            "error_type" => "SELECT error_type FROM auth_error WHERE id = @authErrorId",
            "http_status" => "SELECT http_status::text FROM auth_error WHERE id = @authErrorId",
            _ => throw new ArgumentOutOfRangeException(nameof(column), column, null),
        };
        Assert.Equal(expectedStored, await connection.ExecuteScalarAsync<string>(sql, new { authErrorId }));
        Assert.True(await connection.ExecuteScalarAsync<bool>("SELECT to_regclass('auth_error') IS NOT NULL AND to_regclass('outbox_message') IS NOT NULL"));
    }

    [Fact]
    public async Task A_body_over_64_KiB_without_content_length_is_413_and_writes_nothing()
    {
        var (errorsBefore, outboxBefore) = await CountsAsync();
        var body = Utf8(Text(Base()).PadRight(BodyLimit + 4096));
        using var content = new StreamContent(new UnseekableStream(body));
        content.Headers.ContentType = new MediaTypeHeaderValue(JsonType);

        using var response = await _host.CreateClient().PostAsync(Single, content, Ct);

        var text = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.StatusCode == HttpStatusCode.RequestEntityTooLarge, $"expected 413, got {(int)response.StatusCode}: {text}");
        AssertProblem("chunked 68 KiB", response, text, 413, null);
        Assert.Equal((errorsBefore, outboxBefore), await CountsAsync());
    }

    [Fact]
    public async Task A_batch_beyond_MaxBatchSize_or_its_body_limit_is_rejected_and_writes_nothing()
    {
        await using var host = await IngestHost.StartAsync(infrastructure, nameof(IngestBadInputTests) + "Batch",
            new Dictionary<string, string?> { ["Ingest:MaxBatchSize"] = "3" });
        var client = host.CreateClient();
        static byte[] Items(IEnumerable<JsonObject> items) => Utf8(new JsonObject { ["items"] = new JsonArray([.. items]) }.ToJsonString());

        using (var tooMany = await client.PostAsync(Batch, Content(JsonType, Items(Enumerable.Range(0, 4).Select(_ => Base()))), Ct))
        {
            var text = await tooMany.Content.ReadAsStringAsync(Ct);
            Assert.True(tooMany.StatusCode == HttpStatusCode.UnprocessableEntity, $"4 items for MaxBatchSize 3: {(int)tooMany.StatusCode}: {text}");
            AssertProblem("4 items for MaxBatchSize 3", tooMany, text, 422, "items");
        }

        // The body limit scales with MaxBatchSize: 3 × 32 KiB = 96 KiB.
        var oversized = Base();
        oversized["exceptionMessage"] = new string('m', 100 * 1024);
        using (var tooLarge = await client.PostAsync(Batch, Content(JsonType, Items([oversized])), Ct))
        {
            var text = await tooLarge.Content.ReadAsStringAsync(Ct);
            Assert.True(tooLarge.StatusCode == HttpStatusCode.RequestEntityTooLarge, $"100 KiB batch: {(int)tooLarge.StatusCode}: {text}");
            AssertProblem("100 KiB batch", tooLarge, text, 413, null);
        }

        // Within the limits, every item bad: 200 with a result per item, and still nothing written.
        var missingRequestId = Base();
        missingRequestId.Remove("requestId");
        var wrongType = Base();
        wrongType["httpStatus"] = "401";
        using (var allInvalid = await client.PostAsync(Batch, Content(JsonType, Utf8($$"""{"items":[{{Text(missingRequestId)}},{{Text(wrongType)}},42]}""")), Ct))
        {
            var text = await allInvalid.Content.ReadAsStringAsync(Ct);
            Assert.True(allInvalid.StatusCode == HttpStatusCode.OK, $"all-invalid batch: {(int)allInvalid.StatusCode}: {text}");
            var results = JsonDocument.Parse(text).RootElement.GetProperty("results").EnumerateArray().ToArray();
            Assert.Equal([0, 1, 2], results.Select(r => r.GetProperty("index").GetInt32()));
            Assert.All(results, r => Assert.Equal("invalid", r.GetProperty("status").GetString()));
            Assert.True(results[0].GetProperty("errors").TryGetProperty("requestId", out _), text);
            Assert.True(results[1].GetProperty("errors").TryGetProperty("httpStatus", out _), text);
        }

        // Items that are bad in ways only the parser or the database notices: refused per item (200) or as a whole, never 5xx.
        var withoutAttributes = Base();
        withoutAttributes.Remove("attributes");
        var duplicateKey = Text(withoutAttributes)[..^1] + ",\"attributes\":{\"k\":1,\"k\":2}}";
        var hugeNumber = Base();
        hugeNumber["attributes"] = JsonNode.Parse("{\"n\":1e999999}");
        var nulClass = Base();
        nulClass["exceptionClass"] = "\u0000";
        var notUtf8 = Spliced($$"""{"items":[{{Text(Base())}}]}""", "token expired", [0x74, 0xFF, 0x6B]);
        string?[] failures =
        [
            await BatchRefusalFailureAsync(client, "item with invalid UTF-8", notUtf8, "exceptionMessage"),
            await BatchRefusalFailureAsync(client, "item with a duplicate attributes key", Utf8($$"""{"items":[{{duplicateKey}}]}"""), null),
            await BatchRefusalFailureAsync(client, "item with attributes number 1e999999", Items([hugeNumber]), "attributes"),
            await BatchRefusalFailureAsync(client, "item with exceptionClass only NUL", Items([nulClass]), "exceptionClass"),
        ];
        Assert.True(failures.All(f => f is null), string.Join(Environment.NewLine, failures.OfType<string>()));

        Assert.Equal(0, await host.CountAsync("auth_error"));
        Assert.Equal(0, await host.CountAsync("outbox_message"));
    }

    /// <summary>
    /// A batch whose single item is bad must be answered with 200 and that item invalid, or with a 400/422
    /// problem; never 5xx. Returns what was wrong, so one run reports every such case.
    /// </summary>
    private static async Task<string?> BatchRefusalFailureAsync(HttpClient client, string name, byte[] body, string? expectedErrorField)
    {
        using var response = await client.PostAsync(Batch, Content(JsonType, body), Ct);
        var text = await response.Content.ReadAsStringAsync(Ct);
        var refused = response.StatusCode switch
        {
            HttpStatusCode.OK => JsonDocument.Parse(text).RootElement.GetProperty("results").EnumerateArray().ToArray() is [var result]
                && result.GetProperty("status").GetString() == "invalid"
                && result.GetProperty("errors") is { ValueKind: JsonValueKind.Object } errors
                && (expectedErrorField is null || errors.TryGetProperty(expectedErrorField, out _)),
            HttpStatusCode.BadRequest or HttpStatusCode.UnprocessableEntity =>
                response.Content.Headers.ContentType?.MediaType == "application/problem+json" && text.Contains("\"errors\"", StringComparison.Ordinal),
            _ => false,
        };
        return refused ? null : $"batch {name} (expected item invalid with '{expectedErrorField}'): {(int)response.StatusCode}: {text}";
    }

    private static void AssertProblem(string name, HttpResponseMessage response, string text, int expectedStatus, string? expectedErrorField)
    {
        Assert.True(response.Content.Headers.ContentType?.MediaType == "application/problem+json",
            $"{name}: Content-Type {response.Content.Headers.ContentType}: {text}");
        var problem = JsonDocument.Parse(text).RootElement;
        Assert.True(problem.TryGetProperty("status", out var status) && status.GetInt32() == expectedStatus, $"{name}: problem status: {text}");
        Assert.True(problem.TryGetProperty("title", out var title) && !string.IsNullOrWhiteSpace(title.GetString()), $"{name}: problem title: {text}");
        if (expectedStatus is 400 or 422)
        {
            Assert.True(problem.TryGetProperty("errors", out var errors) && errors.ValueKind == JsonValueKind.Object, $"{name}: no errors object: {text}");
            Assert.True(expectedErrorField is null || errors.TryGetProperty(expectedErrorField, out _), $"{name}: errors lacks '{expectedErrorField}': {text}");
        }
    }

    private string LastServerError()
    {
        var error = _host.Logs.Lines.LastOrDefault(line => line.StartsWith("Error ", StringComparison.Ordinal) || line.StartsWith("Critical ", StringComparison.Ordinal));
        return error is null ? "no server error logged" : $"server log: {error[..Math.Min(error.Length, 1500)]}";
    }

    private async Task<(long AuthErrors, long OutboxMessages)> CountsAsync() =>
        (await _host.CountAsync("auth_error"), await _host.CountAsync("outbox_message"));

    private static ByteArrayContent Content(string? contentType, byte[] body)
    {
        var content = new ByteArrayContent(body);
        if (contentType is not null)
        {
            content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        }

        return content;
    }

    private static JsonObject Base() => JsonSerializer.SerializeToNode(AuthErrorSamples.Valid())!.AsObject();

    private static string Text(JsonObject body) => body.ToJsonString();

    private static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);

    private static byte[] With(Action<JsonObject> mutate)
    {
        var body = Base();
        mutate(body);
        return Utf8(Text(body));
    }

    /// <summary>The body with its first <paramref name="marker"/> replaced by raw (possibly invalid UTF-8) bytes.</summary>
    private static byte[] Spliced(string json, string marker, byte[] raw)
    {
        var at = json.IndexOf(marker, StringComparison.Ordinal);
        Assert.True(at >= 0, marker);
        return [.. Utf8(json[..at]), .. raw, .. Utf8(json[(at + marker.Length)..])];
    }

    /// <summary>The body with the (empty) string <paramref name="property"/> filled until the body is <paramref name="size"/> bytes.</summary>
    private static byte[] Padded(byte[] body, string property, int size)
    {
        var json = Encoding.UTF8.GetString(body);
        var marker = $"\"{property}\":\"\"";
        var at = json.IndexOf(marker, StringComparison.Ordinal) + marker.Length - 1;
        var padded = Utf8(json[..at] + new string('m', size - body.Length) + json[at..]);
        Assert.Equal(size, padded.Length);
        return padded;
    }

    /// <summary>A body of unknown length, so the server cannot refuse it by Content-Length alone.</summary>
    private sealed class UnseekableStream(byte[] bytes) : MemoryStream(bytes)
    {
        public override bool CanSeek => false;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }
    }
}
