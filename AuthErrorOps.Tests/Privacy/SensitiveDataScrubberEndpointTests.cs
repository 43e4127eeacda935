using AuthErrorOps.Core.Privacy;

using Xunit;

namespace AuthErrorOps.Tests.Privacy;

public sealed class SensitiveDataScrubberEndpointTests
{
    public static TheoryData<string, string> SecretParameters => new()
    {
        { "/oauth/callback?code=SplxlOBeZQQYbYS6WxSbIA&state=xyz", "/oauth/callback?code=<redacted>&state=xyz" },
        { "/login?user=bob&password=hunter2", "/login?user=bob&password=<redacted>" },
        { "/api/data?API_KEY=abc&page=2", "/api/data?API_KEY=<redacted>&page=2" },
        { "/r?Access_Token=a&refresh_token=b&id_token=c", "/r?Access_Token=<redacted>&refresh_token=<redacted>&id_token=<redacted>" },
        { "/s?client_secret=x&sig=y&signature=z&key=k", "/s?client_secret=<redacted>&sig=<redacted>&signature=<redacted>&key=<redacted>" },
        { "/s?session=1&auth=2&authorization=Bearer%20x&pwd=3&passwd=4", "/s?session=<redacted>&auth=<redacted>&authorization=<redacted>&pwd=<redacted>&passwd=<redacted>" },
        { "/s?secret=a&apikey=b&token=c", "/s?secret=<redacted>&apikey=<redacted>&token=<redacted>" },
        { "/blob?X-Amz-Credential=AKIA%2F20261124&X-Amz-Signature=abc", "/blob?X-Amz-Credential=<redacted>&X-Amz-Signature=<redacted>" },
        { "/cb#access_token=abc&token_type=Bearer", "/cb#access_token=<redacted>&token_type=Bearer" },
        { "/p?access%5Ftoken=abc", "/p?access%5Ftoken=<redacted>" },
        { "https://auth.example.com/cb?code=abc", "https://auth.example.com/cb?code=<redacted>" },
    };

    public static TheoryData<string, string> ScrubbedPathsAndValues => new()
    {
        { "/users/alice@example.com/sessions", "/users/<email>/sessions" },
        { "/users/alice%40example.com", "/users/<email>" },
        { "/login?email=alice%40example.com&next=%2Fhome", "/login?email=<email>&next=%2Fhome" },
        { "/login?note=hi%20alice%40example.com", "/login?note=hi%20<email>" },
        { "/login?email=alice@example.com&ip=10.1.2.3", "/login?email=<email>&ip=<ip>" },
        { "/verify/eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln?x=1", "/verify/<jwt>?x=1" },
        { "https://app:s3cret@api.example.com/v1", "https://<credentials>@api.example.com/v1" },
        { "/keys/q8Xz3LmN0pR7sT2vW9yB4cD6fG1hJ5kQ/rotate", "/keys/<secret>/rotate" },
    };

    public static TheoryData<string> UnchangedEndpoints =>
    [
        "/api/auth-errors",
        "/api/clusters?sort=lastSeenAt&direction=desc&page=0&size=20",
        "/oauth/authorize?response_type=code&scope=openid%20profile&redirect_uri=https%3A%2F%2Fapp%2Fcb",
        "/v1/users/3f2504e0-4f89-11d3-9a0c-0305e82c3301?expand",
        "/token?",
        "/token?token=",
        "/a?b&c=&&d",
        "?",
    ];

    [Theory]
    [MemberData(nameof(SecretParameters))]
    public void Redacts_secret_query_parameters(string input, string expected) =>
        Assert.Equal(expected, SensitiveDataScrubber.ScrubEndpoint(input));

    [Theory]
    [MemberData(nameof(ScrubbedPathsAndValues))]
    public void Scrubs_paths_and_other_values_as_text(string input, string expected) =>
        Assert.Equal(expected, SensitiveDataScrubber.ScrubEndpoint(input));

    [Theory]
    [MemberData(nameof(UnchangedEndpoints))]
    public void Leaves_endpoints_without_secrets_alone(string input) =>
        Assert.Equal(input, SensitiveDataScrubber.ScrubEndpoint(input));

    [Theory]
    [MemberData(nameof(SecretParameters))]
    [MemberData(nameof(ScrubbedPathsAndValues))]
    public void Is_idempotent(string input, string expected)
    {
        var once = SensitiveDataScrubber.ScrubEndpoint(input);

        Assert.Equal(expected, once);
        Assert.Equal(once, SensitiveDataScrubber.ScrubEndpoint(once));
    }

    [Fact]
    public void Null_and_empty_pass_through()
    {
        Assert.Null(SensitiveDataScrubber.ScrubEndpoint(null));
        Assert.Equal("", SensitiveDataScrubber.ScrubEndpoint(""));
    }

    [Fact]
    public void Survives_malformed_escapes_and_lone_surrogates() =>
        Assert.Equal(
            "/x%zz/\ud800?token=<redacted>&v=%E0%A4%A&w=\udc00",
            SensitiveDataScrubber.ScrubEndpoint("/x%zz/\ud800?token=%ZZ&v=%E0%A4%A&w=\udc00"));
}
