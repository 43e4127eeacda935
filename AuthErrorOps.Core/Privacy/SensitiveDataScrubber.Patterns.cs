using System.Text.RegularExpressions;

namespace AuthErrorOps.Core.Privacy;

// Every pattern stays linear: loops over runs sit in atomic groups (no giving back), the rest are short
// bounded loops, and a match starts only at a token boundary (a leading lookbehind) or at a literal
// ("eyJ", "://", "@"), so each run of input is examined a bounded number of times. Timeouts are explicitly
// infinite so that a process-wide REGEX_DEFAULT_MATCH_TIMEOUT cannot turn scrubbing into an exception.
public static partial class SensitiveDataScrubber
{
    private const RegexOptions Options = RegexOptions.CultureInvariant | RegexOptions.ExplicitCapture;
    private const RegexOptions IgnoreCaseOptions = Options | RegexOptions.IgnoreCase;

    /// <summary>
    /// How a secret's name ends: <c>password</c>, <c>client_secret</c>, <c>x-api-key</c>, <c>refreshTokens</c>; short
    /// words only as a whole name or after a dot (<c>pass</c> and <c>user.pin</c>, but not <c>bypass</c>).
    /// </summary>
    private const string SecretNameEnding =
        "(?:(?:pass(?:word|wd|phrase|code)|pwd|secret|token|credential|cookie|signature|assertion"
        + "|(?:api|access|private|secret|signing|encryption|subscription|master)[_-]?key|session[_-]?id)s?"
        + "|(?<![A-Za-z0-9_-])(?:pass|auth|otp|pin|sid|sig|session))";

    /// <summary>A whole dotted identifier, consumed at once so that each one is judged once, by its ending.</summary>
    private const string IdentifierRun = "(?<![A-Za-z0-9_.-])(?>[A-Za-z0-9_.-]{1,128})(?![A-Za-z0-9_.-])";

    /// <summary>Names that are secrets only as URL parameters: <c>?code=</c> is an authorization code, <c>code: 500</c> not.</summary>
    private const string SecretQueryName = "(?<=[?&#](?:code|key|sig|session|auth|apikey|api_key))";

    // The assembly identity field is public by definition and appears in every load failure message.
    private const string SecretName =
        IdentifierRun + "(?:(?<=" + SecretNameEnding + ")|" + SecretQueryName + ")(?<!publickeytoken)";

    /// <summary>A JWS or JWE in compact form: a base64url JSON header (<c>eyJ</c>) and two to four more segments.</summary>
    [GeneratedRegex(
        @"(?<![A-Za-z0-9_-])eyJ(?>[A-Za-z0-9_-]+)\.(?>[A-Za-z0-9_-]+)\.(?>[A-Za-z0-9_-]*)(?:\.(?>[A-Za-z0-9_-]+)){0,2}",
        Options, Timeout.Infinite)]
    private static partial Regex JwtPattern();

    /// <summary><c>scheme://user:password@host</c>.</summary>
    [GeneratedRegex(
        @"://(?<=[A-Za-z0-9+.-]://)[^\s/?#@:<>]{1,256}:[^\s/?#@<>]{0,256}@",
        Options, Timeout.Infinite)]
    private static partial Regex UrlCredentialsPattern();

    /// <summary>
    /// <c>Authorization: [scheme] credential</c> (any header spelling, JSON or escaped JSON quoting) or a bare
    /// <c>Bearer …</c>/<c>Basic …</c>. An auth-param (<c>Bearer realm="api"</c>) is not a credential. <c>more</c> tells
    /// whether further words follow, which makes a lone word after <c>Authorization:</c> prose rather than a credential.
    /// </summary>
    [GeneratedRegex(
        @"(?:(?<![A-Za-z0-9])(?<header>authorization)\\?[""']?[ \t]{0,8}[:=][ \t]{0,8}\\?[""']?"
        + @"(?:(?<scheme>[A-Za-z][A-Za-z0-9_-]{0,31})[ \t]{1,8})?|(?<![A-Za-z0-9_-])(?<scheme>bearer|basic)[ \t]{1,8})"
        + @"(?<cred>(?>[A-Za-z0-9._~+/-]+)(?>=*))(?!(?<==)[""']|<[a-z]{2,11}>)(?=(?<more>[ \t]+\S)?)",
        IgnoreCaseOptions, Timeout.Infinite)]
    private static partial Regex AuthorizationPattern();

    /// <summary>
    /// <c>name=value</c>, <c>name: value</c>, <c>"name":"value"</c>, <c>\"name\":\"value\"</c> where the name looks secret.
    /// The value is the quoted text, the rest of the line for a cookie header (every cookie in it), or the bare text
    /// up to whitespace or a delimiter.
    /// </summary>
    [GeneratedRegex(
        SecretName + @"\\?[""']?[ \t]{0,8}[:=][ \t]{0,8}"
        + @"(?:\\""(?<value>(?>[^""\\\r\n]*))"
        + @"|""(?<value>(?>(?:[^""\\\r\n]|\\.)*))"
        + @"|'(?<value>(?>(?:[^'\\\r\n]|\\.)*))"
        + @"|(?<=cookies?\\?[""']?[ \t]{0,8}[:=][ \t]{0,8})(?<value>(?![<=\s])(?>[^\r\n""'\\]+))"
        + @"|(?<value>(?![<=])(?>[^\s""'<>,;&)\]}]+)))",
        IgnoreCaseOptions, Timeout.Infinite)]
    private static partial Regex SecretKeyValuePattern();

    /// <summary>A whole key name (JSON property, query parameter) that looks secret; includes <c>authorization</c>.</summary>
    [GeneratedRegex(
        @"\A(?>[A-Za-z0-9_.-]{1,128})\z(?<=" + SecretNameEnding + "|authorization)(?<!publickeytoken)",
        IgnoreCaseOptions, Timeout.Infinite)]
    private static partial Regex SecretNamePattern();

    /// <summary>32 or more hex digits standing alone (keys, digests, dashless GUIDs).</summary>
    [GeneratedRegex(@"(?<![A-Za-z0-9])(?:0[xX])?(?>[0-9A-Fa-f]{32,})(?![A-Za-z0-9])", Options, Timeout.Infinite)]
    private static partial Regex LongHexPattern();

    /// <summary>A run of 32 or more base64/base64url characters; whether it is random is decided in code.</summary>
    [GeneratedRegex(@"(?<![A-Za-z0-9+/_-])(?>[A-Za-z0-9+/_-]{32,})(?>={0,2})", Options, Timeout.Infinite)]
    private static partial Regex Base64RunPattern();

    /// <summary>
    /// An email, found from its <c>@</c> so the search is a vectorised scan; the local part is captured by the
    /// lookbehind (<c>local</c>) and replaced with the rest.
    /// </summary>
    [GeneratedRegex(
        @"(?<=(?<![A-Za-z0-9._%+-])(?<local>[A-Za-z0-9._%+-]+))@"
        + @"(?:(?>[A-Za-z0-9-]{1,63})\.){1,16}[A-Za-z][A-Za-z0-9-]{1,62}(?![A-Za-z0-9-])",
        Options, Timeout.Infinite)]
    private static partial Regex EmailPattern();

    /// <summary>
    /// Something shaped like an IPv6 address (hex groups and at least two colons, optional dotted tail and zone);
    /// <see cref="System.Net.IPAddress.TryParse(ReadOnlySpan{char}, out System.Net.IPAddress?)"/> decides. Text right
    /// next to a placeholder (<c>&lt;ip&gt;:db8::1</c>) is the remains of something already replaced, not a new address.
    /// </summary>
    [GeneratedRegex(
        @"(?<![0-9A-Za-z_.>])(?<![0-9A-Fa-f>]:)(?<!::)"
        + @"(?>[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?:\.[0-9]{1,3}){0,3}(?:%[0-9A-Za-z]{1,15})?)"
        + @"(?![0-9A-Za-z_<%]|\.[0-9])",
        Options, Timeout.Infinite)]
    private static partial Regex IPv6CandidatePattern();

    /// <summary>
    /// A dotted quad, but not part of a longer dotted number or an IPv6 address, and not an assembly
    /// <c>Version=4.0.0.0</c>.
    /// </summary>
    [GeneratedRegex(
        @"(?<![0-9A-Za-z_.])(?<!version[ \t]{0,2}[=:]?[ \t]{0,2})"
        + @"(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])(?:\.(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])){3}"
        + @"(?![0-9A-Za-z_]|\.[0-9]|::)",
        IgnoreCaseOptions, Timeout.Infinite)]
    private static partial Regex IPv4Pattern();

    /// <summary>
    /// A whole run of at least 13 digits in groups split by single spaces or dashes; which groups form a card is
    /// decided in code, so the answer never depends on what follows the run.
    /// </summary>
    [GeneratedRegex(@"(?<![0-9A-Za-z_.-])[0-9](?>(?:[ -]?[0-9]){12,})(?![0-9A-Za-z_])", Options, Timeout.Infinite)]
    private static partial Regex CardCandidatePattern();
}
