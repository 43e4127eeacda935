using System.Text;

using AuthErrorOps.Core.Fingerprinting;

using BenchmarkDotNet.Attributes;

namespace AuthErrorOps.MicroBench;

/// <summary>Stack fingerprinting runs once per ingested report, on the request path.</summary>
[MemoryDiagnoser]
public class StackFingerprintBenchmarks
{
    private const int FrameCount = 60;

    private string _dotNetTrace = string.Empty;
    private string _javaTrace = string.Empty;

    [GlobalSetup]
    public void BuildTraces()
    {
        _dotNetTrace = DotNetTrace();
        _javaTrace = JavaTrace();
    }

    [Benchmark(Baseline = true)]
    public FingerprintResult DotNet60Frames() =>
        StackFingerprint.Compute("Acme.Auth.Tokens.InvalidTokenException", _dotNetTrace);

    [Benchmark]
    public FingerprintResult Java60Frames() =>
        StackFingerprint.Compute("com.acme.auth.token.InvalidTokenException", _javaTrace);

    /// <summary>An ASP.NET Core request: a dozen async in-app frames over middleware and Kestrel frames.</summary>
    private static string DotNetTrace()
    {
        string[] inApp =
        [
            "Acme.Auth.Tokens.TokenValidator.Validate(String token, DateTimeOffset now) in /src/Acme.Auth/Tokens/TokenValidator.cs:line 42",
            "Acme.Auth.Login.LoginService.<>c__DisplayClass5_0.<LoginAsync>b__0_1(Credential credential) in /src/Acme.Auth/Login/LoginService.cs:line 88",
            "System.Linq.Enumerable.Any[TSource](IEnumerable`1 source, Func`2 predicate)",
            "Acme.Auth.Login.LoginService.<LoginAsync>g__CheckCredentials|3_0(IReadOnlyList`1 credentials) in /src/Acme.Auth/Login/LoginService.cs:line 95",
            "Acme.Auth.Login.LoginService.<LoginAsync>d__12.MoveNext() in /src/Acme.Auth/Login/LoginService.cs:line 61",
            "System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw()",
            "System.Runtime.CompilerServices.TaskAwaiter.ThrowForNonSuccess(Task task)",
            "Acme.Auth.Caching.TokenCache`1[[System.Int32, System.Private.CoreLib, Version=10.0.0.0, Culture=neutral, PublicKeyToken=7cec85d7bea7798e]].GetOrAdd(Int32 key) in /src/Acme.Auth/Caching/TokenCache.cs:line 19",
            "Acme.Auth.Api.LoginEndpoint.<HandleAsync>d__4.MoveNext() in /src/Acme.Auth.Api/LoginEndpoint.cs:line 30",
            "Acme.Auth.Api.Filters.AuditFilter.<InvokeAsync>d__2.MoveNext() in /src/Acme.Auth.Api/Filters/AuditFilter.cs:line 21",
            "Acme.Auth.Api.Middleware.CorrelationMiddleware.<Invoke>d__3.MoveNext() in /src/Acme.Auth.Api/Middleware/CorrelationMiddleware.cs:line 18",
        ];
        string[] framework =
        [
            "Microsoft.AspNetCore.Http.RequestDelegateFactory.ExecuteTaskResult[T](Task`1 task, HttpContext httpContext)",
            "Microsoft.AspNetCore.Routing.EndpointMiddleware.<Invoke>g__AwaitRequestTask|7_0(Endpoint endpoint, Task requestTask, ILogger logger)",
            "Microsoft.AspNetCore.Authorization.AuthorizationMiddleware.Invoke(HttpContext context)",
            "Microsoft.AspNetCore.Authentication.AuthenticationMiddleware.Invoke(HttpContext context)",
            "Microsoft.AspNetCore.Diagnostics.ExceptionHandlerMiddlewareImpl.<Invoke>g__Awaited|10_0(ExceptionHandlerMiddlewareImpl middleware, HttpContext context, Task task)",
            "System.Runtime.CompilerServices.AsyncMethodBuilderCore.Start[TStateMachine](TStateMachine& stateMachine)",
            "System.Threading.ExecutionContext.RunInternal(ExecutionContext executionContext, ContextCallback callback, Object state)",
            "Microsoft.AspNetCore.Server.Kestrel.Core.Internal.Http.HttpProtocol.ProcessRequests[TContext](IHttpApplication`1 application)",
        ];
        return Build("Acme.Auth.Tokens.InvalidTokenException: The token has expired.", "   at ", inApp, framework, "--- End of stack trace from previous location ---");
    }

    /// <summary>A Spring MVC request on Tomcat: in-app service, proxy and lambda frames over servlet filters.</summary>
    private static string JavaTrace()
    {
        string[] inApp =
        [
            "com.acme.auth.token.TokenValidator.validate(TokenValidator.java:42)",
            "com.acme.auth.token.TokenValidator.lambda$validateAll$0(TokenValidator.java:57)",
            "com.acme.auth.token.TokenValidator$$Lambda$1234/0x0000000800c0b000.accept(Unknown Source)",
            "java.base/java.util.ArrayList.forEach(ArrayList.java:1596)",
            "com.acme.auth.token.TokenValidator.validateAll(TokenValidator.java:58)",
            "com.acme.auth.login.LoginService.login(LoginService.java:31)",
            "java.base/jdk.internal.reflect.DirectMethodHandleAccessor.invoke(DirectMethodHandleAccessor.java:103)",
            "org.springframework.transaction.interceptor.TransactionInterceptor.invoke(TransactionInterceptor.java:119)",
            "com.acme.auth.login.LoginService$$SpringCGLIB$$0.login(<generated>)",
            "com.acme.auth.api.LoginController.login(LoginController.java:25)",
            "com.acme.auth.api.AuditFilter.doFilterInternal(AuditFilter.java:40)",
        ];
        string[] framework =
        [
            "org.springframework.web.method.support.InvocableHandlerMethod.doInvoke(InvocableHandlerMethod.java:255)",
            "org.springframework.web.servlet.DispatcherServlet.doDispatch(DispatcherServlet.java:1089)",
            "org.springframework.web.servlet.FrameworkServlet.service(FrameworkServlet.java:885)",
            "jakarta.servlet.http.HttpServlet.service(HttpServlet.java:658)",
            "org.apache.catalina.core.ApplicationFilterChain.internalDoFilter(ApplicationFilterChain.java:205)",
            "org.springframework.web.filter.OncePerRequestFilter.doFilter(OncePerRequestFilter.java:116)",
            "org.apache.tomcat.util.net.NioEndpoint$SocketProcessor.doRun(NioEndpoint.java:1791)",
            "org.apache.tomcat.util.threads.ThreadPoolExecutor$Worker.run(ThreadPoolExecutor.java:659)",
        ];
        return Build("com.acme.auth.token.InvalidTokenException: token expired for user 4711", "\tat ", inApp, framework, separator: null);
    }

    private static string Build(string header, string framePrefix, string[] inApp, string[] framework, string? separator)
    {
        var trace = new StringBuilder(header).Append('\n');
        for (var i = 0; i < FrameCount; i++)
        {
            if (separator is not null && i > 0 && i % 12 == 0)
            {
                trace.Append(separator).Append('\n');
            }

            var frame = i < inApp.Length ? inApp[i] : framework[(i - inApp.Length) % framework.Length];
            trace.Append(framePrefix).Append(frame).Append('\n');
        }

        return trace.ToString();
    }
}
