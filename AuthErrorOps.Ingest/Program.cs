using AuthErrorOps.Ingest.Apis;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddApplicationServices();

var app = builder.Build();

app.UseApiPipeline();
app.MapDefaultEndpoints();

app.MapAuthErrorsApi();
app.MapClustersApi();
app.MapOpsApi();

app.Run();
