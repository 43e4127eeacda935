using System.Buffers;
using System.Security.Cryptography;
using System.Text;

namespace AuthErrorOps.Core.Fingerprinting;

/// <summary>
/// Computes <c>stack_hash</c>: SHA-256 over the exception types of every level (outer, inner, "Caused by")
/// and their normalised top frames, so one root cause keeps one hash across builds, hosts and call paths.
/// Rules are in docs/fingerprint-rules.md; the selection is:
/// <list type="bullet">
/// <item>per level, the first 8 in-app frames when the trace has any in-app frame, otherwise the first 5 frames;</item>
/// <item>noise frames (ExceptionDispatchInfo, awaiters, async builders, ExecutionContext, reflection) never count;</item>
/// <item>a run of identical frames counts once;</item>
/// <item>with no frame at all, the message with placeholders for variable parts is hashed instead.</item>
/// </list>
/// Pure and thread-safe; reads at most the first 32,768 characters of the trace, in time linear in that.
/// </summary>
public static class StackFingerprint
{
    /// <summary>Bump whenever any change would alter a hash for the same input.</summary>
    public const int Version = 1;

    private const string CanonicalPreamble = "stack-fingerprint/v1\n";
    private const string UnknownExceptionType = "UnknownException";

    public static FingerprintResult Compute(string exceptionClass, string? stackTrace, string? message = null)
    {
        using var parser = new StackTraceParser();
        parser.Parse(stackTrace ?? string.Empty);

        Span<char> primaryTypeBuffer = stackalloc char[FingerprintLimits.MaxTypeNameChars];
        var primaryType = PrimaryTypeName(exceptionClass, parser.HeaderTypeName.Span, primaryTypeBuffer);

        Span<int> framesPerLevel = stackalloc int[FingerprintLimits.MaxExceptionLevels];
        var frames = HashedFrames(parser, framesPerLevel, out var titleFrame);
        if (frames.Length == 0)
        {
            var messageSource = string.IsNullOrWhiteSpace(message) ? parser.HeaderMessage.Span : message.AsSpan();
            var normalizedMessage = MessageNormalizer.Normalize(messageSource);
            var fallbackHash = Hash(parser, primaryType, [], framesPerLevel, normalizedMessage);
            return new FingerprintResult(fallbackHash, Version, [], FallbackTitle(primaryType, normalizedMessage), UsedMessageFallback: true);
        }

        var hash = Hash(parser, primaryType, frames, framesPerLevel, messageText: null);
        return new FingerprintResult(hash, Version, frames, FrameTitle(primaryType, titleFrame), UsedMessageFallback: false);
    }

    private static ReadOnlySpan<char> PrimaryTypeName(string? exceptionClass, ReadOnlySpan<char> headerTypeName, Span<char> buffer)
    {
        var writer = new BoundedCharWriter(buffer);
        var given = exceptionClass.AsSpan().Trim();
        writer.AppendPrintable(given.Length > buffer.Length ? given[..buffer.Length] : given);
        if (writer.Length == 0)
        {
            writer.AppendPrintable(headerTypeName);
        }

        if (writer.Length == 0)
        {
            writer.Append(UnknownExceptionType);
        }

        return buffer[..writer.Length];
    }

    /// <summary>The selected frames, level by level; <paramref name="titleFrame"/> is the outer level's first one when it has any.</summary>
    private static string[] HashedFrames(StackTraceParser parser, Span<int> framesPerLevel, out TitleFrame titleFrame)
    {
        titleFrame = default;
        var useInAppFrames = parser.HasInAppFrames;
        var all = parser.Frames;
        var count = 0;
        foreach (ref readonly var frame in all)
        {
            if (useInAppFrames ? frame.IsInApp : frame.IsTop)
            {
                count++;
            }
        }

        if (count == 0)
        {
            return [];
        }

        var frames = new string[count];
        var next = 0;
        for (var level = 0; level < parser.LevelCount; level++)
        {
            foreach (ref readonly var frame in all)
            {
                if (frame.Level != level || !(useInAppFrames ? frame.IsInApp : frame.IsTop))
                {
                    continue;
                }

                var text = parser.FrameText(frame).ToString();
                if (next == 0)
                {
                    titleFrame = new TitleFrame(text, frame.TypeNameStart);
                }

                frames[next++] = text;
                framesPerLevel[level]++;
            }
        }

        return frames;
    }

    /// <summary>
    /// Canonical text, one item per line: the preamble, then per level "E:type" and its "F:frame" lines,
    /// or, for the fallback, every level's "E:type" and "M:message".
    /// </summary>
    private static string Hash(
        StackTraceParser parser, ReadOnlySpan<char> primaryType, string[] frames, ReadOnlySpan<int> framesPerLevel, string? messageText)
    {
        var length = CanonicalPreamble.Length + primaryType.Length + 3 + (messageText is null ? 0 : messageText.Length + 3);
        for (var level = 1; level < parser.LevelCount; level++)
        {
            length += parser.LevelTypeName(level).Length + 3;
        }

        foreach (var frame in frames)
        {
            length += frame.Length + 3;
        }

        var chars = ArrayPool<char>.Shared.Rent(length);
        var bytes = ArrayPool<byte>.Shared.Rent(Encoding.UTF8.GetMaxByteCount(length));
        try
        {
            var writer = new BoundedCharWriter(chars);
            writer.Append(CanonicalPreamble);
            var nextFrame = 0;
            for (var level = 0; level < parser.LevelCount; level++)
            {
                AppendLine(ref writer, 'E', level == 0 ? primaryType : parser.LevelTypeName(level));
                for (var i = 0; i < framesPerLevel[level]; i++)
                {
                    AppendLine(ref writer, 'F', frames[nextFrame++]);
                }
            }

            if (messageText is not null)
            {
                AppendLine(ref writer, 'M', messageText);
            }

            var byteCount = Encoding.UTF8.GetBytes(writer.Written, bytes);
            Span<byte> digest = stackalloc byte[SHA256.HashSizeInBytes];
            SHA256.HashData(bytes.AsSpan(0, byteCount), digest);
            return Convert.ToHexStringLower(digest);
        }
        finally
        {
            ArrayPool<char>.Shared.Return(chars);
            ArrayPool<byte>.Shared.Return(bytes);
        }
    }

    private static void AppendLine(ref BoundedCharWriter writer, char kind, scoped ReadOnlySpan<char> value)
    {
        writer.Append(kind);
        writer.Append(':');
        writer.Append(value);
        writer.Append('\n');
    }

    private static string FrameTitle(ReadOnlySpan<char> primaryType, TitleFrame frame)
    {
        Span<char> buffer = stackalloc char[FingerprintLimits.MaxTitleChars];
        var writer = new BoundedCharWriter(buffer);
        writer.Append(ShortTypeName(primaryType));
        writer.Append(" at ");
        writer.Append(frame.Text.AsSpan(frame.TypeNameStart));
        return FinishTitle(ref writer);
    }

    private static string FallbackTitle(ReadOnlySpan<char> primaryType, string normalizedMessage)
    {
        Span<char> buffer = stackalloc char[FingerprintLimits.MaxTitleChars];
        var writer = new BoundedCharWriter(buffer);
        writer.Append(ShortTypeName(primaryType));
        if (normalizedMessage.Length > 0)
        {
            writer.Append(": ");
            writer.Append(normalizedMessage);
        }

        return FinishTitle(ref writer);
    }

    private static string FinishTitle(ref BoundedCharWriter writer)
    {
        // Never end on half a surrogate pair cut by the length limit.
        if (writer.Length > 0 && char.IsHighSurrogate(writer.Written[^1]))
        {
            writer.Truncate(writer.Length - 1);
        }

        return writer.Written.ToString();
    }

    private static ReadOnlySpan<char> ShortTypeName(ReadOnlySpan<char> typeName)
    {
        var generic = typeName.IndexOfAny('`', '[');
        if (generic > 0)
        {
            typeName = typeName[..generic];
        }

        var lastSeparator = typeName.LastIndexOfAny('.', '+');
        return lastSeparator >= 0 && lastSeparator < typeName.Length - 1 ? typeName[(lastSeparator + 1)..] : typeName;
    }

    private readonly record struct TitleFrame(string Text, int TypeNameStart);
}
