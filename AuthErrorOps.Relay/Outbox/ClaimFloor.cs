using Microsoft.Extensions.Options;

namespace AuthErrorOps.Relay.Outbox;

/// <summary>
/// Where in the PENDING index a claim starts. Ids only grow and a claimed row's index entry stays
/// until vacuum, so a claim from the head of the index walks past every row claimed since the last
/// vacuum: at 3,000 events/s, 174 buffers per claim 20 s after a vacuum and 986 after 60 s
/// (<c>EXPLAIN (ANALYZE, BUFFERS)</c>, docs/performance.md). Claims therefore start at the lowest id
/// this relay claimed at least <see cref="Lag"/> ago. A due row below that can only be one whose
/// insert stayed uncommitted for longer, or one that became due again (a failed publish after its
/// backoff, an expired lease, a release, a requeue): a claim from the head, at most one per
/// sweep interval (the poll interval, capped at 1 s), picks those up.
/// </summary>
public sealed class ClaimFloor(TimeProvider time, IOptions<RelayOptions> options)
{
    public static readonly TimeSpan Lag = TimeSpan.FromSeconds(5);

    private static readonly TimeSpan MaxSweepInterval = TimeSpan.FromSeconds(1);

    private readonly TimeSpan _sweepInterval = options.Value.PollInterval < MaxSweepInterval ? options.Value.PollInterval : MaxSweepInterval;
    private readonly Lock _gate = new();
    private long _floor;
    private long _lowestInPreviousWindow = long.MaxValue;
    private long _lowestInWindow = long.MaxValue;
    private long _windowStart = time.GetTimestamp();
    private long _lastSweep = time.GetTimestamp();

    /// <summary>The id the next claim starts from; 0 (the head of the index) when a sweep is due.</summary>
    public long NextClaimFrom()
    {
        lock (_gate)
        {
            var now = time.GetTimestamp();
            if (time.GetElapsedTime(_windowStart, now) >= Lag)
            {
                // Two windows back: the floor was claimed at least Lag ago. A quiet window keeps the older floor.
                if (_lowestInPreviousWindow != long.MaxValue)
                {
                    _floor = _lowestInPreviousWindow;
                }

                _lowestInPreviousWindow = _lowestInWindow;
                _lowestInWindow = long.MaxValue;
                _windowStart = now;
            }

            if (time.GetElapsedTime(_lastSweep, now) >= _sweepInterval)
            {
                _lastSweep = now;
                return 0;
            }

            return _floor;
        }
    }

    /// <summary>Records the lowest id of a claimed batch.</summary>
    public void Claimed(long lowestId)
    {
        lock (_gate)
        {
            _lowestInWindow = Math.Min(_lowestInWindow, lowestId);
        }
    }
}
