using AuthErrorOps.Dashboard.Resources;

namespace AuthErrorOps.AppHost.Hosting;

/// <summary>
/// The stdout/stderr of every resource instance, numbered in arrival order, for the console-logs
/// page and the test output. Bounded: the oldest lines go first.
/// </summary>
public sealed class ConsoleLogStore(int capacity = 50_000)
{
    private readonly Lock _gate = new();
    private readonly Queue<Entry> _lines = new();
    private long _sequence;

    /// <summary>Raised for every line, on the thread that read it (tests forward these to their output).</summary>
    public event Action<ConsoleLogLine>? LineWritten;

    public void Append(string resource, string instance, string text, bool isError)
    {
        ConsoleLogLine line;
        lock (_gate)
        {
            line = new ConsoleLogLine(++_sequence, DateTimeOffset.UtcNow, instance, text, isError);
            _lines.Enqueue(new Entry(resource, line));
            if (_lines.Count > capacity)
            {
                _lines.Dequeue();
            }
        }

        LineWritten?.Invoke(line);
    }

    /// <summary>Lines after <paramref name="afterSequence"/> of one instance, of every instance of a resource, or of all.</summary>
    public IReadOnlyList<ConsoleLogLine> Read(string? resourceOrInstance, long afterSequence, int limit)
    {
        lock (_gate)
        {
            return _lines
                .Where(entry => entry.Line.Sequence > afterSequence)
                .Where(entry => resourceOrInstance is null || entry.Resource == resourceOrInstance || entry.Line.Resource == resourceOrInstance)
                .Take(limit)
                .Select(entry => entry.Line)
                .ToList();
        }
    }

    /// <summary>The last lines of one instance, for failure messages.</summary>
    public IReadOnlyList<string> Tail(string instance, int count)
    {
        lock (_gate)
        {
            return _lines.Where(entry => entry.Line.Resource == instance).Select(entry => entry.Line.Text).TakeLast(count).ToList();
        }
    }

    private readonly record struct Entry(string Resource, ConsoleLogLine Line);
}
