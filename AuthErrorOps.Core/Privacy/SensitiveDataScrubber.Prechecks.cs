using System.Buffers;

namespace AuthErrorOps.Core.Privacy;

// Vectorised scans that decide whether a rule can match at all. Most text (stack traces above all) holds
// nothing to scrub, and these cost a fraction of running the rule's pattern over it.
public static partial class SensitiveDataScrubber
{
    private static readonly SearchValues<string> AuthorizationWords =
        SearchValues.Create(["bearer", "basic", "authorization"], StringComparison.OrdinalIgnoreCase);

    private static readonly SearchValues<char> Base64Chars =
        SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/_-");

    private static readonly SearchValues<char> IdentifierChars =
        SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-");

    private static readonly SearchValues<char> IPv6Chars = SearchValues.Create("0123456789ABCDEFabcdef:.");

    private static readonly SearchValues<char> Digits = SearchValues.Create("0123456789");

    // IndexOfAnyInRange allocates on some paths in .NET 10; SearchValues never does.
    private static readonly SearchValues<char> CardChars = SearchValues.Create("0123456789 -");

    /// <summary>One of <paramref name="words"/> at the start of a word (not <c>JwtBearer</c>).</summary>
    private static bool ContainsWordStart(ReadOnlySpan<char> text, SearchValues<string> words)
    {
        var offset = 0;
        while (true)
        {
            var index = text[offset..].IndexOfAny(words);
            if (index < 0)
            {
                return false;
            }

            index += offset;
            if (index == 0 || !char.IsAsciiLetterOrDigit(text[index - 1]))
            {
                return true;
            }

            offset = index + 1;
        }
    }

    /// <summary>A <c>:</c> or <c>=</c> right after a secret-looking name (quotes, escapes and blanks allowed between).</summary>
    private static bool MayContainSecretPair(ReadOnlySpan<char> text)
    {
        var offset = 0;
        while (true)
        {
            var index = text[offset..].IndexOfAny(':', '=');
            if (index < 0)
            {
                return false;
            }

            index += offset;
            var end = index;
            while (end > 0 && index - end < 8 && text[end - 1] is ' ' or '\t')
            {
                end--;
            }

            if (end > 0 && text[end - 1] is '"' or '\'')
            {
                end--;
            }

            if (end > 0 && text[end - 1] == '\\')
            {
                end--;
            }

            var nameStart = text[..end].LastIndexOfAnyExcept(IdentifierChars) + 1;
            var name = text[nameStart..end];
            var isQueryParameter = nameStart > 0 && text[nameStart - 1] is '?' or '&' or '#';
            if (name.Length is > 0 and <= 128
                && (SecretNamePattern().IsMatch(name) || (isQueryParameter && SecretQueryParameterLookup.Contains(name))))
            {
                return true;
            }

            offset = index + 1;
        }
    }

    /// <summary>A <c>::</c>, or a run of hex digits, colons and dots holding at least six colons.</summary>
    private static bool MayContainIPv6(ReadOnlySpan<char> text)
    {
        if (text.Contains("::", StringComparison.Ordinal))
        {
            return true;
        }

        var offset = 0;
        while (true)
        {
            var colon = text[offset..].IndexOf(':');
            if (colon < 0)
            {
                return false;
            }

            var run = text[(offset + colon)..];
            var length = run.IndexOfAnyExcept(IPv6Chars);
            run = length < 0 ? run : run[..length];
            if (run.Count(':') >= 6)
            {
                return true;
            }

            offset += colon + Math.Max(run.Length, 1);
        }
    }

    /// <summary>A digit, a dot and a digit: the least a dotted quad needs.</summary>
    private static bool MayContainIPv4(ReadOnlySpan<char> text)
    {
        var offset = 0;
        while (true)
        {
            var dot = text[offset..].IndexOf('.');
            if (dot < 0)
            {
                return false;
            }

            dot += offset;
            if (dot > 0 && dot + 1 < text.Length && char.IsAsciiDigit(text[dot - 1]) && char.IsAsciiDigit(text[dot + 1]))
            {
                return true;
            }

            offset = dot + 1;
        }
    }

    /// <summary>A run of digits, spaces and dashes holding at least 13 digits.</summary>
    private static bool MayContainCard(ReadOnlySpan<char> text)
    {
        while (true)
        {
            var start = text.IndexOfAny(Digits);
            if (start < 0)
            {
                return false;
            }

            text = text[start..];
            var length = text.IndexOfAnyExcept(CardChars);
            var run = length < 0 ? text : text[..length];
            if (run.Length >= 13 && run.Length - run.Count(' ') - run.Count('-') >= 13)
            {
                return true;
            }

            text = text[run.Length..];
        }
    }

    private static bool HasRun(ReadOnlySpan<char> text, SearchValues<char> runChars, int minLength)
    {
        while (true)
        {
            var start = text.IndexOfAny(runChars);
            if (start < 0 || text.Length - start < minLength)
            {
                return false;
            }

            text = text[start..];
            var length = text.IndexOfAnyExcept(runChars);
            if (length < 0 || length >= minLength)
            {
                return true;
            }

            text = text[length..];
        }
    }
}
