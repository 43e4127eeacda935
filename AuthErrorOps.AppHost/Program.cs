using AuthErrorOps.AppHost;
using AuthErrorOps.AppHost.Hosting;

var builder = DistributedApplication.CreateBuilder(args);

builder.AddAuthErrorOps();

await builder.Build().RunAsync();
