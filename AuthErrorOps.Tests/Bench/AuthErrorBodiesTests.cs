using System.Text.Json;
using AuthErrorOps.Bench.Infrastructure;
using Xunit;

namespace AuthErrorOps.Tests.Bench;

public sealed class AuthErrorBodiesTests
{
    private readonly AuthErrorBodies _bodies = new("run1", variants: 3);

    [Fact]
    public void A_batch_numbers_its_items_and_gives_each_variant_its_own_stack_trace()
    {
        using var document = JsonDocument.Parse(_bodies.Batch(first: 4, count: 3));
        var items = document.RootElement.GetProperty("items").EnumerateArray().ToList();

        Assert.Equal(["bench-run1-4", "bench-run1-5", "bench-run1-6"], items.Select(item => item.GetProperty("requestId").GetString()));
        Assert.Equal([_bodies.StackTrace(1), _bodies.StackTrace(2), _bodies.StackTrace(0)], items.Select(item => item.GetProperty("stacktrace").GetString()));
        Assert.Contains("Acme.Benchrun1.Variant1.", items[0].GetProperty("stacktrace").GetString(), StringComparison.Ordinal);
        Assert.Equal("user5@example.com", items[1].GetProperty("userId").GetString());
        Assert.Equal("token expired for user5@example.com at 2026-12-02T10:00:00Z", items[1].GetProperty("exceptionMessage").GetString());
        Assert.Equal("203.0.113.6", items[2].GetProperty("clientIp").GetString());
        Assert.All(items, item => Assert.Equal(401, item.GetProperty("httpStatus").GetInt32()));
        Assert.All(items, item => Assert.True(item.GetProperty("occurredAt").TryGetDateTimeOffset(out var at) && at > DateTimeOffset.UtcNow.AddMinutes(-1)));
    }

    [Fact]
    public void A_single_report_is_the_same_object_as_a_batch_item()
    {
        using var single = JsonDocument.Parse(_bodies.Single(7));
        using var batch = JsonDocument.Parse(_bodies.Batch(7, 1));
        var item = batch.RootElement.GetProperty("items")[0];

        var names = single.RootElement.EnumerateObject().Select(p => p.Name).ToList();
        Assert.Equal(item.EnumerateObject().Select(p => p.Name), names);
        Assert.Equal(17, names.Count);
        Assert.All(names.Where(name => name != "occurredAt"), name => Assert.Equal(item.GetProperty(name).ToString(), single.RootElement.GetProperty(name).ToString()));
    }
}
