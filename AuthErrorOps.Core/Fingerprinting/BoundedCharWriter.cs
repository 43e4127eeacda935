namespace AuthErrorOps.Core.Fingerprinting;

/// <summary>Appends into a fixed buffer and drops whatever does not fit, so no input can overflow it.</summary>
internal ref struct BoundedCharWriter
{
    private readonly Span<char> _buffer;

    public BoundedCharWriter(Span<char> buffer) => _buffer = buffer;

    public int Length { get; private set; }

    public readonly ReadOnlySpan<char> Written => _buffer[..Length];

    public void Append(char value)
    {
        if (Length < _buffer.Length)
        {
            _buffer[Length++] = value;
        }
    }

    public void Append(scoped ReadOnlySpan<char> value)
    {
        var count = Math.Min(value.Length, _buffer.Length - Length);
        value[..count].CopyTo(_buffer[Length..]);
        Length += count;
    }

    /// <summary>Copies text without control characters; a lone surrogate becomes U+FFFD so the result always encodes.</summary>
    public void AppendPrintable(scoped ReadOnlySpan<char> value)
    {
        for (var i = 0; i < value.Length && Length < _buffer.Length; i++)
        {
            var c = value[i];
            if (char.IsControl(c))
            {
                continue;
            }

            if (char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
            {
                if (Length + 2 > _buffer.Length)
                {
                    return;
                }

                Append(c);
                Append(value[++i]);
                continue;
            }

            Append(char.IsSurrogate(c) ? '\uFFFD' : c);
        }
    }

    public void Truncate(int length) => Length = Math.Clamp(length, 0, Length);
}
