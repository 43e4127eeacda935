using System.Net;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace AuthErrorOps.Dashboard.Hosting;

internal enum DashboardListener
{
    Unknown,
    Ui,
    OtlpGrpc,
    OtlpHttp,
}

/// <summary>
/// The three loopback endpoints of one Kestrel server, and which of them a request came through: a route
/// answers only on its own listener (UI and APIs, OTLP gRPC, OTLP HTTP).
/// </summary>
internal sealed class DashboardListeners
{
    private ListenOptions? _ui, _otlpGrpc, _otlpHttp;

    public int UiPort { get; private set; }

    public int OtlpGrpcPort { get; private set; }

    public int OtlpHttpPort { get; private set; }

    public void Listen(KestrelServerOptions kestrel, DashboardOptions options)
    {
        _ui = Listen(kestrel, options.UiPort, HttpProtocols.Http1);
        _otlpGrpc = Listen(kestrel, options.OtlpGrpcPort, HttpProtocols.Http2); // plain-text gRPC: HTTP/2 only
        _otlpHttp = Listen(kestrel, options.OtlpHttpPort, HttpProtocols.Http1);
    }

    /// <summary>Reads the bound ports (a configured 0 becomes the port the system chose).</summary>
    public void Resolve()
    {
        UiPort = PortOf(_ui);
        OtlpGrpcPort = PortOf(_otlpGrpc);
        OtlpHttpPort = PortOf(_otlpHttp);
    }

    public DashboardListener Of(HttpContext context)
    {
        var port = context.Connection.LocalPort;
        return port == UiPort ? DashboardListener.Ui
            : port == OtlpGrpcPort ? DashboardListener.OtlpGrpc
            : port == OtlpHttpPort ? DashboardListener.OtlpHttp
            : DashboardListener.Unknown;
    }

    private static ListenOptions Listen(KestrelServerOptions kestrel, int port, HttpProtocols protocols)
    {
        ListenOptions? bound = null;
        kestrel.Listen(IPAddress.Loopback, port, listen =>
        {
            listen.Protocols = protocols;
            bound = listen;
        });
        return bound!;
    }

    private static int PortOf(ListenOptions? listen) =>
        listen?.EndPoint is IPEndPoint { Port: > 0 } endPoint
            ? endPoint.Port
            : throw new InvalidOperationException("The dashboard's Kestrel endpoints are not bound.");
}
