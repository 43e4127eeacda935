using System.Runtime.InteropServices;
using AuthErrorOps.AppHost.Infrastructure;
using Microsoft.Extensions.Logging;

// Interim AppHost: starts the infrastructure the services need and keeps it up until Ctrl+C.
// Service orchestration and the dashboard build on this (see docs/decisions.md).
using var loggerFactory = LoggerFactory.Create(logging => logging.AddSimpleConsole(console =>
{
    console.SingleLine = true;
    console.TimestampFormat = "HH:mm:ss ";
}));
var logger = loggerFactory.CreateLogger("AuthErrorOps.AppHost");

// Ctrl+C and SIGTERM stop the servers in order; the default handling would exit before disposal.
using var shutdown = new CancellationTokenSource();
void Stop(PosixSignalContext context)
{
    context.Cancel = true;
    shutdown.Cancel();
}

using var onInterrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
using var onTerminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);

var postgresTask = PostgresServer.StartAsync(new PostgresServerOptions(), loggerFactory.CreateLogger("postgres"), shutdown.Token);
var rabbitTask = RabbitMqServer.StartAsync(new RabbitMqServerOptions(), loggerFactory.CreateLogger("messaging"), shutdown.Token);
await using var postgres = await postgresTask;
await using var rabbit = await rabbitTask;
await postgres.CreateDatabaseAsync("authdb", shutdown.Token);

Console.WriteLine($"""

    Resources:
      postgres   running  127.0.0.1:{postgres.Port} (database authdb, user {postgres.Username})
      messaging  running  amqp://127.0.0.1:{rabbit.AmqpPort}  management {rabbit.ManagementUri}

    Connection strings for a service started by hand (secrets are per run):
      ConnectionStrings__authdb='{postgres.GetConnectionString("authdb")}'
      ConnectionStrings__messaging='{rabbit.GetConnectionString()}'

    Distributed application started. Press Ctrl+C to shut down.
    """);

try
{
    await Task.Delay(Timeout.Infinite, shutdown.Token);
}
catch (OperationCanceledException)
{
    logger.LogInformation("Shutting down");
}
