using System.Net;
using Microsoft.Playwright;
using Xunit;

namespace AuthErrorOps.Dashboard.Tests;

/// <summary>
/// The dashboard's pages in a real browser against the whole running system: each test makes
/// its own data through the system's entry points and finds it on the page.
/// </summary>
[Collection(DashboardCollection.Name)]
public sealed class DashboardPagesTests(DashboardAppFixture fixture)
{
    private static readonly string[] Resources = ["postgres", "authdb", "messaging", "ingest", "relay", "consumer"];

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Without_the_token_pages_redirect_to_login_and_apis_answer_401()
    {
        var (context, page) = await fixture.NewPageAsync(signedIn: false);
        try
        {
            await page.GotoAsync($"{fixture.UiUrl}/#/traces");
            Assert.Equal("/login", new Uri(page.Url).AbsolutePath);
            await page.Locator("form input").ForVisibleAsync("the login form's token field");
            await fixture.ScreenshotAsync(page, "login");

            using var http = new HttpClient();
            using var response = await http.GetAsync($"{fixture.UiUrl}/api/resources", Ct);
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        }
        finally
        {
            await context.CloseAsync();
        }
    }

    [Fact]
    public async Task A_page_whose_session_ends_goes_to_login()
    {
        var (context, page) = await fixture.NewPageAsync();
        try
        {
            await fixture.GoToAsync(page, "#/resources");
            await context.ClearCookiesAsync();
            await Waits.UntilAsync(() => Task.FromResult(new Uri(page.Url).AbsolutePath == "/login"), "the page to go to /login after its cookie was removed");
        }
        finally
        {
            await context.CloseAsync();
        }
    }

    [Fact]
    public async Task Resources_lists_every_resource_running_and_masks_secrets_until_revealed()
    {
        var (context, page) = await fixture.NewPageAsync();
        try
        {
            await fixture.GoToAsync(page, "#/resources");
            foreach (var name in Resources)
            {
                await page.Locator($"[data-testid=resource-row][data-name='{name}'][data-state=Running]")
                    .ForVisibleAsync($"resource '{name}' to be listed as Running");
            }

            var ingest = page.Locator("[data-testid=resource-row][data-name=ingest]").First;
            await ingest.Locator("[data-testid=env-toggle]").ClickAsync();
            var secret = page.Locator("[data-testid=env-row] [data-testid=env-var]:has([data-testid=reveal])").First;
            await secret.ForVisibleAsync("a secret environment variable of ingest (its connection strings)");
            Assert.Equal("••••••••", await secret.Locator("[data-testid=env-value]").InnerTextAsync());
            await fixture.ScreenshotAsync(page, "resources");

            var secretName = await secret.GetAttributeAsync("data-name");
            await secret.Locator("[data-testid=reveal]").ClickAsync();
            await secret.Locator("[data-testid=reveal]").ForTextAsync("hide", $"the reveal button of {secretName} to offer 'hide'");
            Assert.NotEqual("••••••••", await secret.Locator("[data-testid=env-value]").InnerTextAsync());
        }
        finally
        {
            await context.CloseAsync();
        }
    }

    [Fact]
    public async Task A_reported_auth_error_is_one_trace_through_ingest_relay_and_consumer_and_a_cluster_on_the_pipeline_page()
    {
        var marker = $"Ui{Guid.NewGuid():N}"[..14];
        await SystemDriver.ReportAuthErrorAsync(fixture.App, marker, Ct);
        var (context, page) = await fixture.NewPageAsync();
        try
        {
            await fixture.GoToAsync(page, "#/traces");
            // Background work (health probes, the relay's polls) makes many traces: show only the consumer's processing ones.
            await page.Locator("#traces-name").FillAsync("auth error process");
            var row = page.Locator("[data-testid=trace-row][data-services~=ingest][data-services~=relay][data-services~=consumer]");
            await row.ForVisibleAsync("a trace with spans from ingest, relay and consumer", Waits.Pipeline);
            await fixture.ScreenshotAsync(page, "traces-list");

            var traceId = await row.First.GetAttributeAsync("data-trace-id");
            await page.Locator($"[data-testid=trace-row][data-trace-id='{traceId}'] [data-testid=trace-link]").ClickAsync();
            await Waits.UntilAsync(() => Task.FromResult(page.Url.EndsWith($"#/traces/{traceId}", StringComparison.Ordinal)), $"the page of trace {traceId}");
            var waterfall = page.Locator("[data-testid=waterfall]");
            foreach (var service in new[] { "ingest", "relay", "consumer" })
            {
                await waterfall.Locator($"[data-testid=span-row][data-service={service}]").ForVisibleAsync($"a waterfall span of {service}");
                await page.Locator($"[data-testid=legend-item][data-service={service}]").ForVisibleAsync($"{service} in the trace legend");
            }

            await waterfall.Locator("[data-testid=span-row][data-service=consumer]").First.ClickAsync();
            await page.Locator("[data-testid=span-details]").ForVisibleAsync("the details panel of the clicked consumer span");
            await page.Locator("[data-testid=span-details] [data-testid=span-attributes]").ForVisibleAsync("the attributes of the clicked span");
            await fixture.ScreenshotAsync(page, "traces");

            await fixture.GoToAsync(page, "#/pipeline");
            await page.Locator("[data-testid=cluster-row]", new PageLocatorOptions { HasText = marker })
                .ForVisibleAsync($"the cluster of {marker} in the top clusters", Waits.Pipeline);
            await page.Locator("[data-testid=outbox-card] [data-testid=outbox-PUBLISHED]").ForVisibleAsync("the outbox's published count");
            await page.Locator("[data-testid=queue-row][data-queue='auth.error.recorded.q']").ForVisibleAsync("the main queue's depth");
        }
        finally
        {
            await context.CloseAsync();
        }
    }

    [Fact]
    public async Task A_dead_letter_is_replayed_from_the_pipeline_page()
    {
        var eventId = await SystemDriver.PublishUnknownAuthErrorEventAsync(fixture.App, Ct);
        var (context, page) = await fixture.NewPageAsync();
        try
        {
            await fixture.GoToAsync(page, "#/pipeline");
            var row = page.Locator($"[data-testid=dead-letter-row][data-event-id='{eventId}']");
            await row.ForVisibleAsync($"dead letter of event {eventId} (unknown_auth_error)", Waits.Pipeline);
            await row.Locator("[data-testid=replay]").ClickAsync();
            await row.Locator("[data-testid=replay-result]").ForTextAsync("replayed ✓", $"the replay result of event {eventId}");
            await fixture.ScreenshotAsync(page, "pipeline");

            // The replayed event is dead-lettered again (its auth error still does not exist): a second delivery.
            await row.Locator("td.num").ForTextAsync("2", $"the second delivery of event {eventId} after the replay", Waits.Pipeline);
        }
        finally
        {
            await context.CloseAsync();
        }
    }

    [Fact]
    public async Task Console_logs_structured_logs_and_metrics_show_what_the_services_wrote()
    {
        await SystemDriver.ReportAuthErrorAsync(fixture.App, $"Ui{Guid.NewGuid():N}"[..14], Ct);
        var (context, page) = await fixture.NewPageAsync();
        try
        {
            await fixture.GoToAsync(page, "#/console");
            await page.Locator("[data-testid=console-line]").ForVisibleAsync("a console line of any resource");
            await fixture.ScreenshotAsync(page, "console");
            await page.Locator("#console-resource").SelectOptionAsync("messaging");
            await page.Locator("[data-testid=console-line][data-resource=messaging]").ForVisibleAsync("a console line of messaging");
            Assert.Equal(0, await page.Locator("[data-testid=console-line]:not([data-resource=messaging])").CountAsync());

            await fixture.GoToAsync(page, "#/logs");
            await page.Locator("[data-testid=log-row]").ForVisibleAsync("a structured log entry", Waits.Pipeline);
            await fixture.ScreenshotAsync(page, "logs");

            await fixture.GoToAsync(page, "#/metrics");
            var instrument = page.Locator("[data-testid=instrument][data-service=ingest]");
            await instrument.ForVisibleAsync("an instrument of ingest in the metrics tree", Waits.Pipeline);
            var duration = page.Locator("[data-testid=instrument][data-service=ingest][data-name='http.server.request.duration']");
            await ((await duration.CountAsync()) > 0 ? duration : instrument).First.ClickAsync();
            await page.Locator("[data-testid=metric-chart] [data-testid=chart-line], [data-testid=metric-chart] circle")
                .ForVisibleAsync("a line in the metric chart", Waits.Pipeline);
            await fixture.ScreenshotAsync(page, "metrics");
        }
        finally
        {
            await context.CloseAsync();
        }
    }
}
