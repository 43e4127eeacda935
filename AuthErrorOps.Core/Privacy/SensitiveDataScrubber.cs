using System.Buffers;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace AuthErrorOps.Core.Privacy;

/// <summary>
/// Replaces secrets and personal data in free text with typed placeholders (<c>&lt;jwt&gt;</c>, <c>&lt;email&gt;</c>,
/// <c>&lt;ip&gt;</c>, …) before anything is stored, logged or fingerprinted, so the store never becomes a token leak
/// and secrets never split clusters.
/// </summary>
/// <remarks>
/// Rules run in a fixed order, most specific first: JWT, URL user-info, <c>Authorization</c>/<c>Bearer</c>/<c>Basic</c>,
/// secret <c>name=value</c> pairs, email, long hex, long random base64, IPv6, IPv4, payment card. A placeholder never
/// matches a rule, so scrubbing is idempotent. Dashed GUIDs stay: they are identifiers, not secrets.
/// </remarks>
public static partial class SensitiveDataScrubber
{
    private const string JwtPlaceholder = "<jwt>";
    private const string TokenPlaceholder = "<token>";
    private const string CredentialsPlaceholder = "<credentials>";
    private const string RedactedPlaceholder = "<redacted>";
    private const string SecretPlaceholder = "<secret>";
    private const string EmailPlaceholder = "<email>";
    private const string IpPlaceholder = "<ip>";
    private const string CardPlaceholder = "<card>";

    private const int MinSecretRunLength = 32;

    // Deeper attribute trees are replaced whole rather than risking a stack overflow on hostile input.
    private const int MaxJsonDepth = 64;

    private static readonly SearchValues<char> QueryDelimiters = SearchValues.Create("&#");

    /// <summary>Query parameters whose values are always secret, whatever they look like.</summary>
    private static readonly HashSet<string> SecretQueryParameters = new(StringComparer.OrdinalIgnoreCase)
    {
        "password", "passwd", "pwd", "token", "access_token", "refresh_token", "id_token", "secret", "client_secret",
        "api_key", "apikey", "key", "code", "session", "sig", "signature", "auth", "authorization",
    };

    private static readonly HashSet<string>.AlternateLookup<ReadOnlySpan<char>> SecretQueryParameterLookup =
        SecretQueryParameters.GetAlternateLookup<ReadOnlySpan<char>>();

    /// <summary>Authentication schemes that may follow <c>Authorization:</c>; on their own they are not credentials.</summary>
    private static readonly HashSet<string>.AlternateLookup<ReadOnlySpan<char>> AuthorizationSchemes =
        new HashSet<string>(StringComparer.OrdinalIgnoreCase)
        {
            "bearer", "basic", "digest", "negotiate", "ntlm", "token", "hoba", "mutual", "dpop", "apikey",
        }.GetAlternateLookup<ReadOnlySpan<char>>();

    /// <summary>Scrubs free text: exception messages, stack traces, attribute string values.</summary>
    /// <returns><paramref name="text"/> itself when nothing needed scrubbing; <see langword="null"/> for null.</returns>
    public static string? Scrub(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return text;
        }

        var result = text;
        if (result.Contains("eyJ", StringComparison.Ordinal))
        {
            result = JwtPattern().Replace(result, JwtPlaceholder);
        }

        if (result.Contains("://", StringComparison.Ordinal))
        {
            result = UrlCredentialsPattern().Replace(result, "://" + CredentialsPlaceholder + "@");
        }

        if (ContainsWordStart(result, AuthorizationWords))
        {
            result = ReplaceMatches(AuthorizationPattern(), result, ScrubAuthorization);
        }

        if (MayContainSecretPair(result))
        {
            result = ReplaceMatches(SecretKeyValuePattern(), result, ScrubSecretValue);
        }

        // Before the base64 rule, whose alphabet includes '/' and would swallow "example.com/…" into one run.
        if (result.Contains('@'))
        {
            result = ReplaceMatches(
                EmailPattern(), result, static _ => EmailPlaceholder, static match => match.Groups["local"].Index);
        }

        if (HasRun(result, Base64Chars, MinSecretRunLength))
        {
            result = LongHexPattern().Replace(result, SecretPlaceholder);
            result = ReplaceMatches(Base64RunPattern(), result, ScrubBase64Run);
        }

        if (MayContainIPv6(result))
        {
            result = ReplaceMatches(IPv6CandidatePattern(), result, ScrubIPv6Candidate);
        }

        if (MayContainIPv4(result))
        {
            result = IPv4Pattern().Replace(result, IpPlaceholder);
        }

        return MayContainCard(result) ? ReplaceMatches(CardCandidatePattern(), result, ScrubCardCandidate) : result;
    }

    /// <summary>
    /// Scrubs a request path with its query string and fragment. Parameters with a secret name
    /// (<c>token</c>, <c>code</c>, <c>client_secret</c>, …) get <c>&lt;redacted&gt;</c>; everything else goes through
    /// <see cref="Scrub"/>, percent-decoded when that reveals more.
    /// </summary>
    public static string? ScrubEndpoint(string? endpoint)
    {
        if (string.IsNullOrEmpty(endpoint))
        {
            return endpoint;
        }

        var queryStart = endpoint.AsSpan().IndexOfAny('?', '#');
        var path = queryStart < 0 ? endpoint : endpoint[..queryStart];
        var scrubbedPath = ScrubPath(path);
        if (queryStart < 0)
        {
            return scrubbedPath;
        }

        var builder = new StringBuilder(endpoint.Length + 16).Append(scrubbedPath);
        var position = queryStart;
        while (position < endpoint.Length)
        {
            builder.Append(endpoint[position]);
            position++;
            var end = endpoint.AsSpan(position).IndexOfAny(QueryDelimiters);
            end = end < 0 ? endpoint.Length : position + end;
            AppendScrubbedParameter(builder, endpoint[position..end]);
            position = end;
        }

        var scrubbed = builder.ToString();
        return scrubbed == endpoint ? endpoint : scrubbed;
    }

    /// <summary>
    /// Returns a scrubbed copy of an attributes tree: every string value scrubbed (recursively through objects and
    /// arrays), keys kept, and the value of any secret-looking key (<c>password</c>, <c>token</c>, <c>cookie</c>, …)
    /// replaced by <c>"&lt;redacted&gt;"</c> whatever its type. JSON nulls stay null. The input is not modified.
    /// </summary>
    public static JsonNode? ScrubJson(JsonNode? node) => ScrubJsonNode(node, depth: 0);

    /// <summary>Whether a key or parameter name looks secret: <c>password</c>, <c>x-api-key</c>, <c>refreshToken</c>.</summary>
    private static bool IsSecretName(string name) => name.Length <= 256 && SecretNamePattern().IsMatch(name);

    private static string? ScrubAuthorization(Match match)
    {
        var credentialGroup = match.Groups["cred"];
        var credential = credentialGroup.ValueSpan.TrimEnd('.');
        if (credential.IsEmpty)
        {
            return null;
        }

        var scheme = match.Groups["scheme"];
        var knownScheme = scheme.Success && AuthorizationSchemes.Contains(scheme.ValueSpan);
        var isCredential = match.Groups["header"].Success switch
        {
            // "Authorization: Bearer <token>" read again, or "Authorization: failed for bob": prose, not a credential.
            true when !scheme.Success => !match.Groups["more"].Success && !AuthorizationSchemes.Contains(credential),
            true => knownScheme || SecretHeuristics.IsCredentialLike(credential),
            // "Bearer token missing", "Basic authentication disabled".
            false => SecretHeuristics.IsCredentialLike(credential),
        };
        if (!isCredential)
        {
            return null;
        }

        var placeholder = !scheme.Success
            ? RedactedPlaceholder
            : scheme.ValueSpan.Equals("bearer", StringComparison.OrdinalIgnoreCase)
                || scheme.ValueSpan.Equals("token", StringComparison.OrdinalIgnoreCase)
                ? TokenPlaceholder
                : CredentialsPlaceholder;
        var prefixLength = credentialGroup.Index - match.Index;
        var trailingDots = credentialGroup.ValueSpan[credential.Length..];
        return string.Concat(match.ValueSpan[..prefixLength], placeholder, trailingDots);
    }

    private static string? ScrubSecretValue(Match match)
    {
        var value = match.Groups["value"];
        if (value.Length == 0 || value.ValueSpan.SequenceEqual(RedactedPlaceholder))
        {
            return null;
        }

        // The value always ends the match (a closing quote is left outside it).
        return string.Concat(match.ValueSpan[..(value.Index - match.Index)], RedactedPlaceholder);
    }

    private static string? ScrubBase64Run(Match match)
    {
        var run = match.ValueSpan;
        if (SecretHeuristics.LooksRandom(run.TrimEnd('=')))
        {
            return SecretPlaceholder;
        }

        if (!run.Contains('/'))
        {
            return null;
        }

        // A path ("/home/runner/…/src") is words as a whole, but one of its segments may still be a key.
        var builder = new StringBuilder(run.Length);
        var changed = false;
        foreach (var range in run.Split('/'))
        {
            var segment = run[range];
            if (range.Start.Value > 0)
            {
                builder.Append('/');
            }

            if (segment.Length >= MinSecretRunLength && SecretHeuristics.LooksRandom(segment.TrimEnd('=')))
            {
                builder.Append(SecretPlaceholder);
                changed = true;
            }
            else
            {
                builder.Append(segment);
            }
        }

        return changed ? builder.ToString() : null;
    }

    private static string? ScrubIPv6Candidate(Match match)
    {
        var candidate = match.ValueSpan;
        if (!candidate.ContainsAny(Digits))
        {
            // "dead::beef", "Foo::Add": hex-looking words, and every real address in the wild has a digit.
            return null;
        }

        var zone = candidate.IndexOf('%');
        var address = zone < 0 ? candidate : candidate[..zone];
        if (IsIPv6(address))
        {
            return IpPlaceholder;
        }

        // "fe80::1: connection refused" — the sentence's colon is not part of the address.
        if (zone < 0 && address.EndsWith(':') && !address.EndsWith("::") && IsIPv6(address[..^1]))
        {
            return IpPlaceholder + ":";
        }

        return null;
    }

    private static bool IsIPv6(ReadOnlySpan<char> text) =>
        IPAddress.TryParse(text, out var address) && address.AddressFamily == AddressFamily.InterNetworkV6;

    /// <summary>
    /// Replaces, left to right, the shortest runs of whole digit groups that form a card number
    /// ("4111 1111 1111 1111 12/28" keeps the 12). Text between cards is kept as it was.
    /// </summary>
    private static string? ScrubCardCandidate(Match match)
    {
        var run = match.ValueSpan;
        StringBuilder? builder = null;
        var copied = 0;
        var groupStart = 0;
        while (groupStart < run.Length)
        {
            var cardEnd = SecretHeuristics.FindCardEnd(run, groupStart);
            if (cardEnd > 0)
            {
                builder ??= new StringBuilder(run.Length);
                builder.Append(run[copied..groupStart]).Append(CardPlaceholder);
                copied = groupStart = cardEnd;
            }
            else
            {
                var separator = run[groupStart..].IndexOfAny(' ', '-');
                groupStart = separator < 0 ? run.Length : groupStart + separator;
            }

            // Skip the separator between groups.
            groupStart += groupStart < run.Length ? 1 : 0;
        }

        return builder?.Append(run[copied..]).ToString();
    }

    private static string ScrubPath(string path)
    {
        // User-info spans segments ("https://user:pass@host/…"); everything else is judged one segment at a time, so
        // that decoding (an encoded slash) never reshapes the path and a second pass sees the same segments.
        var withoutCredentials = path.Contains("://", StringComparison.Ordinal)
            ? UrlCredentialsPattern().Replace(path, "://" + CredentialsPlaceholder + "@")
            : path;
        var segments = withoutCredentials.Split('/');
        var changed = false;
        for (var i = 0; i < segments.Length; i++)
        {
            var segment = ScrubUrlComponent(segments[i]);
            changed |= !ReferenceEquals(segment, segments[i]);
            segments[i] = segment;
        }

        return changed ? string.Join('/', segments) : withoutCredentials;
    }

    private static void AppendScrubbedParameter(StringBuilder builder, string parameter)
    {
        var equals = parameter.IndexOf('=');
        if (equals < 0)
        {
            builder.Append(ScrubUrlComponent(parameter));
            return;
        }

        var name = parameter[..equals];
        var value = parameter[(equals + 1)..];
        builder.Append(name).Append('=');
        var decodedName = name.Contains('%') || name.Contains('+') ? WebUtility.UrlDecode(name) : name;
        if (value.Length > 0 && (SecretQueryParameters.Contains(decodedName) || IsSecretName(decodedName)))
        {
            builder.Append(RedactedPlaceholder);
        }
        else
        {
            builder.Append(ScrubUrlComponent(value));
        }
    }

    /// <summary>
    /// Scrubs a path segment or query value: as it is, or decoded when it holds percent-escapes
    /// (<c>alice%40example.com</c>), then re-encoded with readable placeholders.
    /// </summary>
    private static string ScrubUrlComponent(string text)
    {
        if (!text.Contains('%'))
        {
            return Scrub(text)!;
        }

        var decoded = Uri.UnescapeDataString(text);
        var scrubbed = Scrub(decoded)!;
        if (ReferenceEquals(scrubbed, decoded) || scrubbed == decoded)
        {
            return text;
        }

        try
        {
            return Uri.EscapeDataString(scrubbed).Replace("%3C", "<", StringComparison.Ordinal)
                .Replace("%3E", ">", StringComparison.Ordinal);
        }
        catch (UriFormatException)
        {
            return scrubbed;
        }
    }

    private static JsonNode? ScrubJsonNode(JsonNode? node, int depth)
    {
        switch (node)
        {
            case null:
                return null;
            case JsonObject jsonObject:
                if (depth >= MaxJsonDepth)
                {
                    return JsonValue.Create(RedactedPlaceholder);
                }

                var scrubbedObject = new JsonObject(jsonObject.Options);
                foreach (var (key, child) in jsonObject)
                {
                    scrubbedObject[key] = child is not null && IsSecretName(key)
                        ? JsonValue.Create(RedactedPlaceholder)
                        : ScrubJsonNode(child, depth + 1);
                }

                return scrubbedObject;
            case JsonArray jsonArray:
                if (depth >= MaxJsonDepth)
                {
                    return JsonValue.Create(RedactedPlaceholder);
                }

                var scrubbedArray = new JsonArray(jsonArray.Options);
                foreach (var child in jsonArray)
                {
                    scrubbedArray.Add(ScrubJsonNode(child, depth + 1));
                }

                return scrubbedArray;
            default:
                return ScrubJsonValue(node);
        }
    }

    private static JsonNode ScrubJsonValue(JsonNode value)
    {
        try
        {
            if (value.GetValueKind() != JsonValueKind.String)
            {
                return value.DeepClone();
            }

            var text = value.AsValue().TryGetValue<string>(out var direct) ? direct : ReadStringValue(value);
            var scrubbed = Scrub(text);
            return scrubbed is null || ReferenceEquals(scrubbed, text)
                ? value.DeepClone()
                : JsonValue.Create(scrubbed)!;
        }
        catch (Exception exception)
            when (exception is InvalidOperationException or JsonException or NotSupportedException)
        {
            // A value that cannot be read as text cannot be vouched for.
            return JsonValue.Create(RedactedPlaceholder)!;
        }
    }

    /// <summary>Reads string-kind values backed by other CLR types (Guid, DateTime, char, …).</summary>
    private static string? ReadStringValue(JsonNode value)
    {
        using var document = JsonDocument.Parse(value.ToJsonString());
        return document.RootElement.GetString();
    }

    /// <summary>
    /// Like <see cref="Regex.Replace(string, MatchEvaluator)"/>, but a <see langword="null"/> replacement keeps the match
    /// and the input instance comes back when nothing was replaced, so clean text costs no allocation.
    /// <paramref name="replacementStart"/> lets a pattern that matched from a later anchor (an email's <c>@</c>)
    /// replace text its lookbehind captured.
    /// </summary>
    private static string ReplaceMatches(
        Regex pattern, string input, Func<Match, string?> replacement, Func<Match, int>? replacementStart = null)
    {
        StringBuilder? builder = null;
        var copied = 0;
        var match = pattern.Match(input);
        while (match.Success)
        {
            if (replacement(match) is not { } replacementText)
            {
                // A declined candidate ("Bearer Bearer x1") may hide a real one inside it.
                match = pattern.Match(input, match.Index + 1);
                continue;
            }

            // A lookbehind may reach back into the previous replacement ("a@b.com.c@d.com"); that text is gone.
            var start = Math.Max(replacementStart?.Invoke(match) ?? match.Index, copied);

            builder ??= new StringBuilder(input.Length);
            builder.Append(input, copied, start - copied).Append(replacementText);
            copied = match.Index + match.Length;
            match = match.NextMatch();
        }

        return builder is null ? input : builder.Append(input, copied, input.Length - copied).ToString();
    }
}
