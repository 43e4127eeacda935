using AuthErrorOps.Core.Domain;
using AuthErrorOps.Ingest.Model;
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
}
