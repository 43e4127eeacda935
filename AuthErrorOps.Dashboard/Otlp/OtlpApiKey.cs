using AuthErrorOps.Dashboard.Security;
using Grpc.Core;
using Grpc.Core.Interceptors;

namespace AuthErrorOps.Dashboard.Otlp;

/// <summary>The <c>x-otlp-api-key</c> header every OTLP export must carry (gRPC metadata or HTTP header).</summary>
internal static class OtlpApiKey
{
    public const string HeaderName = "x-otlp-api-key";

    public static bool IsPresented(string? presented, DashboardOptions options) => Secrets.AreEqual(presented, options.OtlpApiKey);
}

/// <summary>Refuses a gRPC export without the right key with <see cref="StatusCode.Unauthenticated"/>, before anything is stored.</summary>
internal sealed class OtlpApiKeyInterceptor(DashboardOptions options) : Interceptor
{
    public override Task<TResponse> UnaryServerHandler<TRequest, TResponse>(
        TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        if (!OtlpApiKey.IsPresented(context.RequestHeaders.GetValue(OtlpApiKey.HeaderName), options))
        {
            throw new RpcException(new Status(StatusCode.Unauthenticated, $"Missing or wrong {OtlpApiKey.HeaderName}."));
        }

        return continuation(request, context);
    }
}
