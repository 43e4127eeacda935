using AuthErrorOps.AppHost;
using AuthErrorOps.AppHost.Hosting;

var builder = DistributedApplication.CreateBuilder(new DistributedApplicationOptions
{
    DataDirectory = Environment.GetEnvironmentVariable("AppHost__DataDirectory"),
});

builder.AddAuthErrorOps();

await builder.Build().RunAsync();
