namespace AuthErrorOps.Core.Fingerprinting;

/// <summary>
/// Turns the text after "at " of a .NET frame into a build-independent name:
/// <c>Acme.Auth.LoginService+&lt;&gt;c__DisplayClass5_0.&lt;Login&gt;b__0(String u) in /src/LoginService.cs:line 42</c>
/// becomes <c>Acme.Auth.LoginService.Login{lambda}</c>.
/// </summary>
internal static class DotNetFrameNormalizer
{
    private const int MaxSegments = 64;
    private const int MaxGeneratedNameNesting = 4;

    /// <returns>The normalised length written to <paramref name="destination"/>; 0 when nothing usable was found.</returns>
    /// <param name="typeNameStart">Where the declaring type's short name starts in <paramref name="destination"/>.</param>
    /// <param name="scratch">Working space of <see cref="FingerprintLimits.MaxSymbolChars"/>, distinct from <paramref name="destination"/>.</param>
    public static int Normalize(ReadOnlySpan<char> frame, Span<char> destination, Span<char> scratch, out int typeNameStart)
    {
        var symbolBuffer = scratch[..FingerprintLimits.MaxSymbolChars];
        var symbolLength = CopySymbol(frame, symbolBuffer);
        var symbol = LastSpaceSeparatedToken(symbolBuffer[..symbolLength]);
        return WriteSegments(symbol, destination, out typeNameStart);
    }

    /// <summary>
    /// Copies the method symbol: stops at the parameter list (so "in file:line", IL offsets and
    /// "+ 0x1a" go too) and skips bracketed generic arguments (<c>List`1[[System.Int32, …]]</c>, <c>Get[T]</c>).
    /// </summary>
    private static int CopySymbol(ReadOnlySpan<char> frame, Span<char> destination)
    {
        // Fast path for the usual plain ASCII name without generic arguments in brackets.
        var open = frame.IndexOf('(');
        if (open >= 0)
        {
            var name = frame[..open];
            if (name.Length <= destination.Length && name.IndexOfAnyExceptInRange('!', '~') < 0 && !name.Contains('['))
            {
                name.CopyTo(destination);
                return name.Length;
            }
        }

        var writer = new BoundedCharWriter(destination);
        var hasParameterList = open >= 0;
        var bracketDepth = 0;
        for (var i = 0; i < frame.Length; i++)
        {
            var c = frame[i];
            if (c == '[')
            {
                bracketDepth++;
                continue;
            }

            if (c == ']')
            {
                bracketDepth = Math.Max(0, bracketDepth - 1);
                continue;
            }

            if (bracketDepth > 0 || char.IsControl(c) || char.IsSurrogate(c))
            {
                continue;
            }

            if (c == '(')
            {
                break;
            }

            // NativeAOT frames without a parameter list: "Acme.Auth!<BaseAddress>+0x9b0f4".
            if (!hasParameterList && (char.IsWhiteSpace(c) || (c == '+' && IsHexPrefixAt(frame, i + 1))))
            {
                break;
            }

            writer.Append(c);
        }

        return writer.Length;
    }

    private static bool IsHexPrefixAt(ReadOnlySpan<char> text, int index) =>
        index + 1 < text.Length && text[index] == '0' && (text[index + 1] == 'x' || text[index + 1] == 'X');

    /// <summary>Drops a prefix such as Ben.Demystifier's "async Task&lt;IActionResult&gt; " and Mono's space before "(".</summary>
    private static ReadOnlySpan<char> LastSpaceSeparatedToken(ReadOnlySpan<char> symbol)
    {
        symbol = symbol.Trim();
        var angleDepth = 0;
        for (var i = symbol.Length - 1; i >= 0; i--)
        {
            var c = symbol[i];
            if (c == '>')
            {
                angleDepth++;
            }
            else if (c == '<')
            {
                angleDepth = Math.Max(0, angleDepth - 1);
            }
            else if (angleDepth == 0 && char.IsWhiteSpace(c))
            {
                return symbol[(i + 1)..];
            }
        }

        return symbol;
    }

    private static int WriteSegments(ReadOnlySpan<char> symbol, Span<char> destination, out int typeNameStart)
    {
        var writer = new BoundedCharWriter(destination);
        Span<int> segmentStarts = stackalloc int[MaxSegments];
        var emittedCount = 0;
        var methodSegmentIndex = -1;
        var previousWasStateMachine = false;

        var segmentStart = 0;
        var angleDepth = 0;
        for (var i = 0; i <= symbol.Length; i++)
        {
            if (i < symbol.Length)
            {
                var c = symbol[i];
                if (c == '<')
                {
                    angleDepth++;
                    continue;
                }

                if (c == '>')
                {
                    angleDepth = Math.Max(0, angleDepth - 1);
                    continue;
                }

                // A '.' that opens a segment belongs to it: "Type..ctor" is "Type" + ".ctor".
                if (angleDepth > 0 || (c != '.' && c != '+') || (c == '.' && i == segmentStart))
                {
                    continue;
                }
            }

            var segment = symbol[segmentStart..i];
            segmentStart = i + 1;
            if (segment.IsEmpty)
            {
                continue;
            }

            // Closures and their caches ("<>c__DisplayClass5_0", "<>c") say nothing stable.
            if (segment.StartsWith("<>"))
            {
                previousWasStateMachine = false;
                continue;
            }

            if (previousWasStateMachine && segment.SequenceEqual("MoveNext"))
            {
                previousWasStateMachine = false;
                continue;
            }

            previousWasStateMachine = false;
            var lengthBefore = writer.Length;
            if (emittedCount > 0)
            {
                writer.Append('.');
            }

            var start = writer.Length;
            if (segment[0] == '<')
            {
                WriteGeneratedName(segment, ref writer, 0, out previousWasStateMachine);
                if (methodSegmentIndex < 0)
                {
                    methodSegmentIndex = emittedCount;
                }
            }
            else
            {
                WriteOrdinarySegment(segment, ref writer);
            }

            if (writer.Length == start)
            {
                writer.Truncate(lengthBefore);
                continue;
            }

            if (emittedCount < MaxSegments)
            {
                segmentStarts[emittedCount] = start;
            }

            emittedCount++;
        }

        typeNameStart = 0;
        if (emittedCount > 1)
        {
            var methodIndex = methodSegmentIndex >= 0 ? methodSegmentIndex : emittedCount - 1;
            var typeIndex = Math.Min(Math.Max(0, methodIndex - 1), MaxSegments - 1);
            typeNameStart = segmentStarts[typeIndex];
        }

        return writer.Length;
    }

    /// <summary>
    /// Compiler-generated names: "&lt;Login&gt;d__12" (state machine) → "Login", "&lt;Login&gt;b__0_1" → "Login{lambda}",
    /// "&lt;Login&gt;g__Check|3_0" → "Login.Check", "&lt;&lt;Login&gt;b__0&gt;d" → "Login{lambda}", "&lt;Main&gt;$" → "Main".
    /// </summary>
    private static void WriteGeneratedName(scoped ReadOnlySpan<char> segment, ref BoundedCharWriter writer, int nesting, out bool isStateMachine)
    {
        isStateMachine = false;
        var close = FindMatchingAngle(segment);
        if (close < 0 || nesting >= MaxGeneratedNameNesting)
        {
            writer.Append(segment);
            return;
        }

        var inner = segment[1..close];
        var suffix = segment[(close + 1)..];
        if (inner.IsEmpty)
        {
            return;
        }

        if (inner[0] == '<')
        {
            WriteGeneratedName(inner, ref writer, nesting + 1, out _);
        }
        else
        {
            writer.Append(inner);
        }

        if (suffix.StartsWith("b__"))
        {
            writer.Append("{lambda}");
        }
        else if (suffix.StartsWith("g__"))
        {
            var localFunction = suffix[3..];
            var bar = localFunction.IndexOf('|');
            if (bar >= 0)
            {
                localFunction = localFunction[..bar];
            }

            if (!localFunction.IsEmpty)
            {
                writer.Append('.');
                writer.Append(localFunction);
            }
        }
        else if (suffix.Length > 0 && suffix[0] == 'd')
        {
            isStateMachine = true;
        }
    }

    private static int FindMatchingAngle(ReadOnlySpan<char> segment)
    {
        var depth = 0;
        for (var i = 0; i < segment.Length; i++)
        {
            if (segment[i] == '<')
            {
                depth++;
            }
            else if (segment[i] == '>' && --depth == 0)
            {
                return i;
            }
        }

        return -1;
    }

    private static void WriteOrdinarySegment(scoped ReadOnlySpan<char> segment, ref BoundedCharWriter writer)
    {
        // Generic arguments in angle brackets (NativeAOT "Cache`1<Int32>", Demystifier "Get<T>") go like bracketed ones.
        var genericArguments = segment.IndexOf('<');
        if (genericArguments > 0)
        {
            segment = segment[..genericArguments];
        }

        // Expression-tree delegates are numbered per process: "lambda_method123".
        if (segment.StartsWith("lambda_method"))
        {
            writer.Append(segment.TrimEnd("0123456789"));
            return;
        }

        // F# closures carry their line number: "login@42-1".
        var at = segment.IndexOf('@');
        if (at > 0 && at + 1 < segment.Length && char.IsAsciiDigit(segment[at + 1]))
        {
            writer.Append(segment[..at]);
            writer.Append("{lambda}");
            return;
        }

        writer.Append(segment);
    }
}
