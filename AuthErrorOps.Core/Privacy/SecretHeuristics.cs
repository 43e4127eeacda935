namespace AuthErrorOps.Core.Privacy;

/// <summary>Cheap judgements on candidate tokens that a regular expression alone cannot make.</summary>
internal static class SecretHeuristics
{
    /// <summary>
    /// Whether a run of base64 characters (32 or more) is random rather than an identifier or a path. Random data
    /// mixes upper case, lower case and digits and rarely holds four lower-case letters in a row; names such as
    /// <c>SecurityTokenInvalidSignatureException2</c> are mostly such words. Tuned on samples: about 1 in 200 random
    /// 32-character strings is kept (mostly for lacking a digit), fewer as they get longer; no tested identifier or path
    /// is taken. All-lower-case tokens (base36) are not caught unless they are hex.
    /// </summary>
    public static bool LooksRandom(ReadOnlySpan<char> run)
    {
        if (run.Length == 36 && Guid.TryParseExact(run, "D", out _))
        {
            return false;
        }

        bool hasUpper = false, hasLower = false, hasDigit = false;
        int lowerRun = 0, charsInWords = 0;
        foreach (var c in run)
        {
            if (char.IsAsciiLetterLower(c))
            {
                hasLower = true;
                lowerRun++;
                continue;
            }

            hasUpper |= char.IsAsciiLetterUpper(c);
            hasDigit |= char.IsAsciiDigit(c);
            charsInWords += lowerRun >= 4 ? lowerRun : 0;
            lowerRun = 0;
        }

        charsInWords += lowerRun >= 4 ? lowerRun : 0;
        return hasUpper && hasLower && hasDigit && charsInWords * 2 < run.Length;
    }

    /// <summary>
    /// Whether the word after a bare <c>Bearer</c>/<c>Basic</c> is a credential rather than prose ("Bearer token
    /// missing", "Basic authentication disabled"): it has a digit, a base64 symbol or an inner capital, or is long.
    /// </summary>
    public static bool IsCredentialLike(ReadOnlySpan<char> word)
    {
        if (word.Length >= 20)
        {
            return true;
        }

        for (var i = 0; i < word.Length; i++)
        {
            var c = word[i];
            if (char.IsAsciiDigit(c) || c is '+' or '/' or '=' or '_' or '~' || (i > 0 && char.IsAsciiLetterUpper(c)))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Where a card number starting at <paramref name="start"/> (a group's first digit) ends: the end of the fewest
    /// whole groups holding 13–19 digits that start with 3–6 and pass the Luhn check; 0 when there is none.
    /// </summary>
    public static int FindCardEnd(ReadOnlySpan<char> run, int start)
    {
        if (run[start] is < '3' or > '6')
        {
            return 0;
        }

        var digits = 0;
        for (var position = start; position < run.Length && digits <= 19; position++)
        {
            if (char.IsAsciiDigit(run[position]))
            {
                digits++;
                var groupEnds = position + 1 == run.Length || !char.IsAsciiDigit(run[position + 1]);
                if (groupEnds && digits >= 13 && digits <= 19 && IsLuhnValid(run[start..(position + 1)]))
                {
                    return position + 1;
                }
            }
        }

        return 0;
    }

    /// <summary>Luhn check over the digits of a candidate (separators ignored).</summary>
    public static bool IsLuhnValid(ReadOnlySpan<char> candidate)
    {
        int sum = 0, digits = 0;
        for (var i = candidate.Length - 1; i >= 0; i--)
        {
            var c = candidate[i];
            if (!char.IsAsciiDigit(c))
            {
                continue;
            }

            var digit = c - '0';
            if (digits % 2 == 1)
            {
                digit = digit * 2 > 9 ? digit * 2 - 9 : digit * 2;
            }

            sum += digit;
            digits++;
        }

        return sum % 10 == 0;
    }
}
