using AuthErrorOps.Dashboard.Otlp.Proto.Collector.Logs;
using AuthErrorOps.Dashboard.Otlp.Proto.Collector.Metrics;
using AuthErrorOps.Dashboard.Otlp.Proto.Collector.Trace;
using AuthErrorOps.Dashboard.Telemetry;
using Grpc.Core;

namespace AuthErrorOps.Dashboard.Otlp;

internal sealed class OtlpTraceReceiver(TelemetryStore telemetry) : TraceService.TraceServiceBase
{
    public override Task<ExportTraceServiceResponse> Export(ExportTraceServiceRequest request, ServerCallContext context)
    {
        telemetry.AddTraces(request);
        return Task.FromResult(new ExportTraceServiceResponse());
    }
}

internal sealed class OtlpLogsReceiver(TelemetryStore telemetry) : LogsService.LogsServiceBase
{
    public override Task<ExportLogsServiceResponse> Export(ExportLogsServiceRequest request, ServerCallContext context)
    {
        telemetry.AddLogs(request);
        return Task.FromResult(new ExportLogsServiceResponse());
    }
}

internal sealed class OtlpMetricsReceiver(TelemetryStore telemetry) : MetricsService.MetricsServiceBase
{
    public override Task<ExportMetricsServiceResponse> Export(ExportMetricsServiceRequest request, ServerCallContext context)
    {
        telemetry.AddMetrics(request);
        return Task.FromResult(new ExportMetricsServiceResponse());
    }
}
