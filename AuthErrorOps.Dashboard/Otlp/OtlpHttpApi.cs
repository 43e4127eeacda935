using System.Buffers;
using System.IO.Compression;
using AuthErrorOps.Dashboard.Otlp.Proto.Collector.Logs;
using AuthErrorOps.Dashboard.Otlp.Proto.Collector.Metrics;
using AuthErrorOps.Dashboard.Otlp.Proto.Collector.Trace;
using AuthErrorOps.Dashboard.Telemetry;
using Google.Protobuf;
using Microsoft.AspNetCore.Http.HttpResults;

namespace AuthErrorOps.Dashboard.Otlp;

/// <summary>OTLP/HTTP with binary protobuf bodies (optionally gzip): <c>POST /v1/traces|logs|metrics</c>.</summary>
internal static class OtlpHttpApi
{
    private const string ProtobufContentType = "application/x-protobuf";
    private const int MaxPayloadBytes = 64 * 1024 * 1024;

    public static RouteGroupBuilder MapOtlpHttpApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("v1");
        api.MapPost("/traces", ExportTracesAsync);
        api.MapPost("/logs", ExportLogsAsync);
        api.MapPost("/metrics", ExportMetricsAsync);
        return api;
    }

    public static Task<Results<FileContentHttpResult, ProblemHttpResult>> ExportTracesAsync(
        HttpRequest request, TelemetryStore telemetry, DashboardOptions options, CancellationToken cancellationToken) =>
        ReceiveAsync(request, options, ExportTraceServiceRequest.Parser, telemetry.AddTraces, new ExportTraceServiceResponse(), cancellationToken);

    public static Task<Results<FileContentHttpResult, ProblemHttpResult>> ExportLogsAsync(
        HttpRequest request, TelemetryStore telemetry, DashboardOptions options, CancellationToken cancellationToken) =>
        ReceiveAsync(request, options, ExportLogsServiceRequest.Parser, telemetry.AddLogs, new ExportLogsServiceResponse(), cancellationToken);

    public static Task<Results<FileContentHttpResult, ProblemHttpResult>> ExportMetricsAsync(
        HttpRequest request, TelemetryStore telemetry, DashboardOptions options, CancellationToken cancellationToken) =>
        ReceiveAsync(request, options, ExportMetricsServiceRequest.Parser, telemetry.AddMetrics, new ExportMetricsServiceResponse(), cancellationToken);

    private static async Task<Results<FileContentHttpResult, ProblemHttpResult>> ReceiveAsync<TRequest>(
        HttpRequest request, DashboardOptions options, MessageParser<TRequest> parser, Action<TRequest> store, IMessage response,
        CancellationToken cancellationToken)
        where TRequest : IMessage<TRequest>
    {
        if (!OtlpApiKey.IsPresented(request.Headers[OtlpApiKey.HeaderName].ToString(), options))
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status401Unauthorized, title: $"Missing or wrong {OtlpApiKey.HeaderName}");
        }

        if (!string.Equals(request.ContentType?.Split(';')[0].Trim(), ProtobufContentType, StringComparison.OrdinalIgnoreCase))
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status415UnsupportedMediaType, title: "Unsupported content type",
                detail: $"Send OTLP as {ProtobufContentType}.");
        }

        TRequest message;
        try
        {
            using var body = new MemoryStream();
            var gzipped = string.Equals(request.Headers.ContentEncoding.ToString(), "gzip", StringComparison.OrdinalIgnoreCase);
            if (gzipped)
            {
                await using var gzip = new GZipStream(request.Body, CompressionMode.Decompress, leaveOpen: true);
                await CopyBoundedAsync(gzip, body, cancellationToken);
            }
            else
            {
                await CopyBoundedAsync(request.Body, body, cancellationToken);
            }

            message = parser.ParseFrom(body.GetBuffer(), 0, (int)body.Length);
        }
        catch (Exception e) when (e is InvalidProtocolBufferException or InvalidDataException)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Malformed OTLP payload", detail: e.Message);
        }

        store(message);
        return TypedResults.Bytes(response.ToByteArray(), ProtobufContentType);
    }

    /// <summary>Copies at most <see cref="MaxPayloadBytes"/>, so a small gzip body cannot inflate without bound.</summary>
    private static async Task CopyBoundedAsync(Stream source, MemoryStream target, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(81_920);
        try
        {
            int read;
            while ((read = await source.ReadAsync(buffer, cancellationToken)) > 0)
            {
                if (target.Length + read > MaxPayloadBytes)
                {
                    throw new InvalidDataException($"The payload is larger than {MaxPayloadBytes / (1024 * 1024)} MB.");
                }

                target.Write(buffer, 0, read);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
