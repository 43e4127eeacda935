namespace AuthErrorOps.Tests.Infrastructure;

/// <summary>Polls a condition until it holds; the failure names what was awaited.</summary>
public static class Eventually
{
    public static async Task<T> ReturnsAsync<T>(string what, Func<Task<T?>> probe, TimeSpan timeout, TimeSpan? interval = null)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var value = await probe();
            if (value is not null)
            {
                return value;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Timed out after {timeout.TotalSeconds:0.#} s waiting for {what}.");
            }

            await Task.Delay(interval ?? TimeSpan.FromMilliseconds(50));
        }
    }

    public static Task HoldsAsync(string what, Func<Task<bool>> condition, TimeSpan timeout) =>
        ReturnsAsync<object>(what, async () => await condition() ? new object() : null, timeout);
}
