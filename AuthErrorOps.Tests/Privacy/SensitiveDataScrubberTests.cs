using System.Diagnostics;

using AuthErrorOps.Core.Privacy;

using Xunit;

namespace AuthErrorOps.Tests.Privacy;

public sealed class SensitiveDataScrubberTests
{
    private const string JwtSignature = "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c";

    private const string Jwt =
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ."
        + JwtSignature;

    private const string RandomBase64 = "q8Xz3LmN0pR7sT2vW9yB4cD6fG1hJ5kQ";

    public static TheoryData<string, string> Jwts => new()
    {
        { $"token rejected: {Jwt}", "token rejected: <jwt>" },
        { $"IDX10223: Lifetime validation failed for {Jwt}.", "IDX10223: Lifetime validation failed for <jwt>." },
        { "alg none eyJhbGciOiJub25lIn0.eyJzdWIiOiJhIn0. accepted", "alg none <jwt> accepted" },
        { "jwe eyJhbGciOiJSU0EtT0FFUCJ9.ZW5jcnlwdGVka2V5.aXY.Y2lwaGVydGV4dA.dGFn end", "jwe <jwt> end" },
        { $"Authorization: Bearer {Jwt}", "Authorization: Bearer <jwt>" },
        { $"[{Jwt}]", "[<jwt>]" },
    };

    public static TheoryData<string, string> AuthorizationCredentials => new()
    {
        { "Authorization: Bearer abc", "Authorization: Bearer <token>" },
        { "authorization=Basic dXNlcjpwYXNzd29yZA==", "authorization=Basic <credentials>" },
        { "Proxy-Authorization: Basic dXNlcjpwYXNz", "Proxy-Authorization: Basic <credentials>" },
        { "HTTP_AUTHORIZATION=Negotiate YIIGhgYGKwYBBQUCoIIGejCCBnag", "HTTP_AUTHORIZATION=Negotiate <credentials>" },
        { "Authorization: token ghp_x1", "Authorization: token <token>" },
        { "Authorization: 4f9a-opaque", "Authorization: <redacted>" },
        { "{\"Authorization\":\"Bearer abc.def\"}", "{\"Authorization\":\"Bearer <token>\"}" },
        { "{\\\"authorization\\\":\\\"Bearer s3cr3t\\\"}", "{\\\"authorization\\\":\\\"Bearer <token>\\\"}" },
        { "sent Bearer 8f1c2e7a-opaque-value, got 401", "sent Bearer <token>, got 401" },
        { "header was Bearer mF_9.B5f-4.1JqM.", "header was Bearer <token>." },
        { "Basic dXNlcjpwYXNz rejected", "Basic <credentials> rejected" },
        { "bearer AbCdEf", "bearer <token>" },
        { "Authorization: CustomScheme k3y", "Authorization: CustomScheme <credentials>" },
    };

    public static TheoryData<string, string> SecretKeyValues => new()
    {
        { "login failed password=hunter2 for user", "login failed password=<redacted> for user" },
        { "{\"password\":\"x\",\"user\":\"bob\"}", "{\"password\":\"<redacted>\",\"user\":\"bob\"}" },
        { "token: abc", "token: <redacted>" },
        { "'client_secret': 'shh now'", "'client_secret': '<redacted>'" },
        { "Host=db;Username=app;Password=p@ss;Database=auth", "Host=db;Username=app;Password=<redacted>;Database=auth" },
        { "spring.datasource.password = s3cret", "spring.datasource.password = <redacted>" },
        { "X-Api-Key: k_live_1", "X-Api-Key: <redacted>" },
        { "refreshToken=abc&next=1", "refreshToken=<redacted>&next=1" },
        { "Set-Cookie: id=abc; Path=/; HttpOnly", "Set-Cookie: <redacted>" },
        { "Cookie: a=1; session=2\nnext line", "Cookie: <redacted>\nnext line" },
        { "redirect https://app/cb?code=SplxlOBeZQQYbYS6WxSbIA&state=xyz", "redirect https://app/cb?code=<redacted>&state=xyz" },
        { "user.pin: 1234", "user.pin: <redacted>" },
        { "{\\\"password\\\":\\\"x\\\"}", "{\\\"password\\\":\\\"<redacted>\\\"}" },
        { "pwd=\"unterminated secret", "pwd=\"<redacted>" },
        { "\"access_token\": \"a\\\"b\"", "\"access_token\": \"<redacted>\"" },
        { "callback https://app/cb?state=1&access_token=abc", "callback https://app/cb?state=1&access_token=<redacted>" },
        { "sessionId=42;", "sessionId=<redacted>;" },
    };

    public static TheoryData<string, string> LongSecrets => new()
    {
        { "key 0123456789abcdef0123456789abcdef used", "key <secret> used" },
        { "sha1 da39a3ee5e6b4b0d3255bfef95601890afd80709", "sha1 <secret>" },
        { "request 3F2504E04F8911D39A0C0305E82C3301 failed", "request <secret> failed" },
        { "0xDEADBEEFDEADBEEFDEADBEEFDEADBEEF", "<secret>" },
        { $"signing key {RandomBase64}", "signing key <secret>" },
        { $"blob {RandomBase64}+/AB== end", "blob <secret> end" },
        { "api ghp_R4nd0mT0k3nW1thM1x3dCh4rsXyZ9876 rejected", "api <secret> rejected" },
        { "hash token_0123456789abcdef0123456789abcdef", "hash token_<secret>" },
        { $"path /keys/{RandomBase64}/v1", "path <secret>" },
        {
            $"/home/runner/work/authentication/authentication/{RandomBase64}",
            "/home/runner/work/authentication/authentication/<secret>"
        },
    };

    public static TheoryData<string, string> Emails => new()
    {
        { "user alice@example.com locked", "user <email> locked" },
        { "<first.last+tag@mail.example.co.uk>", "<<email>>" },
        { "mailto:bob.o-neil@example.org", "mailto:<email>" },
        { "Alice.Smith@Example.COM.", "<email>." },
        { "git@github.com: permission denied", "<email>: permission denied" },
    };

    public static TheoryData<string, string> IpAddresses => new()
    {
        { "login from 203.0.113.7 refused", "login from <ip> refused" },
        { "connect 10.0.0.1:5432 failed", "connect <ip>:5432 failed" },
        { "client=192.168.1.255,", "client=<ip>," },
        { "peer ::1 closed", "peer <ip> closed" },
        { "peer [::1]:8080 closed", "peer [<ip>]:8080 closed" },
        { "from 2001:db8::8a2e:370:7334", "from <ip>" },
        { "from 2001:0db8:85a3:0000:0000:8a2e:0370:7334.", "from <ip>." },
        { "mapped ::ffff:192.0.2.128 ok", "mapped <ip> ok" },
        { "link fe80::1%eth0 down", "link <ip> down" },
        { "ip:fe80::1: unreachable", "ip:<ip>: unreachable" },
        { "X-Forwarded-For: 198.51.100.1, 198.51.100.2", "X-Forwarded-For: <ip>, <ip>" },
    };

    public static TheoryData<string, string> UrlCredentials => new()
    {
        { "connect postgres://app:s3cret@db:5432/auth", "connect postgres://<credentials>@db:5432/auth" },
        { "amqp://guest:guest@rabbit/", "amqp://<credentials>@rabbit/" },
    };

    public static TheoryData<string, string> Cards => new()
    {
        { "card 4111 1111 1111 1111 declined", "card <card> declined" },
        { "pan=5500-0000-0000-0004", "pan=<card>" },
        { "378282246310005", "<card>" },
        { "4111111111111111 12/28 cvv 123", "<card> 12/28 cvv 123" },
        { "cards 4111 1111 1111 1111 5500 0000 0000 0004.", "cards <card> <card>." },
        { "ref 12 4111-1111-1111-1111", "ref 12 <card>" },
    };

    /// <summary>Text that must come back exactly as it went in.</summary>
    public static TheoryData<string> Unchanged => new()
    {
        "   at Acme.Auth.TokenValidator.Validate(String token) in /src/TokenValidator.cs:line 42",
        "   at Acme.Auth.PasswordHasher.Verify(String password, String hash) in C:\\src\\PasswordHasher.cs:line 7",
        "   at System.Collections.Generic.List`1.get_Item(Int32 index)",
        "   at Acme.Auth.TokenValidator.<ValidateAsync>d__4.MoveNext()",
        "--- End of stack trace from previous location ---",
        "\tat com.acme.Auth.login(Auth.java:42)",
        "\tat com.acme.auth.TokenService$$Lambda$123/0x0000000800c0b440.apply(Unknown Source)",
        "\tat java.base/jdk.internal.reflect.NativeMethodAccessorImpl.invoke0(Native Method)",
        "Caused by: org.springframework.security.oauth2.server.resource.InvalidBearerTokenException: Jwt expired",
        "Microsoft.IdentityModel.Tokens.SecurityTokenInvalidSignatureException: IDX10503: Signature validation failed.",
        "Could not load file or assembly 'Acme.Auth, Version=1.2.3.4, Culture=neutral, PublicKeyToken=b77a5c561934e089'",
        "System.Int32 overflow in System.Runtime 8.0.0",
        "upgrade to 1.2.3 before 2.0.10",
        "retry at 12:30:45 and 2026-11-24T06:00:00Z",
        "trace 3f2504e0-4f89-11d3-9a0c-0305e82c3301 request 9A0C0305-E82C-3301-3F25-04E04F8911D3",
        "GET https://auth.example.com/oauth/authorize?response_type=code&scope=openid",
        "token expired",
        "The Bearer token is missing",
        "Basic authentication is disabled",
        "Authorization: failed for user bob",
        "Authorization: Bearer",
        "WWW-Authenticate: Bearer realm=\"api\", error=\"invalid_token\"",
        "Microsoft_AspNetCore_Authentication_JwtBearer_Handler2 failed",
        "/home/runner/work/Auth2Service/Auth2Service/src/V2/TokenValidator.cs",
        "Foo::Add and dead::beef are not addresses",
        "order 1234567890123456 shipped",
        "the key: value pair; code=500; maxTokens",
        "",
    };

    public static TheoryData<string, string> MixedText => new()
    {
        {
            "Login for alice@example.com from 203.0.113.7 failed: Authorization: Bearer opaque-123",
            "Login for <email> from <ip> failed: Authorization: Bearer <token>"
        },
        {
            $"   at Acme.Auth.TokenValidator.Validate(String token) in /src/TokenValidator.cs:line 42\n   token={Jwt}",
            "   at Acme.Auth.TokenValidator.Validate(String token) in /src/TokenValidator.cs:line 42\n   token=<jwt>"
        },
    };

    [Theory]
    [MemberData(nameof(Jwts))]
    public void Replaces_jwts(string input, string expected) => Assert.Equal(expected, SensitiveDataScrubber.Scrub(input));

    [Theory]
    [MemberData(nameof(AuthorizationCredentials))]
    public void Replaces_authorization_credentials_keeping_the_scheme(string input, string expected) =>
        Assert.Equal(expected, SensitiveDataScrubber.Scrub(input));

    [Theory]
    [MemberData(nameof(SecretKeyValues))]
    public void Redacts_values_of_secret_names(string input, string expected) =>
        Assert.Equal(expected, SensitiveDataScrubber.Scrub(input));

    [Theory]
    [MemberData(nameof(LongSecrets))]
    public void Replaces_long_hex_and_random_base64(string input, string expected) =>
        Assert.Equal(expected, SensitiveDataScrubber.Scrub(input));

    [Theory]
    [MemberData(nameof(Emails))]
    public void Replaces_emails(string input, string expected) => Assert.Equal(expected, SensitiveDataScrubber.Scrub(input));

    [Theory]
    [MemberData(nameof(IpAddresses))]
    public void Replaces_ip_addresses(string input, string expected) =>
        Assert.Equal(expected, SensitiveDataScrubber.Scrub(input));

    [Theory]
    [MemberData(nameof(UrlCredentials))]
    public void Replaces_url_user_info(string input, string expected) =>
        Assert.Equal(expected, SensitiveDataScrubber.Scrub(input));

    [Theory]
    [MemberData(nameof(Cards))]
    public void Replaces_luhn_valid_card_numbers(string input, string expected) =>
        Assert.Equal(expected, SensitiveDataScrubber.Scrub(input));

    [Theory]
    [MemberData(nameof(MixedText))]
    public void Applies_every_rule_to_one_text(string input, string expected) =>
        Assert.Equal(expected, SensitiveDataScrubber.Scrub(input));

    [Theory]
    [MemberData(nameof(Unchanged))]
    public void Leaves_ordinary_text_alone(string input) => Assert.Same(input, SensitiveDataScrubber.Scrub(input));

    [Theory]
    [MemberData(nameof(Jwts))]
    [MemberData(nameof(AuthorizationCredentials))]
    [MemberData(nameof(SecretKeyValues))]
    [MemberData(nameof(LongSecrets))]
    [MemberData(nameof(Emails))]
    [MemberData(nameof(IpAddresses))]
    [MemberData(nameof(UrlCredentials))]
    [MemberData(nameof(Cards))]
    [MemberData(nameof(MixedText))]
    public void Is_idempotent(string input, string expected)
    {
        var once = SensitiveDataScrubber.Scrub(input);

        Assert.Equal(expected, once);
        Assert.Equal(once, SensitiveDataScrubber.Scrub(once));
    }

    [Fact]
    public void Is_idempotent_on_random_mixtures_of_secrets_and_prose()
    {
        string[] fragments =
        [
            Jwt, RandomBase64, "alice@example.com", "10.0.0.1", "::1", "fe80::1", "password", "token", "Bearer", "Basic",
            "Authorization", "Cookie", "=", ":", ": ", "\"", "'", "\\", " ", "\n", ".", "@", "/", "?", "&", "code", "://",
            "0123456789abcdef0123456789abcdef", "4111 1111 1111 1111", "at Acme.Auth.Login()", "12:30:45", "1.2.3", "<",
            ">", "-", "_", "x", "42", "eyJ", "dXNlcjpwYXNz", "%40", "version ", "PublicKeyToken",
        ];
        string[] separators = [" ", "\n", ", ", "=", ": ", "&", "\"", "/", "(", ")"];
        var random = new Random(20261124);
        for (var i = 0; i < 5_000; i++)
        {
            var parts = Enumerable.Range(0, random.Next(1, 12)).Select(_ => fragments[random.Next(fragments.Length)]).ToArray();
            var glued = string.Concat(parts);
            var separated = string.Concat(parts.Select(part => part + separators[random.Next(separators.Length)]));

            foreach (var text in new[] { glued, separated })
            {
                var once = SensitiveDataScrubber.Scrub(text);
                var endpoint = SensitiveDataScrubber.ScrubEndpoint(text);

                Assert.True(once == SensitiveDataScrubber.Scrub(once), $"not idempotent: [{text}] -> [{once}]");
                Assert.True(endpoint == SensitiveDataScrubber.ScrubEndpoint(endpoint), $"endpoint: [{text}] -> [{endpoint}]");
            }

            var scrubbed = SensitiveDataScrubber.Scrub(separated)!;
            Assert.False(
                scrubbed.Contains(JwtSignature, StringComparison.Ordinal)
                || scrubbed.Contains(RandomBase64, StringComparison.Ordinal)
                || scrubbed.Contains("alice@", StringComparison.Ordinal),
                $"leaked: [{separated}] -> [{scrubbed}]");
        }
    }

    [Fact]
    public void Null_stays_null() => Assert.Null(SensitiveDataScrubber.Scrub(null));

    [Fact]
    public void Survives_control_characters_and_lone_surrogates()
    {
        var garbage = "\0\u0001\ud800 password=\udc00x \uffff\u001b[31m alice@example.com \ud83d";

        var scrubbed = SensitiveDataScrubber.Scrub(garbage);

        Assert.Equal("\0\u0001\ud800 password=<redacted> \uffff\u001b[31m <email> \ud83d", scrubbed);
    }

    public static TheoryData<string> AdversarialShapes =>
    [
        "eyJ", "password=\"a", "a.b@c.", "a:1::", "1.2.", "4 1-", "aB3/", "Bearer Authorization: ",
        "x_password_token_secret ", "a://b:c", "\"token\":\\\"", "::ffff:1.1.1.", "\u0001\u0000:=", "Bearer ", "@",
        "4111 1111 1111 1111 ", "fe80::1%", "?code=&", "/%40",
    ];

    [Theory]
    [MemberData(nameof(AdversarialShapes))]
    public void Scrubs_a_megabyte_of_adversarial_input_in_linear_time(string shape)
    {
        var input = new string('A', 1 << 16) + string.Concat(Enumerable.Repeat(shape, (1 << 20) / shape.Length));
        var stopwatch = Stopwatch.StartNew();

        var scrubbed = SensitiveDataScrubber.Scrub(input);
        var endpoint = SensitiveDataScrubber.ScrubEndpoint(input);

        Assert.NotNull(scrubbed);
        Assert.NotNull(endpoint);
        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(10), $"{shape}: {stopwatch.Elapsed}");
    }
}
