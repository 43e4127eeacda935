using AuthErrorOps.AppHost;
using AuthErrorOps.AppHost.Hosting;
using AuthErrorOps.AppHost.Testing;
using Microsoft.Playwright;
using Xunit;

namespace AuthErrorOps.Dashboard.Tests;

/// <summary>
/// The whole system started through the AppHost (dashboard on free ports, short retry tiers) and
/// one headless chromium: one of each per test collection. Disposing stops every process.
/// </summary>
public sealed class DashboardAppFixture : IAsyncLifetime
{
    private readonly StringWriter _console = new();
    private IPlaywright? _playwright;

    public DistributedApplication App { get; private set; } = null!;

    public IBrowser Browser { get; private set; } = null!;

    /// <summary>The dashboard's address without a trailing slash, e.g. <c>http://127.0.0.1:41234</c>.</summary>
    public string UiUrl { get; private set; } = "";

    /// <summary>The login link with the run's browser token.</summary>
    public string LoginUrl { get; private set; } = "";

    /// <summary>Full-page screenshots of every page: test artifacts.</summary>
    public string ScreenshotDirectory { get; } = Path.Combine(AppContext.BaseDirectory, "artifacts", "screenshots");

    /// <summary>The AppHost's console (state changes, project warnings), for failure messages.</summary>
    public string ConsoleOutput => _console.ToString();

    public async ValueTask InitializeAsync()
    {
        // Fail before starting anything when the browser is missing.
        _playwright = await Playwright.CreateAsync();
        Browser = await Chromium.LaunchAsync(_playwright);
        Directory.CreateDirectory(ScreenshotDirectory);

        var builder = DistributedApplicationTestingBuilder.Create(_console, new Dictionary<string, string>
        {
            ["Messaging__RetryDelays__0"] = "00:00:00.500",
            ["Messaging__RetryDelays__1"] = "00:00:01",
            // The structured-logs page needs the services' information entries.
            ["Logging__LogLevel__Default"] = "Information",
        });
        builder.AddAuthErrorOps();
        App = builder.Build();
        try
        {
            await App.StartAsync(TestContext.Current.CancellationToken);
        }
        catch (Exception exception)
        {
            // Stop whatever did start: a failed fixture may not be disposed.
            await App.DisposeAsync();
            App = null!;
            throw new InvalidOperationException($"The distributed application did not start: {exception.Message}\nAppHost output:\n{ConsoleOutput}", exception);
        }

        var dashboard = App.Dashboard ?? throw new InvalidOperationException("The AppHost started without its dashboard.");
        UiUrl = dashboard.UiUrl.ToString().TrimEnd('/');
        LoginUrl = dashboard.LoginUrl.ToString();
    }

    /// <summary>A fresh browser context (own cookies) at 1440×900; signed in through the token link unless told otherwise.</summary>
    public async Task<(IBrowserContext Context, IPage Page)> NewPageAsync(bool signedIn = true)
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1440, Height = 900 } });
        var page = await context.NewPageAsync();
        if (signedIn)
        {
            await page.GotoAsync(LoginUrl);
            await Waits.UntilAsync(() => Task.FromResult(new Uri(page.Url).AbsolutePath == "/"), $"the login link to land on {UiUrl}/ (at {page.Url})");
        }

        return (context, page);
    }

    /// <summary>Opens a page of the SPA (<c>#/traces</c>, …) in a signed-in tab.</summary>
    public async Task GoToAsync(IPage page, string hashRoute)
    {
        await page.GotoAsync($"{UiUrl}/{hashRoute}");
        await page.Locator("[data-testid=live]").ForTextAsync("updated", $"the first data of {hashRoute}");
    }

    public async Task<string> ScreenshotAsync(IPage page, string name)
    {
        var path = Path.Combine(ScreenshotDirectory, $"{name}.png");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = path, FullPage = true });
        return path;
    }

    public async ValueTask DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.CloseAsync();
        }

        _playwright?.Dispose();
        if (App is not null)
        {
            await App.DisposeAsync();
        }
    }
}

[CollectionDefinition(Name)]
public sealed class DashboardCollection : ICollectionFixture<DashboardAppFixture>
{
    public const string Name = "dashboard";
}
