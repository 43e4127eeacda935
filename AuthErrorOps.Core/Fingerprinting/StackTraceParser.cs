using System.Buffers;

namespace AuthErrorOps.Core.Fingerprinting;

/// <summary>
/// One pass over a .NET or JVM stack trace that splits it into exception levels (outer exception,
/// inner/"Caused by" exceptions) and keeps, per level, the first in-app frames and the first frames of
/// any kind, normalised and with runs of identical frames collapsed. Everything lives in pooled buffers.
/// </summary>
internal sealed class StackTraceParser : IDisposable
{
    private const int MaxStoredFrames =
        FingerprintLimits.MaxExceptionLevels * (FingerprintLimits.MaxInAppFramesPerLevel + FingerprintLimits.MaxTopFramesPerLevel);

    private const int ArenaChars =
        MaxStoredFrames * FingerprintLimits.MaxFrameChars + FingerprintLimits.MaxExceptionLevels * FingerprintLimits.MaxTypeNameChars;

    private const int ScratchChars = FingerprintLimits.MaxSymbolChars;

    private static readonly SearchValues<char> LineBreaks = SearchValues.Create("\r\n\u0085\u2028\u2029");

    // Stored frames and level types, then the normalisers' scratch space at the end.
    private readonly char[] _arena = ArrayPool<char>.Shared.Rent(ArenaChars + ScratchChars);
    private readonly ParsedFrame[] _frames = ArrayPool<ParsedFrame>.Shared.Rent(MaxStoredFrames);
    private readonly ExceptionLevel[] _levels = new ExceptionLevel[FingerprintLimits.MaxExceptionLevels];
    private readonly int[] _levelStack = new int[FingerprintLimits.MaxExceptionLevels];
    private int _arenaLength;
    private int _levelStackDepth;
    private int _pushesBeyondLimit;
    private bool _firstLineSeen;
    private bool _frameSeen;
    private int _suppressedIndent = -1;

    public StackTraceParser()
    {
        _levels[0] = ExceptionLevel.Create(typeStart: 0, typeLength: 0);
        LevelCount = 1;
        _levelStack[0] = 0;
        _levelStackDepth = 1;
    }

    public int LevelCount { get; private set; }

    public int FrameCount { get; private set; }

    /// <summary>The exception type on the trace's first line, used when the caller gave none.</summary>
    public ReadOnlyMemory<char> HeaderTypeName { get; private set; }

    /// <summary>The message on the trace's first line, used for the fallback when the caller gave none.</summary>
    public ReadOnlyMemory<char> HeaderMessage { get; private set; }

    public ReadOnlySpan<ParsedFrame> Frames => _frames.AsSpan(0, FrameCount);

    public bool HasInAppFrames
    {
        get
        {
            for (var i = 0; i < LevelCount; i++)
            {
                if (_levels[i].InAppCount > 0)
                {
                    return true;
                }
            }

            return false;
        }
    }

    public ReadOnlySpan<char> FrameText(in ParsedFrame frame) => _arena.AsSpan(frame.Start, frame.Length);

    /// <summary>The exception type of an inner level (level 0 is the caller's primary type).</summary>
    public ReadOnlySpan<char> LevelTypeName(int level) => _arena.AsSpan(_levels[level].TypeStart, _levels[level].TypeLength);

    public void Parse(string trace)
    {
        var text = trace.AsMemory(0, Math.Min(trace.Length, FingerprintLimits.MaxTraceChars));
        var span = text.Span;
        var position = 0;
        while (position < span.Length)
        {
            var rest = span[position..];
            var lineLength = rest.IndexOfAny(LineBreaks);
            if (lineLength < 0)
            {
                lineLength = rest.Length;
            }

            ParseLine(text.Slice(position, lineLength));
            position += lineLength;
            if (position < span.Length && span[position] == '\r' && position + 1 < span.Length && span[position + 1] == '\n')
            {
                position++;
            }

            position++;
        }
    }

    private void ParseLine(ReadOnlyMemory<char> lineMemory)
    {
        var line = lineMemory.Span;
        var indent = CountLeadingWhitespace(line);
        var trimmed = TrimWhitespaceAndControl(line);
        if (trimmed.IsEmpty)
        {
            return;
        }

        if (_suppressedIndent >= 0)
        {
            if (indent > _suppressedIndent)
            {
                return;
            }

            _suppressedIndent = -1;
        }

        // A frame names a method with its parameter list, or is a NativeAOT "Module!<BaseAddress>+0x…";
        // a message line that merely starts with "at " is neither.
        if (trimmed.Length > 3 && trimmed.StartsWith("at") && char.IsWhiteSpace(trimmed[2]) && trimmed.ContainsAny('(', '!'))
        {
            _firstLineSeen = true;
            _frameSeen = true;
            var frame = trimmed[3..].TrimStart();
            var closesAggregateInner = frame.EndsWith("<---");
            if (closesAggregateInner)
            {
                frame = frame[..^4].TrimEnd();
            }

            AddFrame(frame);
            if (closesAggregateInner)
            {
                PopToRoot();
            }

            return;
        }

        if (trimmed.StartsWith("--- End of inner exception stack trace"))
        {
            _firstLineSeen = true;
            PopLevel();
            return;
        }

        if (trimmed.StartsWith("Caused by:"))
        {
            _firstLineSeen = true;
            PushLevelsFromHeader(trimmed["Caused by:".Length..]);
            return;
        }

        if (trimmed.StartsWith("Suppressed:"))
        {
            // A suppressed exception's block is indented under its own header; it is not the cause.
            _firstLineSeen = true;
            _suppressedIndent = indent;
            return;
        }

        if (trimmed.StartsWith("--->"))
        {
            _firstLineSeen = true;
            var header = trimmed[4..].TrimStart();
            if (header.StartsWith("(Inner Exception #"))
            {
                // AggregateException lists its other inner exceptions after its own trace.
                var close = header.IndexOf(')');
                header = close < 0 ? [] : header[(close + 1)..];
                PopToRoot();
            }

            PushLevelsFromHeader(header);
            return;
        }

        if (trimmed.SequenceEqual("<---"))
        {
            PopToRoot();
            return;
        }

        if (!_firstLineSeen)
        {
            _firstLineSeen = true;
            ReadPrimaryHeader(lineMemory, trimmed);
            return;
        }

        // .NET Framework wrote inner exceptions on the message line: "outer message ---> Inner.Type: inner message".
        if (!_frameSeen)
        {
            var arrow = trimmed.IndexOf("---> ", StringComparison.Ordinal);
            if (arrow >= 0)
            {
                PushLevelsFromHeader(trimmed[arrow..]);
            }
        }
    }

    private void ReadPrimaryHeader(ReadOnlyMemory<char> lineMemory, ReadOnlySpan<char> trimmed)
    {
        var header = StripHeaderPrefix(trimmed);
        var typeLength = ReadTypeName(header);
        if (typeLength == 0)
        {
            return;
        }

        var line = lineMemory.Span;
        line.Overlaps(header, out var headerOffset);
        HeaderTypeName = lineMemory.Slice(headerOffset, typeLength);

        var afterType = header[typeLength..];
        var arrow = afterType.IndexOf("---> ", StringComparison.Ordinal);
        var messagePart = arrow >= 0 ? afterType[..arrow] : afterType;
        if (messagePart.StartsWith(" (0x"))
        {
            // .NET's "Type (0x80004005): message" carries the HRESULT before the message.
            var close = messagePart.IndexOf(')');
            messagePart = close < 0 ? [] : messagePart[(close + 1)..];
        }

        if (messagePart.StartsWith(":"))
        {
            var message = messagePart[1..].Trim();
            line.Overlaps(message, out var messageOffset);
            HeaderMessage = lineMemory.Slice(messageOffset, message.Length);
        }

        if (arrow >= 0)
        {
            PushLevelsFromHeader(afterType[arrow..]);
        }
    }

    private static ReadOnlySpan<char> StripHeaderPrefix(ReadOnlySpan<char> header)
    {
        if (header.StartsWith("Unhandled exception. "))
        {
            return header["Unhandled exception. ".Length..];
        }

        if (header.StartsWith("Unhandled Exception: "))
        {
            return header["Unhandled Exception: ".Length..];
        }

        if (header.StartsWith("Exception in thread \""))
        {
            var closingQuote = header["Exception in thread \"".Length..].IndexOf('"');
            if (closingQuote >= 0)
            {
                return header[("Exception in thread \"".Length + closingQuote + 1)..].TrimStart();
            }
        }

        return header;
    }

    /// <summary>Reads "Type: message" and any ".NET Framework style" "---> Inner.Type: message" that follows on the same line.</summary>
    private void PushLevelsFromHeader(ReadOnlySpan<char> header)
    {
        while (true)
        {
            header = header.TrimStart();
            if (header.StartsWith("--->"))
            {
                header = header[4..].TrimStart();
            }

            var typeLength = ReadTypeName(header);
            if (typeLength == 0)
            {
                return;
            }

            PushLevel(header[..typeLength]);
            var rest = header[typeLength..];
            var arrow = rest.IndexOf("---> ", StringComparison.Ordinal);
            if (arrow < 0 || LevelCount >= FingerprintLimits.MaxExceptionLevels)
            {
                return;
            }

            header = rest[arrow..];
        }
    }

    /// <summary>Length of a type name at the start of <paramref name="text"/>, or 0 when it does not start with one.</summary>
    private static int ReadTypeName(ReadOnlySpan<char> text)
    {
        if (text.IsEmpty || !(char.IsLetter(text[0]) || text[0] == '_'))
        {
            return 0;
        }

        var length = 1;
        while (length < text.Length && IsTypeNameChar(text[length]))
        {
            if (++length > FingerprintLimits.MaxTypeNameChars)
            {
                return 0;
            }
        }

        // "Type: message", "Type" alone, a generic "Type`1[[...]]" or .NET's "Type (0x80004005): message";
        // anything else is prose.
        if (length < text.Length && text[length] != ':' && text[length] != '[' && !text[length..].StartsWith(" (0x"))
        {
            return 0;
        }

        // A trailing '.' belongs to a sentence, not to a type.
        return text[..length].TrimEnd('.').Length;
    }

    private static bool IsTypeNameChar(char c) => char.IsLetterOrDigit(c) || c is '_' or '.' or '$' or '+' or '`';

    private void PushLevel(ReadOnlySpan<char> typeName)
    {
        if (LevelCount >= FingerprintLimits.MaxExceptionLevels)
        {
            _pushesBeyondLimit++;
            return;
        }

        var typeStart = _arenaLength;
        typeName.CopyTo(_arena.AsSpan(typeStart));
        _arenaLength += typeName.Length;
        _levels[LevelCount] = ExceptionLevel.Create(typeStart, typeName.Length);
        _levelStack[_levelStackDepth++] = LevelCount;
        LevelCount++;
    }

    private void PopLevel()
    {
        if (_pushesBeyondLimit > 0)
        {
            _pushesBeyondLimit--;
        }
        else if (_levelStackDepth > 1)
        {
            _levelStackDepth--;
        }
    }

    private void PopToRoot()
    {
        _levelStackDepth = 1;
        _pushesBeyondLimit = 0;
    }

    private void AddFrame(ReadOnlySpan<char> frameText)
    {
        var levelIndex = _levelStack[_levelStackDepth - 1];
        ref var level = ref _levels[levelIndex];
        if (level.InAppCount >= FingerprintLimits.MaxInAppFramesPerLevel && level.TopCount >= FingerprintLimits.MaxTopFramesPerLevel)
        {
            return;
        }

        if (frameText.Length > FingerprintLimits.MaxFrameInputChars)
        {
            frameText = frameText[..FingerprintLimits.MaxFrameInputChars];
        }

        // Past the top frames only in-app frames can still be taken: skip normalising what is surely framework.
        if (level.TopCount >= FingerprintLimits.MaxTopFramesPerLevel && FrameClassifier.IsSurelyFramework(frameText))
        {
            return;
        }

        var destination = _arena.AsSpan(_arenaLength, FingerprintLimits.MaxFrameChars);
        var scratch = _arena.AsSpan(ArenaChars, ScratchChars);
        int typeNameStart;
        var length = JvmFrameNormalizer.LooksLikeJvmFrame(frameText)
            ? JvmFrameNormalizer.Normalize(frameText, destination, scratch, out typeNameStart)
            : DotNetFrameNormalizer.Normalize(frameText, destination, scratch, out typeNameStart);
        if (length == 0)
        {
            return;
        }

        var normalized = destination[..length];
        if (FrameClassifier.IsNoise(normalized))
        {
            return;
        }

        var isTop = level.TopCount < FingerprintLimits.MaxTopFramesPerLevel &&
            (level.LastTopFrame < 0 || !normalized.SequenceEqual(FrameText(_frames[level.LastTopFrame])));
        var isInApp = level.InAppCount < FingerprintLimits.MaxInAppFramesPerLevel && FrameClassifier.IsInApp(normalized) &&
            (level.LastInAppFrame < 0 || !normalized.SequenceEqual(FrameText(_frames[level.LastInAppFrame])));
        if (!isTop && !isInApp)
        {
            return;
        }

        var frameIndex = FrameCount++;
        _frames[frameIndex] = new ParsedFrame(levelIndex, _arenaLength, length, typeNameStart, isInApp, isTop);
        _arenaLength += length;
        if (isTop)
        {
            level.TopCount++;
            level.LastTopFrame = frameIndex;
        }

        if (isInApp)
        {
            level.InAppCount++;
            level.LastInAppFrame = frameIndex;
        }
    }

    private static int CountLeadingWhitespace(ReadOnlySpan<char> line)
    {
        var count = 0;
        while (count < line.Length && char.IsWhiteSpace(line[count]))
        {
            count++;
        }

        return count;
    }

    private static ReadOnlySpan<char> TrimWhitespaceAndControl(ReadOnlySpan<char> line)
    {
        var start = 0;
        while (start < line.Length && (char.IsWhiteSpace(line[start]) || char.IsControl(line[start])))
        {
            start++;
        }

        var end = line.Length;
        while (end > start && (char.IsWhiteSpace(line[end - 1]) || char.IsControl(line[end - 1])))
        {
            end--;
        }

        return line[start..end];
    }

    public void Dispose()
    {
        ArrayPool<char>.Shared.Return(_arena);
        ArrayPool<ParsedFrame>.Shared.Return(_frames);
    }

    private struct ExceptionLevel
    {
        public int TypeStart;
        public int TypeLength;
        public int InAppCount;
        public int TopCount;
        public int LastInAppFrame;
        public int LastTopFrame;

        public static ExceptionLevel Create(int typeStart, int typeLength) => new()
        {
            TypeStart = typeStart,
            TypeLength = typeLength,
            LastInAppFrame = -1,
            LastTopFrame = -1,
        };
    }
}

/// <param name="Level">Index of the exception level: 0 is the outer exception, then inner/"Caused by" levels in trace order.</param>
/// <param name="TypeNameStart">Where "Type.Method" starts within the frame text, for the title.</param>
/// <param name="IsInApp">Among the level's first in-app frames.</param>
/// <param name="IsTop">Among the level's first frames of any kind.</param>
internal readonly record struct ParsedFrame(int Level, int Start, int Length, int TypeNameStart, bool IsInApp, bool IsTop);
