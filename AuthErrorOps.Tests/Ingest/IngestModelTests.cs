using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using AuthErrorOps.Core.Domain;
using AuthErrorOps.Ingest;
using AuthErrorOps.Ingest.Infrastructure;
using AuthErrorOps.Ingest.Model;
using Microsoft.Extensions.Options;
using Xunit;

namespace AuthErrorOps.Tests.Ingest;

public sealed class IngestModelTests
{
    [Theory]
    [InlineData("TOKEN_EXPIRED", "TOKEN_EXPIRED", Severity.Low, false)]
    [InlineData("token-expired", "TOKEN_EXPIRED", Severity.Low, false)]
    [InlineData(" Token Invalid Signature ", "TOKEN_INVALID_SIGNATURE", Severity.High, true)]
    [InlineData("ACCOUNT_LOCKED", "ACCOUNT_LOCKED", Severity.Medium, true)]
    [InlineData("AUTH_PROVIDER_5XX", "AUTH_PROVIDER_5XX", Severity.High, false)]
    [InlineData("SOMETHING_NEW", "UNKNOWN_AUTH_ERROR", Severity.Medium, false)]
    [InlineData("", "UNKNOWN_AUTH_ERROR", Severity.Medium, false)]
    [InlineData(null, "UNKNOWN_AUTH_ERROR", Severity.Medium, false)]
    public void Reported_types_map_onto_the_taxonomy(string? reported, string expected, Severity severity, bool securitySignal) =>
        Assert.Equal(new AuthErrorCategory(expected, severity, securitySignal), AuthErrorTaxonomy.Categorize(reported));

    [Fact]
    public void Every_taxonomy_type_is_one_of_the_nine_of_the_design() =>
        Assert.Equal(9, AuthErrorTaxonomy.ErrorTypes.Count);

    [Theory]
    [InlineData("plain", "plain")]
    [InlineData("nul\0inside", "nulinside")]
    public void Text_is_made_storable(string input, string expected) => Assert.Equal(expected, StorableText.Clean(input));

    // Built here, not in attributes: test discovery serialises attribute strings as UTF-8, which has no lone surrogates.
    [Fact]
    public void Lone_surrogates_become_replacement_characters_and_pairs_stay()
    {
        Assert.Equal("lone \ufffd high", StorableText.Clean("lone " + (char)0xD800 + " high"));
        Assert.Equal("lone \ufffd low", StorableText.Clean("lone " + (char)0xDC00 + " low"));
        Assert.Equal("pair \U0001F600 kept", StorableText.Clean("pair \U0001F600 kept"));
        Assert.Equal("\ufffd", StorableText.Clean(((char)0xD800).ToString()));
    }

    [Theory]
    [InlineData("a\r\nb\rc\nd", "a\nb\nc\nd")]
    [InlineData("no breaks", "no breaks")]
    public void Line_endings_are_normalised(string input, string expected) => Assert.Equal(expected, StorableText.NormalizeLineEndings(input));

    [Fact]
    public void Truncation_never_splits_a_surrogate_pair()
    {
        var text = new string('x', 9) + "\ud83d\ude00";
        Assert.Equal(new string('x', 9), StorableText.Truncate(text, 10));
        Assert.Equal(text, StorableText.Truncate(text, 11));
    }

    [Theory]
    [InlineData("Mozilla/5.0 (Windows NT 10.0) AppleWebKit/537.36 Chrome/120.0 Safari/537.36 Edg/120.0", "Edge")]
    [InlineData("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/120.0 Safari/537.36", "Chrome")]
    [InlineData("Mozilla/5.0 (Macintosh) AppleWebKit/605.1.15 Version/17.0 Safari/605.1.15", "Safari")]
    [InlineData("Mozilla/5.0 (X11; rv:121.0) Gecko/20100101 Firefox/121.0", "Firefox")]
    [InlineData("curl/8.4.0", "curl")]
    [InlineData("okhttp/4.12.0", "okhttp")]
    [InlineData("SomeBot", "Other")]
    [InlineData("", null)]
    public void User_agents_reduce_to_a_family(string userAgent, string? family) => Assert.Equal(family, UserAgentFamily.Of(userAgent));

    [Fact]
    public void Validation_names_every_missing_required_field()
    {
        var errors = AuthErrorRequestValidator.Validate(new AuthErrorRequest(), DateTimeOffset.UtcNow);
        Assert.Equal(["exceptionClass", "httpStatus", "occurredAt", "requestId", "stacktrace"], errors.Keys.Order());
    }

    // Stored request hashes decide whether a retried report is a duplicate or a conflict, so the formula must not drift
    // between versions: SHA-256 of the stored fields' UTF-8, joined by U+001F, a null field empty.
    [Fact]
    public void A_report_hash_is_the_sha256_of_its_stored_fields_joined_by_unit_separators()
    {
        var normalizer = new AuthErrorNormalizer(new PiiHasher(Options.Create(new IngestOptions { PiiHashKey = "a-test-key-of-some-length" })), TimeProvider.System);
        var request = new AuthErrorRequest
        {
            RequestId = "req-h\u00e9-1",
            OccurredAt = new DateTimeOffset(2026, 12, 5, 3, 0, 0, TimeSpan.Zero),
            HttpStatus = 401,
            ExceptionClass = "Acme.Auth.\u00c9chec",
            Stacktrace = "   at Acme.Auth.Login() \U0001F600\r\n   at Acme.Web.Run()",
            ErrorType = "TOKEN_EXPIRED",
            UserId = "Carol@Example.org",
        };

        var error = normalizer.Normalize(request);

        var canonical = string.Join('\u001f',
            error.RequestId, error.OccurredAt.UtcTicks.ToString(CultureInfo.InvariantCulture), error.HttpStatus.ToString(CultureInfo.InvariantCulture),
            error.ErrorType, error.ExceptionClass, error.Stacktrace, error.SourceService, error.Environment, error.ExceptionMessage,
            error.RootCauseClass, error.RootCauseMessage, error.Endpoint, error.HttpMethod, error.Provider, error.ClientType,
            error.UserAgentFamily, error.PrincipalHash, error.IpHash, error.TraceId, error.Attributes);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(canonical))), error.RequestHash);
        Assert.Null(error.IpHash);
        Assert.NotNull(error.PrincipalHash);
    }

    [Fact]
    public void Identifier_hashes_are_the_hmac_under_their_own_key_when_two_keys_share_a_thread()
    {
        var first = new PiiHasher(Options.Create(new IngestOptions { PiiHashKey = "the-first-key-of-sixteen" }));
        var second = new PiiHasher(Options.Create(new IngestOptions { PiiHashKey = "the-second-key-of-sixteen" }));
        static string Expected(string key, string identifier) =>
            Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(key), Encoding.UTF8.GetBytes(identifier)));

        Assert.Equal(Expected("the-first-key-of-sixteen", "203.0.113.7"), first.Hash("203.0.113.7"));
        Assert.Equal(Expected("the-second-key-of-sixteen", "203.0.113.7"), second.Hash("203.0.113.7"));
        Assert.Equal(Expected("the-first-key-of-sixteen", "carol@example.org"), first.Hash("carol@example.org"));
        Assert.Equal(Expected("the-first-key-of-sixteen", "\u00e9l\u00e8ve"), first.Hash("\u00e9l\u00e8ve"));
    }
}
