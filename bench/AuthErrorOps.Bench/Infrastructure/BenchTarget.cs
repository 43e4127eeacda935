using System.CommandLine;

namespace AuthErrorOps.Bench.Infrastructure;

/// <summary>
/// Where a benchmark runs. Without connection strings it starts its own PostgreSQL and RabbitMQ;
/// without an ingest URL it starts the services it needs; with <see cref="IngestUrl"/> the
/// services are those of a running system (named one by one, or found through a running
/// AppHost's dashboard, <see cref="RunningAppHost"/>).
/// </summary>
public sealed record BenchTarget
{
    public string? IngestUrl { get; init; }

    public string? ApiKey { get; init; }

    public string? AuthDb { get; init; }

    public string? Messaging { get; init; }

    /// <summary>Processes of a running system's services (instance name, pid), measured like the servers; found through its dashboard.</summary>
    public IReadOnlyList<(string Name, int ProcessId)> ServiceProcesses { get; init; } = [];

    /// <summary>Where the JSON result and the HTML chart go.</summary>
    public string OutputDirectory { get; init; } = Path.Combine("bench", "results");

    public bool ServicesAreExternal => IngestUrl is not null;
}

/// <summary>The options every command takes to name its target and output.</summary>
public sealed class BenchTargetOptions
{
    public Option<string?> IngestUrl { get; } = new("--ingest-url") { Description = "Ingest of a running system (its services are used as they are)." };

    public Option<string?> ApiKey { get; } = new("--api-key") { Description = "X-Api-Key of the running system's Ingest." };

    public Option<string?> AuthDb { get; } = new("--authdb") { Description = "Connection string of a running authdb (default: start a PostgreSQL)." };

    public Option<string?> Messaging { get; } = new("--messaging") { Description = "AMQP URI of a running RabbitMQ (default: start one)." };

    public Option<string?> Dashboard { get; } = new("--dashboard") { Description = "Dashboard of a running AppHost (e.g. http://localhost:18888): its Ingest, API key and connection strings are read from the control API. Needs --token." };

    public Option<string?> Token { get; } = new("--token") { Description = "The dashboard's browser token: the t= of the login link the AppHost prints." };

    public Option<string> Out { get; } = new("--out") { Description = "Folder for the JSON result and the HTML chart.", DefaultValueFactory = _ => Path.Combine("bench", "results") };

    public void AddTo(Command command)
    {
        command.Options.Add(IngestUrl);
        command.Options.Add(ApiKey);
        command.Options.Add(AuthDb);
        command.Options.Add(Messaging);
        command.Options.Add(Dashboard);
        command.Options.Add(Token);
        command.Options.Add(Out);
    }

    public async Task<BenchTarget> ReadAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        var target = new BenchTarget
        {
            IngestUrl = parse.GetValue(IngestUrl),
            ApiKey = parse.GetValue(ApiKey),
            AuthDb = parse.GetValue(AuthDb),
            Messaging = parse.GetValue(Messaging),
            OutputDirectory = parse.GetValue(Out)!,
        };
        if (parse.GetValue(Dashboard) is { } dashboard)
        {
            if (target.ServicesAreExternal || target.ApiKey is not null || target.AuthDb is not null || target.Messaging is not null)
            {
                throw new ArgumentException("--dashboard finds the running system itself: leave out --ingest-url, --api-key, --authdb and --messaging.");
            }

            if (!Uri.TryCreate(dashboard, UriKind.Absolute, out var dashboardUri))
            {
                throw new ArgumentException($"--dashboard must be an absolute URL such as http://localhost:18888, not '{dashboard}'.");
            }

            target = await RunningAppHost.DiscoverAsync(dashboardUri, parse.GetValue(Token) ?? throw new ArgumentException("--dashboard needs --token."), target, cancellationToken);
        }

        if (target.ServicesAreExternal && (target.AuthDb is null || target.Messaging is null || target.ApiKey is null))
        {
            throw new ArgumentException("--ingest-url needs --api-key, --authdb and --messaging of the same running system.");
        }

        return target;
    }
}
