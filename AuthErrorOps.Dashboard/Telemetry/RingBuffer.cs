namespace AuthErrorOps.Dashboard.Telemetry;

/// <summary>A fixed-capacity FIFO: adding to a full buffer overwrites the oldest item. Not thread-safe.</summary>
internal sealed class RingBuffer<T>(int capacity)
{
    private T[] _items = new T[Math.Min(capacity, 64)];
    private int _start;

    public int Count { get; private set; }

    /// <summary>Adds <paramref name="item"/>; returns true and the evicted item when the buffer was full.</summary>
    public bool Add(T item, out T? evicted)
    {
        if (Count == _items.Length && Count < capacity)
        {
            Grow();
        }

        if (Count < _items.Length)
        {
            _items[(_start + Count) % _items.Length] = item;
            Count++;
            evicted = default;
            return false;
        }

        evicted = _items[_start];
        _items[_start] = item;
        _start = (_start + 1) % _items.Length;
        return true;
    }

    public T Newest => Count == 0 ? throw new InvalidOperationException("The buffer is empty.") : this[Count - 1];

    /// <summary>0 is the oldest item.</summary>
    public T this[int index] => _items[(_start + index) % _items.Length];

    public IEnumerable<T> NewestFirst()
    {
        for (var i = Count - 1; i >= 0; i--)
        {
            yield return this[i];
        }
    }

    private void Grow()
    {
        var grown = new T[Math.Min(capacity, _items.Length * 2)];
        for (var i = 0; i < Count; i++)
        {
            grown[i] = this[i];
        }

        _items = grown;
        _start = 0;
    }
}
