using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using AuthErrorOps.Dashboard;
using Xunit;

namespace AuthErrorOps.Tests.Dashboard;

/// <summary>docs/dashboard.md "Security": the browser token guards every page and API; login link, form and Bearer open them.</summary>
public sealed class DashboardAccessTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly string[] Pages = ["/", "/index.html", "/traces", "/app.js", "/some/deep/page"];

    private static readonly (HttpMethod Method, string Path)[] ApiRoutes =
    [
        (HttpMethod.Get, "/api/telemetry/resources"),
        (HttpMethod.Get, "/api/telemetry/traces"),
        (HttpMethod.Get, "/api/telemetry/traces/0123456789abcdef0123456789abcdef"),
        (HttpMethod.Get, "/api/telemetry/logs"),
        (HttpMethod.Get, "/api/telemetry/metrics"),
        (HttpMethod.Get, "/api/telemetry/metrics/ingest/autherrorops.ingest.accepted"),
        (HttpMethod.Get, "/api/resources"),
        (HttpMethod.Post, "/api/resources/ingest/restart"),
        (HttpMethod.Get, "/api/console-logs"),
        (HttpMethod.Get, "/api/pipeline"),
        (HttpMethod.Post, "/api/pipeline/dead-letters/1/replay"),
        (HttpMethod.Get, "/api/unknown"),
    ];

    [Fact]
    public async Task Without_the_token_pages_redirect_to_login_and_apis_answer_401()
    {
        await using var dashboard = await DashboardUnderTest.StartAsync();
        using var anonymous = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, UseCookies = false }) { BaseAddress = dashboard.Host.UiUrl };
        anonymous.DefaultRequestHeaders.Authorization = null;

        foreach (var page in Pages)
        {
            using var response = await anonymous.GetAsync(page, Ct);
            Assert.True(response.StatusCode == HttpStatusCode.Redirect, $"GET {page} answered {(int)response.StatusCode}, not 302.");
            Assert.Equal("/login", response.Headers.Location?.OriginalString);
        }

        foreach (var (method, path) in ApiRoutes)
        {
            foreach (var authorization in new AuthenticationHeaderValue?[] { null, new("Bearer", "not-the-token") })
            {
                using var request = new HttpRequestMessage(method, path);
                request.Headers.Authorization = authorization;
                using var response = await anonymous.SendAsync(request, Ct);
                Assert.True(response.StatusCode == HttpStatusCode.Unauthorized, $"{method} {path} ({authorization}) answered {(int)response.StatusCode}, not 401.");
                Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            }
        }

        Assert.Empty(dashboard.Resources.Commands);
    }

    [Fact]
    public async Task The_login_link_sets_the_cookie_and_then_pages_and_apis_work()
    {
        await using var dashboard = await DashboardUnderTest.StartAsync();
        var cookies = new CookieContainer();
        using var browser = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, CookieContainer = cookies }) { BaseAddress = dashboard.Host.UiUrl };

        Assert.Equal(new Uri(dashboard.Host.UiUrl, $"login?t={dashboard.Options.BrowserToken}"), dashboard.Host.LoginUrl);
        using var login = await browser.GetAsync(dashboard.Host.LoginUrl, Ct);
        Assert.Equal(HttpStatusCode.Redirect, login.StatusCode);
        Assert.Equal("/", login.Headers.Location?.OriginalString);
        var setCookie = Assert.Single(login.Headers.GetValues("Set-Cookie"));
        Assert.StartsWith("autherrorops.dashboard=", setCookie);
        Assert.Contains("httponly", setCookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=strict", setCookie, StringComparison.OrdinalIgnoreCase);

        using var api = await browser.GetAsync("/api/resources", Ct);
        Assert.Equal(HttpStatusCode.OK, api.StatusCode);
        foreach (var page in Pages)
        {
            using var response = await browser.GetAsync(page, Ct);
            Assert.True(response.StatusCode is not (HttpStatusCode.Redirect or HttpStatusCode.Unauthorized),
                $"GET {page} with the cookie answered {(int)response.StatusCode}.");
        }
    }

    [Fact]
    public async Task The_form_signs_in_with_the_token_and_refuses_a_wrong_one()
    {
        await using var dashboard = await DashboardUnderTest.StartAsync();
        using var browser = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, UseCookies = false }) { BaseAddress = dashboard.Host.UiUrl };

        using var form = await browser.GetAsync("/login", Ct);
        Assert.Equal(HttpStatusCode.OK, form.StatusCode);
        Assert.Equal("text/html", form.Content.Headers.ContentType?.MediaType);
        Assert.Contains("name=\"token\"", await form.Content.ReadAsStringAsync(Ct));
        using var style = await browser.GetAsync("/login.css", Ct);
        Assert.Equal(HttpStatusCode.OK, style.StatusCode);
        Assert.Equal("text/css", style.Content.Headers.ContentType?.MediaType);

        using var wrongLink = await browser.GetAsync("/login?t=nope", Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, wrongLink.StatusCode);
        Assert.False(wrongLink.Headers.Contains("Set-Cookie"));

        using var wrong = await browser.PostAsync("/login", new FormUrlEncodedContent([new("token", "nope")]), Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        Assert.False(wrong.Headers.Contains("Set-Cookie"));

        using var right = await browser.PostAsync("/login", new FormUrlEncodedContent([new("token", dashboard.Options.BrowserToken)]), Ct);
        Assert.Equal(HttpStatusCode.Redirect, right.StatusCode);
        Assert.Equal("/", right.Headers.Location?.OriginalString);
        var cookie = Assert.Single(right.Headers.GetValues("Set-Cookie")).Split(';')[0];

        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/telemetry/resources");
        request.Headers.Add("Cookie", cookie);
        using var api = await browser.SendAsync(request, Ct);
        Assert.Equal(HttpStatusCode.OK, api.StatusCode);
    }

    [Fact]
    public async Task A_bearer_header_opens_the_apis()
    {
        await using var dashboard = await DashboardUnderTest.StartAsync();
        using var response = await dashboard.Api.GetAsync("api/telemetry/resources", Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("{\"items\":[]}", await response.Content.ReadAsStringAsync(Ct));
    }

    [Fact]
    public async Task A_taken_port_fails_the_start_naming_the_port_and_its_setting()
    {
        using var holder = new TcpListener(IPAddress.Loopback, 0);
        holder.Start();
        var port = ((IPEndPoint)holder.LocalEndpoint).Port;

        var failure = await Assert.ThrowsAsync<InvalidOperationException>(() => DashboardHost.StartAsync(
            new DashboardOptions { BrowserToken = "t", OtlpApiKey = "k", UiPort = 0, OtlpGrpcPort = port, OtlpHttpPort = 0 },
            new FakeResourceService(), Ct));
        Assert.Contains(port.ToString(System.Globalization.CultureInfo.InvariantCulture), failure.Message);
        Assert.Contains("AppHost:Dashboard:OtlpGrpcPort", failure.Message);
    }
}
