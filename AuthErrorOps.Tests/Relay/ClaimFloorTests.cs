using AuthErrorOps.Core.Outbox;
using AuthErrorOps.Relay;
using AuthErrorOps.Relay.Outbox;
using AuthErrorOps.Tests.Infrastructure;
using Dapper;
using Microsoft.Extensions.Options;
using Xunit;

namespace AuthErrorOps.Tests.Relay;

/// <summary>
/// The claim floor lets claims skip the dead head of the PENDING index. It must never start a claim
/// above a row whose insert may still be committing, and rows below it must still be claimed.
/// </summary>
public sealed class ClaimFloorTests(InfrastructureFixture infrastructure)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public void The_floor_is_an_id_claimed_at_least_the_lag_ago_and_a_claim_from_the_head_comes_once_per_sweep_interval()
    {
        var clock = new ManualClock();
        var floor = new ClaimFloor(clock, PollingEvery(TimeSpan.FromSeconds(1)));
        var claims = new List<(TimeSpan At, long Id)>();
        var random = new Random(7);
        long nextId = 1;
        var fromHead = 0;
        long highestFloor = 0;

        // Two minutes of claims every 0-40 ms, each batch starting above the last.
        while (clock.Now < TimeSpan.FromMinutes(2))
        {
            clock.Advance(TimeSpan.FromMilliseconds(random.Next(0, 40)));
            var from = floor.NextClaimFrom();
            if (from == 0)
            {
                // Until the first floor is established (two lag windows) every claim starts at the head.
                fromHead += clock.Now >= TimeSpan.FromSeconds(15) ? 1 : 0;
            }
            else
            {
                var claimedAt = claims.Single(claim => claim.Id == from).At;
                Assert.True(clock.Now - claimedAt >= ClaimFloor.Lag, $"floor {from} was claimed {clock.Now - claimedAt} ago");
                highestFloor = Math.Max(highestFloor, from);
            }

            claims.Add((clock.Now, nextId));
            floor.Claimed(nextId);
            nextId += random.Next(1, 60);
        }

        // The floor moves up with the claims.
        Assert.True(highestFloor > claims.First(claim => claim.At >= TimeSpan.FromMinutes(1)).Id);
        Assert.InRange(fromHead, 95, 106);
    }

    [Fact]
    public void A_quiet_spell_keeps_the_floor_where_it_was()
    {
        var clock = new ManualClock();
        var floor = new ClaimFloor(clock, PollingEvery(TimeSpan.FromMilliseconds(500)));
        floor.Claimed(100);
        clock.Advance(TimeSpan.FromSeconds(6));
        floor.NextClaimFrom();
        floor.Claimed(200);
        clock.Advance(TimeSpan.FromSeconds(6));
        Assert.Equal(0, floor.NextClaimFrom());
        clock.Advance(TimeSpan.FromMilliseconds(100));
        Assert.Equal(100, floor.NextClaimFrom());

        // No claims for a minute: the floor stays, it does not jump to anything newer.
        clock.Advance(TimeSpan.FromMinutes(1));
        floor.NextClaimFrom();
        clock.Advance(TimeSpan.FromMilliseconds(100));
        Assert.Equal(200, floor.NextClaimFrom());
        clock.Advance(TimeSpan.FromMinutes(1));
        floor.NextClaimFrom();
        clock.Advance(TimeSpan.FromMilliseconds(100));
        Assert.Equal(200, floor.NextClaimFrom());
    }

    [Fact]
    public async Task A_claim_from_an_id_takes_no_row_below_it_and_a_claim_from_the_head_takes_them()
    {
        var (dataSource, _) = await infrastructure.MigratedDatabaseAsync(nameof(ClaimFloorTests));
        await using var _ = dataSource;
        await OutboxRows.InsertAsync(dataSource, 30);
        var store = new OutboxStore(dataSource);
        await using var connection = await dataSource.OpenConnectionAsync(Ct);
        var ids = (await connection.QueryAsync<long>("SELECT id FROM outbox_message ORDER BY id")).ToList();

        var fromTwentieth = await store.ClaimAsync("floor-test", 100, TimeSpan.FromSeconds(30), ids[19], Ct);
        Assert.Equal(ids[19..], fromTwentieth.Select(message => message.Id));

        var fromHead = await store.ClaimAsync("floor-test", 100, TimeSpan.FromSeconds(30), fromId: 0, Ct);
        Assert.Equal(ids[..19], fromHead.Select(message => message.Id));
    }

    private static IOptions<RelayOptions> PollingEvery(TimeSpan interval) => Options.Create(new RelayOptions { PollInterval = interval });

    private sealed class ManualClock : TimeProvider
    {
        public TimeSpan Now { get; private set; }

        public void Advance(TimeSpan by) => Now += by;

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override long GetTimestamp() => Now.Ticks;
    }
}
