using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

using AuthErrorOps.Core.Privacy;

using Xunit;

namespace AuthErrorOps.Tests.Privacy;

public sealed class SensitiveDataScrubberJsonTests
{
    // The default encoder writes '<' as \u003C; relaxed escaping keeps the expected documents readable.
    private static readonly JsonSerializerOptions Readable = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static TheoryData<string, string> Attributes => new()
    {
        {
            """{"tenant":"acme","contact":"alice@example.com","retries":3,"ok":false,"none":null}""",
            """{"tenant":"acme","contact":"<email>","retries":3,"ok":false,"none":null}"""
        },
        {
            """{"password":"hunter2","x-api-key":"k1","Authorization":"Bearer abc","cookie":"a=b","client_secret":"s"}""",
            """{"password":"<redacted>","x-api-key":"<redacted>","Authorization":"<redacted>","cookie":"<redacted>","client_secret":"<redacted>"}"""
        },
        {
            """{"refreshToken":{"value":"abc","exp":1},"secrets":["a","b"],"pin":1234,"hasPassword":true}""",
            """{"refreshToken":"<redacted>","secrets":"<redacted>","pin":"<redacted>","hasPassword":"<redacted>"}"""
        },
        {
            """{"request":{"headers":{"host":"api","authorization":"Basic dXNlcjpwYXNz"},"peers":["10.0.0.1","::1",7]}}""",
            """{"request":{"headers":{"host":"api","authorization":"<redacted>"},"peers":["<ip>","<ip>",7]}}"""
        },
        {
            """{"note":"login with password=hunter2 from 203.0.113.7","token":null}""",
            """{"note":"login with password=<redacted> from <ip>","token":null}"""
        },
        {
            """[{"email":"bob@example.org"},["nested","carol@example.net"],1.5]""",
            """[{"email":"<email>"},["nested","<email>"],1.5]"""
        },
        {
            """{"tokenType":"Bearer","expiresIn":3600,"key":"region","code":"E42","PublicKeyToken":"b77a5c561934e089"}""",
            """{"tokenType":"Bearer","expiresIn":3600,"key":"region","code":"E42","PublicKeyToken":"b77a5c561934e089"}"""
        },
        { "\"alice@example.com\"", "\"<email>\"" },
        { "42", "42" },
    };

    [Theory]
    [MemberData(nameof(Attributes))]
    public void Scrubs_string_values_and_redacts_secret_keys(string input, string expected)
    {
        var scrubbed = SensitiveDataScrubber.ScrubJson(JsonNode.Parse(input));

        Assert.Equal(expected, scrubbed!.ToJsonString(Readable));
    }

    [Theory]
    [MemberData(nameof(Attributes))]
    public void Is_idempotent_and_leaves_the_input_untouched(string input, string expected)
    {
        var original = JsonNode.Parse(input);

        var once = SensitiveDataScrubber.ScrubJson(original);
        var twice = SensitiveDataScrubber.ScrubJson(once);

        Assert.Equal(input, original!.ToJsonString(Readable));
        Assert.Equal(expected, twice!.ToJsonString(Readable));
    }

    [Fact]
    public void Null_stays_null() => Assert.Null(SensitiveDataScrubber.ScrubJson(null));

    [Fact]
    public void Reads_string_values_backed_by_other_types()
    {
        var node = new JsonObject
        {
            ["id"] = JsonValue.Create(Guid.Parse("3f2504e0-4f89-11d3-9a0c-0305e82c3301")),
            ["initial"] = JsonValue.Create('a'),
            ["at"] = JsonValue.Create(new DateTimeOffset(2026, 11, 24, 6, 0, 0, TimeSpan.Zero)),
            ["owner"] = JsonValue.Create("alice@example.com"),
        };

        var scrubbed = SensitiveDataScrubber.ScrubJson(node);

        Assert.Equal(
            """{"id":"3f2504e0-4f89-11d3-9a0c-0305e82c3301","initial":"a","at":"2026-11-24T06:00:00+00:00","owner":"<email>"}""",
            scrubbed!.ToJsonString(Readable));
    }

    [Fact]
    public void Replaces_trees_deeper_than_the_limit_instead_of_recursing()
    {
        JsonNode deep = JsonValue.Create("alice@example.com")!;
        for (var i = 0; i < 10_000; i++)
        {
            deep = new JsonArray(deep);
        }

        var scrubbed = SensitiveDataScrubber.ScrubJson(deep);

        Assert.DoesNotContain("alice", scrubbed!.ToJsonString(new() { MaxDepth = 20_000 }), StringComparison.Ordinal);
    }
}
