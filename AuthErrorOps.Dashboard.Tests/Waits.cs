using Microsoft.Playwright;

namespace AuthErrorOps.Dashboard.Tests;

/// <summary>Every wait has a timeout, and a failure names what it waited for.</summary>
internal static class Waits
{
    public static readonly TimeSpan Short = TimeSpan.FromSeconds(30);
    public static readonly TimeSpan Pipeline = TimeSpan.FromSeconds(60);

    /// <summary>Waits until the locator's first match is visible.</summary>
    public static async Task ForVisibleAsync(this ILocator locator, string what, TimeSpan? timeout = null)
    {
        var limit = timeout ?? Short;
        try
        {
            await locator.First.WaitForAsync(new LocatorWaitForOptions { State = WaitForSelectorState.Visible, Timeout = (float)limit.TotalMilliseconds });
        }
        catch (PlaywrightException exception)
        {
            throw new TimeoutException($"Timed out after {limit.TotalSeconds:0} s waiting for {what}.", exception);
        }
    }

    /// <summary>Waits until the locator's first match contains the text.</summary>
    public static async Task ForTextAsync(this ILocator locator, string text, string what, TimeSpan? timeout = null)
    {
        var limit = timeout ?? Short;
        try
        {
            await Assertions.Expect(locator.First).ToContainTextAsync(text, new LocatorAssertionsToContainTextOptions { Timeout = (float)limit.TotalMilliseconds });
        }
        catch (PlaywrightException exception)
        {
            var actual = await locator.First.IsVisibleAsync() ? await locator.First.InnerTextAsync(new LocatorInnerTextOptions { Timeout = 1000 }) : "(not on the page)";
            throw new TimeoutException($"Timed out after {limit.TotalSeconds:0} s waiting for {what} to contain \"{text}\"; it shows \"{actual}\".", exception);
        }
    }

    /// <summary>Polls a condition (checked every 250 ms) until it holds.</summary>
    public static async Task UntilAsync(Func<Task<bool>> condition, string what, TimeSpan? timeout = null)
    {
        var limit = timeout ?? Short;
        var deadline = DateTime.UtcNow + limit;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Timed out after {limit.TotalSeconds:0} s waiting for {what}.");
            }

            await Task.Delay(250);
        }
    }
}
