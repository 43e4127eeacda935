namespace AuthErrorOps.Core.Fingerprinting;

/// <summary>
/// Turns the text after "at " of a JVM frame into a build-independent name:
/// <c>app//com.acme.AuthService$$SpringCGLIB$$0.login(&lt;generated&gt;)</c> becomes <c>com.acme.AuthService.login</c>,
/// <c>com.acme.Auth.lambda$login$0(Auth.java:42)</c> becomes <c>com.acme.Auth.login{lambda}</c>.
/// </summary>
internal static class JvmFrameNormalizer
{
    private static readonly string[] ProxyMarkers =
        ["EnhancerBy", "FastClassBy", "SpringCGLIB", "CGLIB", "ByteBuddy", "HibernateProxy", "MockitoMock"];

    /// <summary>
    /// JVM frames end in a source location, "(Auth.java:42)", "(Unknown Source)", "(Native Method)",
    /// "(&lt;generated&gt;)", or carry a module or class-loader prefix ("java.base/", "app//");
    /// .NET frames list parameters ("(String user)") or nothing.
    /// </summary>
    public static bool LooksLikeJvmFrame(ReadOnlySpan<char> frame)
    {
        var open = frame.IndexOf('(');
        if (open < 0)
        {
            return false;
        }

        if (frame[..open].Contains('/'))
        {
            return true;
        }

        var location = frame[(open + 1)..];
        var close = location.IndexOf(')');
        if (close >= 0)
        {
            location = location[..close];
        }

        if (location.StartsWith("Unknown Source") || location.SequenceEqual("Native Method") ||
            location.SequenceEqual("<generated>"))
        {
            return true;
        }

        if (location.IsEmpty || location.ContainsAny(' ', ','))
        {
            return false;
        }

        var colon = location.IndexOf(':');
        var file = colon >= 0 ? location[..colon] : location;
        if (file.SequenceEqual("SourceFile"))
        {
            return true;
        }

        var dot = file.LastIndexOf('.');
        if (dot <= 0 || dot == file.Length - 1 || file.Length - dot - 1 > 6)
        {
            return false;
        }

        foreach (var c in file[(dot + 1)..])
        {
            if (!char.IsAsciiLetterLower(c))
            {
                return false;
            }
        }

        return true;
    }

    /// <returns>The normalised length written to <paramref name="destination"/>; 0 when nothing usable was found.</returns>
    /// <param name="typeNameStart">Where the declaring class's short name starts in <paramref name="destination"/>.</param>
    /// <param name="scratch">Working space of <see cref="FingerprintLimits.MaxSymbolChars"/>, distinct from <paramref name="destination"/>.</param>
    public static int Normalize(ReadOnlySpan<char> frame, Span<char> destination, Span<char> scratch, out int typeNameStart)
    {
        var symbolBuffer = scratch[..FingerprintLimits.MaxSymbolChars];
        var symbol = symbolBuffer[..CopySymbol(frame, symbolBuffer)];

        var lastDot = symbol.LastIndexOf('.');
        var className = lastDot >= 0 ? symbol[..lastDot] : [];
        var methodName = symbol[(lastDot + 1)..];

        var writer = new BoundedCharWriter(destination);
        typeNameStart = 0;
        WriteClassName(className, ref writer, ref typeNameStart);
        WriteMethodName(methodName, ref writer, ref typeNameStart);
        return writer.Length;
    }

    /// <summary>Copies the symbol before "(", without module/class-loader prefixes and hidden-class addresses ("/0x0000000800c0b000").</summary>
    private static int CopySymbol(ReadOnlySpan<char> frame, Span<char> destination)
    {
        // Fast path for the usual plain ASCII name with no prefix.
        var open = frame.IndexOf('(');
        var name = open >= 0 ? frame[..open] : frame;
        if (name.Length <= destination.Length && name.IndexOfAnyExceptInRange('!', '~') < 0 && !name.Contains('/'))
        {
            name.CopyTo(destination);
            return name.Length;
        }

        var writer = new BoundedCharWriter(destination);
        for (var i = 0; i < frame.Length; i++)
        {
            var c = frame[i];
            if (c == '(')
            {
                break;
            }

            if (c == '/')
            {
                if (i + 2 < frame.Length && frame[i + 1] == '0' && (frame[i + 2] == 'x' || frame[i + 2] == 'X'))
                {
                    i += 2;
                    while (i + 1 < frame.Length && char.IsAsciiHexDigit(frame[i + 1]))
                    {
                        i++;
                    }

                    continue;
                }

                writer.Truncate(0);
                continue;
            }

            if (char.IsWhiteSpace(c) || char.IsControl(c) || char.IsSurrogate(c))
            {
                continue;
            }

            writer.Append(c);
        }

        return writer.Length;
    }

    private static void WriteClassName(scoped ReadOnlySpan<char> className, ref BoundedCharWriter writer, ref int typeNameStart)
    {
        var skipRestOfClass = false;
        var generatedMarkerSeen = false;
        var previousTokenWasEmpty = false;
        var separator = '\0';
        var tokenStart = 0;
        for (var i = 0; i <= className.Length; i++)
        {
            if (i < className.Length && className[i] != '.' && className[i] != '$')
            {
                continue;
            }

            var token = className[tokenStart..i];
            var tokenSeparator = separator;
            separator = i < className.Length ? className[i] : '\0';
            tokenStart = i + 1;

            var wasEmpty = previousTokenWasEmpty;
            previousTokenWasEmpty = token.IsEmpty;

            if (tokenSeparator != '$')
            {
                skipRestOfClass = false;
                generatedMarkerSeen = false;
                if (!token.IsEmpty)
                {
                    WriteNamedSegment(token, ref writer, ref typeNameStart);
                }

                continue;
            }

            if (skipRestOfClass)
            {
                continue;
            }

            // "$$" opens a generated suffix: "$$Lambda$123", "$$EnhancerBySpringCGLIB$$abc123", "$$SpringCGLIB$$0".
            if (token.IsEmpty)
            {
                generatedMarkerSeen = true;
                continue;
            }

            if (generatedMarkerSeen)
            {
                generatedMarkerSeen = false;
                if (token.StartsWith("Lambda"))
                {
                    writer.Append("{lambda}");
                }

                skipRestOfClass = true;
                continue;
            }

            if (IsProxyMarker(token))
            {
                skipRestOfClass = true;
                continue;
            }

            var digits = CountLeadingDigits(token);
            if (digits == token.Length)
            {
                // Anonymous classes are numbered in source order: "Auth$1".
                writer.Append("{anonymous}");
                continue;
            }

            if (wasEmpty)
            {
                // A class named with a leading '$', such as JDK proxies "$Proxy123".
                WriteNamedSegment("$", ref writer, ref typeNameStart);
                writer.Append(token.TrimEnd("0123456789"));
                continue;
            }

            // Local classes carry an ordinal prefix: "Auth$1Validator".
            WriteNamedSegment(token[digits..], ref writer, ref typeNameStart);
        }
    }

    private static void WriteMethodName(scoped ReadOnlySpan<char> methodName, ref BoundedCharWriter writer, ref int typeNameStart)
    {
        if (methodName.IsEmpty)
        {
            return;
        }

        if (writer.Length > 0)
        {
            writer.Append('.');
        }
        else
        {
            typeNameStart = 0;
        }

        if (methodName.StartsWith("lambda$"))
        {
            // javac names lambda bodies "lambda$login$0" after the enclosing method.
            var enclosing = methodName["lambda$".Length..];
            var dollar = enclosing.IndexOf('$');
            writer.Append(dollar >= 0 ? enclosing[..dollar] : enclosing.TrimEnd("0123456789"));
            writer.Append("{lambda}");
            return;
        }

        if (methodName.StartsWith("access$"))
        {
            writer.Append("access");
            return;
        }

        var first = true;
        foreach (var range in methodName.Split('$'))
        {
            var token = methodName[range];
            if (first)
            {
                writer.Append(token);
                first = false;
            }
            else if (token.SequenceEqual("lambda"))
            {
                writer.Append("{lambda}");
            }
            else if (!token.IsEmpty && CountLeadingDigits(token) != token.Length)
            {
                writer.Append('$');
                writer.Append(token);
            }
        }
    }

    private static void WriteNamedSegment(scoped ReadOnlySpan<char> segment, ref BoundedCharWriter writer, ref int typeNameStart)
    {
        if (writer.Length > 0)
        {
            writer.Append('.');
        }

        typeNameStart = writer.Length;
        writer.Append(segment);
    }

    private static bool IsProxyMarker(ReadOnlySpan<char> token)
    {
        foreach (var marker in ProxyMarkers)
        {
            if (token.StartsWith(marker, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    private static int CountLeadingDigits(ReadOnlySpan<char> token)
    {
        var count = 0;
        while (count < token.Length && char.IsAsciiDigit(token[count]))
        {
            count++;
        }

        return count;
    }
}
