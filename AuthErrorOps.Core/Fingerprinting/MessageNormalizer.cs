namespace AuthErrorOps.Core.Fingerprinting;

/// <summary>
/// Replaces the variable parts of an exception message with placeholders so that
/// "Login failed for bob@acme.com from 10.0.0.7" and "Login failed for eve@acme.com from 10.0.0.9"
/// read the same: <c>&lt;email&gt;</c>, <c>&lt;ip&gt;</c>, <c>&lt;uuid&gt;</c>, <c>&lt;hex&gt;</c>,
/// <c>&lt;date&gt;</c>, <c>&lt;num&gt;</c>. Whitespace runs become one space.
/// </summary>
internal static class MessageNormalizer
{
    public static string Normalize(ReadOnlySpan<char> message)
    {
        if (message.Length > FingerprintLimits.MaxMessageInputChars)
        {
            message = message[..FingerprintLimits.MaxMessageInputChars];
        }

        Span<char> buffer = stackalloc char[FingerprintLimits.MaxMessageChars];
        var writer = new BoundedCharWriter(buffer);
        var pendingSpace = false;
        var i = 0;
        while (i < message.Length)
        {
            var c = message[i];
            if (char.IsWhiteSpace(c) || char.IsControl(c))
            {
                pendingSpace = writer.Length > 0;
                i++;
                continue;
            }

            if (pendingSpace)
            {
                writer.Append(' ');
                pendingSpace = false;
            }

            if (IsTokenDelimiter(c))
            {
                writer.Append(c);
                i++;
                continue;
            }

            var start = i;
            while (i < message.Length && !IsTokenEnd(message[i]))
            {
                i++;
            }

            WriteToken(message[start..i], ref writer);
        }

        return writer.Length == 0 ? string.Empty : writer.Written.ToString();
    }

    private static bool IsTokenDelimiter(char c) => c is '(' or ')' or '[' or ']' or '{' or '}' or '<' or '>'
        or '"' or '\'' or '`' or ',' or ';' or '=' or '|' or '!' or '?' or '*';

    private static bool IsTokenEnd(char c) => IsTokenDelimiter(c) || char.IsWhiteSpace(c) || char.IsControl(c);

    private static void WriteToken(scoped ReadOnlySpan<char> token, ref BoundedCharWriter writer)
    {
        var core = token.TrimEnd(".:");
        var placeholder = core.IsEmpty ? null : Classify(core);
        if (placeholder is null)
        {
            WriteWithNumberPlaceholders(token, ref writer);
            return;
        }

        writer.Append(placeholder);
        writer.Append(token[core.Length..]);
    }

    private static string? Classify(ReadOnlySpan<char> token)
    {
        if (IsEmail(token))
        {
            return "<email>";
        }

        if (IsUuid(token))
        {
            return "<uuid>";
        }

        if (IsIPv4(token))
        {
            return "<ip>";
        }

        if (IsDateOrTime(token))
        {
            return "<date>";
        }

        if (IsIPv6(token))
        {
            return "<ip>";
        }

        return IsHex(token) ? "<hex>" : null;
    }

    /// <summary>Hex runs and digit runs inside a word: "req-7f3a9c2e1b" → "req-&lt;hex&gt;", "user42" → "user&lt;num&gt;".</summary>
    private static void WriteWithNumberPlaceholders(scoped ReadOnlySpan<char> token, ref BoundedCharWriter writer)
    {
        var partStart = 0;
        for (var i = 0; i <= token.Length; i++)
        {
            if (i < token.Length && !IsWordPartSeparator(token[i]))
            {
                continue;
            }

            var part = token[partStart..i];
            if (IsHex(part))
            {
                writer.Append("<hex>");
            }
            else
            {
                WriteWithDigitRunsReplaced(part, ref writer);
            }

            if (i < token.Length)
            {
                writer.Append(token[i]);
            }

            partStart = i + 1;
        }
    }

    private static bool IsWordPartSeparator(char c) => c is '-' or '_' or '.' or '/' or '\\' or ':' or '#' or '@' or '+' or '%' or '~' or '&';

    private static void WriteWithDigitRunsReplaced(scoped ReadOnlySpan<char> part, ref BoundedCharWriter writer)
    {
        var i = 0;
        while (i < part.Length)
        {
            if (char.IsAsciiDigit(part[i]))
            {
                while (i < part.Length && char.IsAsciiDigit(part[i]))
                {
                    i++;
                }

                writer.Append("<num>");
                continue;
            }

            var start = i;
            while (i < part.Length && !char.IsAsciiDigit(part[i]))
            {
                i++;
            }

            writer.AppendPrintable(part[start..i]);
        }
    }

    private static bool IsEmail(ReadOnlySpan<char> token)
    {
        var at = token.IndexOf('@');
        if (at <= 0)
        {
            return false;
        }

        var domain = token[(at + 1)..];
        var dot = domain.IndexOf('.');
        return dot > 0 && domain[^1] != '.' && !domain.Contains('@');
    }

    private static bool IsUuid(ReadOnlySpan<char> token)
    {
        if (token.Length != 36)
        {
            return false;
        }

        for (var i = 0; i < token.Length; i++)
        {
            var isDashPosition = i is 8 or 13 or 18 or 23;
            if (isDashPosition ? token[i] != '-' : !char.IsAsciiHexDigit(token[i]))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Four dotted groups of up to three digits, optionally with ":port" or "/prefix".</summary>
    private static bool IsIPv4(ReadOnlySpan<char> token)
    {
        var i = 0;
        for (var group = 0; group < 4; group++)
        {
            if (group > 0)
            {
                if (i >= token.Length || token[i] != '.')
                {
                    return false;
                }

                i++;
            }

            var digits = 0;
            while (i < token.Length && char.IsAsciiDigit(token[i]) && digits < 4)
            {
                i++;
                digits++;
            }

            if (digits is 0 or > 3)
            {
                return false;
            }
        }

        if (i == token.Length)
        {
            return true;
        }

        return (token[i] == ':' || token[i] == '/') && i + 1 < token.Length && AllAsciiDigits(token[(i + 1)..]);
    }

    /// <summary>Hex groups and colons with "::" or seven colons, optionally a "%zone" ("fe80::1%eth0", "2001:db8::1").</summary>
    private static bool IsIPv6(ReadOnlySpan<char> token)
    {
        var percent = token.IndexOf('%');
        var address = percent >= 0 ? token[..percent] : token;
        var colons = 0;
        foreach (var c in address)
        {
            if (c == ':')
            {
                colons++;
            }
            else if (!char.IsAsciiHexDigit(c) && c != '.')
            {
                return false;
            }
        }

        return colons >= 2 && (address.Contains("::", StringComparison.Ordinal) || colons == 7);
    }

    /// <summary>ISO dates ("2024-05-01", "2024-05-01T10:20:30Z"), "05/01/2024", "1-5-24" and times ("10:20", "10:20:30.123").</summary>
    private static bool IsDateOrTime(ReadOnlySpan<char> token)
    {
        if (token.Length >= 10 && AllAsciiDigits(token[..4]) && token[4] == '-' && AllAsciiDigits(token[5..7]) &&
            token[7] == '-' && AllAsciiDigits(token[8..10]))
        {
            return true;
        }

        var i = 0;
        var first = CountDigits(token, ref i);
        if (first is 0 or > 2 || i >= token.Length)
        {
            return false;
        }

        var separator = token[i];
        if (separator is '/' or '-')
        {
            i++;
            var second = CountDigits(token, ref i);
            if (second is 0 or > 2 || i >= token.Length || token[i] != separator)
            {
                return false;
            }

            i++;
            var year = CountDigits(token, ref i);
            return year is 2 or 4 && i == token.Length;
        }

        if (separator != ':')
        {
            return false;
        }

        i++;
        if (CountDigits(token, ref i) != 2)
        {
            return false;
        }

        if (i < token.Length && token[i] == ':')
        {
            i++;
            if (CountDigits(token, ref i) != 2)
            {
                return false;
            }
        }

        if (i < token.Length && (token[i] == '.' || token[i] == ','))
        {
            i++;
            if (CountDigits(token, ref i) == 0)
            {
                return false;
            }
        }

        if (i < token.Length && token[i] == 'Z')
        {
            i++;
        }

        return i == token.Length;
    }

    /// <summary>"0x1f", or a run of at least eight hex digits that mixes digits and letters (hashes, ids).</summary>
    private static bool IsHex(ReadOnlySpan<char> token)
    {
        if (token.Length > 2 && token[0] == '0' && (token[1] == 'x' || token[1] == 'X'))
        {
            return AllAsciiHexDigits(token[2..]);
        }

        if (token.Length < 8 || !AllAsciiHexDigits(token))
        {
            return false;
        }

        return token.IndexOfAnyInRange('0', '9') >= 0 && token.IndexOfAnyExceptInRange('0', '9') >= 0;
    }

    private static int CountDigits(ReadOnlySpan<char> token, ref int index)
    {
        var start = index;
        while (index < token.Length && char.IsAsciiDigit(token[index]))
        {
            index++;
        }

        return index - start;
    }

    private static bool AllAsciiDigits(ReadOnlySpan<char> text) => !text.IsEmpty && text.IndexOfAnyExceptInRange('0', '9') < 0;

    private static bool AllAsciiHexDigits(ReadOnlySpan<char> text)
    {
        foreach (var c in text)
        {
            if (!char.IsAsciiHexDigit(c))
            {
                return false;
            }
        }

        return !text.IsEmpty;
    }
}
