using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using AuthErrorOps.Ingest;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;
using Xunit;

namespace AuthErrorOps.Tests.Infrastructure;

/// <summary>
/// The Ingest service in-process on its own database and vhost, with an API key, captured logs
/// and a data source for assertions. One per test class (or per test, where a test alters the schema).
/// </summary>
public sealed class IngestHost : IAsyncDisposable
{
    public const string ApiKey = "test-api-key-0123456789";
    public const string PiiHashKey = "test-pii-hash-key-0123456789";

    private readonly WebApplicationFactory<IngestOptions> _factory;

    private IngestHost(WebApplicationFactory<IngestOptions> factory, string connectionString)
    {
        _factory = factory;
        ConnectionString = connectionString;
        DataSource = NpgsqlDataSource.Create(connectionString);
    }

    public string ConnectionString { get; }

    public NpgsqlDataSource DataSource { get; }

    public CapturingLoggerProvider Logs { get; } = new();

    public IServiceProvider Services => _factory.Services;

    public static async Task<IngestHost> StartAsync(InfrastructureFixture infrastructure, string owner, IReadOnlyDictionary<string, string?>? overrides = null)
    {
        var connectionString = await infrastructure.DatabaseAsync(owner);
        var settings = new Dictionary<string, string?>
        {
            ["ConnectionStrings:authdb"] = connectionString,
            ["ConnectionStrings:messaging"] = await infrastructure.VirtualHostAsync(owner),
            ["Ingest:ApiKeys:0"] = ApiKey,
            ["Ingest:PiiHashKey"] = PiiHashKey,
            ["Messaging:RetryDelays:0"] = "00:00:01",
        };
        foreach (var (key, value) in overrides ?? new Dictionary<string, string?>())
        {
            settings[key] = value;
        }

        IngestHost? host = null;
        var factory = new ServiceFactory<IngestOptions>(settings).WithWebHostBuilder(web =>
            web.ConfigureServices(services => services.AddSingleton<ILoggerProvider>(host!.Logs)));
        host = new IngestHost(factory, connectionString);
        _ = host.CreateClient(); // start now: migrations run, so tests can query tables at once
        return host;
    }

    public HttpClient CreateClient(string? apiKey = ApiKey)
    {
        var client = _factory.CreateClient();
        if (apiKey is not null)
        {
            client.DefaultRequestHeaders.Add("X-Api-Key", apiKey);
        }

        return client;
    }

    public static StringContent Json(string json, string contentType = "application/json") =>
        new(json, Encoding.UTF8, MediaTypeHeaderValue.Parse(contentType));

    public static Task<HttpResponseMessage> PostJsonAsync(HttpClient client, string path, object body) =>
        client.PostAsJsonAsync(path, body, TestContext.Current.CancellationToken);

    public async Task<long> CountAsync(string table)
    {
        await using var command = DataSource.CreateCommand($"SELECT count(*) FROM {table}");
        return (long)(await command.ExecuteScalarAsync(TestContext.Current.CancellationToken))!;
    }

    public async ValueTask DisposeAsync()
    {
        await _factory.DisposeAsync();
        await DataSource.DisposeAsync();
    }
}
