using AuthErrorOps.AppHost.Hosting;
using Xunit;

namespace AuthErrorOps.Tests.Distributed;

public sealed class HealthProbeCadenceTests
{
    [Theory]
    [InlineData(false, null, true)]
    [InlineData(false, 1.0, true)]
    [InlineData(true, null, true)]
    [InlineData(true, 2.0, false)]
    [InlineData(true, 29.9, false)]
    [InlineData(true, 30.0, true)]
    public void A_healthy_replica_is_probed_every_30_seconds_and_any_other_at_every_tick(bool healthy, double? secondsSinceProbe, bool due) =>
        Assert.Equal(due, DistributedApplication.HealthProbeDue(healthy, secondsSinceProbe is { } seconds ? TimeSpan.FromSeconds(seconds) : null));
}
