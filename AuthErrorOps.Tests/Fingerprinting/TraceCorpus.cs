namespace AuthErrorOps.Tests.Fingerprinting;

/// <summary>
/// Real-looking .NET and JVM stack traces. Each builder takes what changes when the same code is
/// rebuilt or reached differently (line numbers, compiler ordinals, paths, framework call path), so
/// tests can ask for two builds of one root cause or two genuinely different causes.
/// </summary>
internal static class TraceCorpus
{
    /// <summary>What a rebuild or redeploy of the same .NET code changes.</summary>
    public sealed record DotNetBuild(
        int LineShift = 0,
        int StateMachineOrdinal = 12,
        string LambdaSuffix = "b__0_1",
        string DisplayClass = "<>c__DisplayClass5_0",
        string LocalFunctionSuffix = "3_0",
        string SourceRoot = "/home/runner/work/acme/acme/src",
        string CoreLibVersion = "9.0.0.0",
        string IlOffset = "0x0001c");

    public static readonly DotNetBuild FirstBuild = new();

    public static readonly DotNetBuild Rebuilt = new(
        LineShift: 7,
        StateMachineOrdinal: 15,
        LambdaSuffix: "b__3_0",
        DisplayClass: "<>c__DisplayClass7_1",
        LocalFunctionSuffix: "5_2",
        SourceRoot: @"D:\a\acme\acme\src",
        CoreLibVersion: "10.0.0.0",
        IlOffset: "0x00031");

    public const string MvcFrameworkPath = """
           at Microsoft.AspNetCore.Mvc.Infrastructure.ActionMethodExecutor.TaskOfIActionResultExecutor.Execute(ActionContext actionContext, IActionResultTypeMapper mapper, ObjectMethodExecutor executor, Object controller, Object[] arguments)
           at Microsoft.AspNetCore.Mvc.Infrastructure.ControllerActionInvoker.<InvokeActionMethodAsync>g__Awaited|12_0(ControllerActionInvoker invoker, ValueTask`1 actionResultValueTask)
           at Microsoft.AspNetCore.Mvc.Infrastructure.ControllerActionInvoker.<InvokeNextActionFilterAsync>g__Awaited|10_0(ControllerActionInvoker invoker, Task lastTask, State next, Scope scope, Object state, Boolean isCompleted)
           at Microsoft.AspNetCore.Mvc.Infrastructure.ControllerActionInvoker.Rethrow(ActionExecutedContextSealed context)
           at Microsoft.AspNetCore.Routing.EndpointMiddleware.<Invoke>g__AwaitRequestTask|7_0(Endpoint endpoint, Task requestTask, ILogger logger)
           at Microsoft.AspNetCore.Authorization.AuthorizationMiddleware.Invoke(HttpContext context)
           at Microsoft.AspNetCore.Authentication.AuthenticationMiddleware.Invoke(HttpContext context)
           at Microsoft.AspNetCore.Server.Kestrel.Core.Internal.Http.HttpProtocol.ProcessRequests[TContext](IHttpApplication`1 application)
        """;

    public const string MinimalApiFrameworkPath = """
           at Microsoft.AspNetCore.Http.RequestDelegateFactory.ExecuteTaskResult[T](Task`1 task, HttpContext httpContext)
           at Microsoft.AspNetCore.Http.RequestDelegateFactory.<>c__DisplayClass100_2.<<HandleRequestBodyAndCompileRequestDelegateForJson>b__2>d.MoveNext()
        --- End of stack trace from previous location ---
           at Microsoft.AspNetCore.Routing.EndpointMiddleware.<Invoke>g__AwaitRequestTask|7_0(Endpoint endpoint, Task requestTask, ILogger logger)
           at Microsoft.AspNetCore.Diagnostics.ExceptionHandlerMiddlewareImpl.<Invoke>g__Awaited|10_0(ExceptionHandlerMiddlewareImpl middleware, HttpContext context, Task task)
        """;

    /// <summary>
    /// An async login: the validator throws inside a lambda called from a local function of an async
    /// method, awaited by an endpoint; <paramref name="caller"/> is the in-app service that starts it.
    /// </summary>
    public static string DotNetLogin(
        DotNetBuild build,
        string frameworkPath = MvcFrameworkPath,
        string exceptionType = "Acme.Auth.Tokens.InvalidTokenException",
        string throwingMethod = "Validate",
        string caller = "LoginService",
        string callerMethod = "LoginAsync",
        string message = "The token has expired.")
    {
        var b = build;
        var root = b.SourceRoot;
        var sep = root.Contains('\\') ? "\\" : "/";
        return $"""
            {exceptionType}: {message}
               at Acme.Auth.Tokens.TokenValidator.{throwingMethod}(String token, DateTimeOffset now) in {root}{sep}Acme.Auth{sep}Tokens{sep}TokenValidator.cs:line {42 + b.LineShift}
               at Acme.Auth.Login.{caller}.{b.DisplayClass}.<{callerMethod}>{b.LambdaSuffix}(Credential credential) in {root}{sep}Acme.Auth{sep}Login{sep}{caller}.cs:line {88 + b.LineShift}
               at System.Linq.Enumerable.Any[TSource](IEnumerable`1 source, Func`2 predicate)
               at Acme.Auth.Login.{caller}.<{callerMethod}>g__CheckCredentials|{b.LocalFunctionSuffix}(IReadOnlyList`1 credentials) in {root}{sep}Acme.Auth{sep}Login{sep}{caller}.cs:line {95 + b.LineShift}
               at Acme.Auth.Login.{caller}.<{callerMethod}>d__{b.StateMachineOrdinal}.MoveNext() in {root}{sep}Acme.Auth{sep}Login{sep}{caller}.cs:line {61 + b.LineShift}
            --- End of stack trace from previous location ---
               at Acme.Auth.Caching.TokenCache`1[[System.Int32, System.Private.CoreLib, Version={b.CoreLibVersion}, Culture=neutral, PublicKeyToken=7cec85d7bea7798e]].GetOrAdd(Int32 key) [{b.IlOffset}] in {root}{sep}Acme.Auth{sep}Caching{sep}TokenCache.cs:line {19 + b.LineShift}
               at Acme.Auth.Api.LoginEndpoint.<HandleAsync>d__{b.StateMachineOrdinal - 8}.MoveNext() in {root}{sep}Acme.Auth.Api{sep}LoginEndpoint.cs:line {30 + b.LineShift}
            --- End of stack trace from previous location ---
            {frameworkPath}
            """;
    }

    /// <summary>An outer InvalidOperationException wrapping a database exception (Exception.ToString() layout).</summary>
    public static string DotNetWrappedDatabaseError(
        DotNetBuild build,
        string innerType = "Npgsql.PostgresException",
        string npgsqlVersionFrame = "Npgsql.Internal.NpgsqlConnector.ReadMessageLong(Boolean async, DataRowLoadingMode dataRowLoadingMode, Boolean readingNotifications, Boolean isReadingPrependedMessage)")
    {
        var b = build;
        return $"""
            System.InvalidOperationException: Could not load user 4711.
             ---> {innerType} (0x80004005): 57014: canceling statement due to statement timeout
               at {npgsqlVersionFrame}
               at System.Runtime.CompilerServices.PoolingAsyncValueTaskMethodBuilder`1.StateMachineBox`1.System.Threading.Tasks.Sources.IValueTaskSource<TResult>.GetResult(Int16 token)
               at Npgsql.NpgsqlDataReader.NextResult(Boolean async, Boolean isConsuming, CancellationToken cancellationToken)
               at Npgsql.NpgsqlCommand.ExecuteReader(Boolean async, CommandBehavior behavior, CancellationToken cancellationToken)
               at Dapper.SqlMapper.QueryRowAsync[T](IDbConnection cnn, Row row, Type effectiveType, CommandDefinition command) in /_/Dapper/SqlMapper.Async.cs:line 489
               at Acme.Auth.Users.UserRepository.<FindAsync>d__{b.StateMachineOrdinal - 9}.MoveNext() in {b.SourceRoot}/Acme.Auth/Users/UserRepository.cs:line {27 + b.LineShift}
              Exception data:
                Severity: ERROR
                SqlState: 57014
               --- End of inner exception stack trace ---
               at Acme.Auth.Users.UserRepository.<FindAsync>d__{b.StateMachineOrdinal - 9}.MoveNext() in {b.SourceRoot}/Acme.Auth/Users/UserRepository.cs:line {33 + b.LineShift}
            --- End of stack trace from previous location ---
               at Acme.Auth.Login.LoginService.<LoginAsync>d__{b.StateMachineOrdinal}.MoveNext() in {b.SourceRoot}/Acme.Auth/Login/LoginService.cs:line {58 + b.LineShift}
            --- End of stack trace from previous location ---
               at Microsoft.AspNetCore.Routing.EndpointMiddleware.<Invoke>g__AwaitRequestTask|7_0(Endpoint endpoint, Task requestTask, ILogger logger)
            """;
    }

    public static string DotNetAggregate(DotNetBuild build, string secondInnerType = "Acme.Auth.Keys.SigningKeyNotFoundException")
    {
        var b = build;
        return $"""
            System.AggregateException: One or more errors occurred. (Token expired) (Key not found)
             ---> Acme.Auth.Tokens.InvalidTokenException: Token expired
               at Acme.Auth.Tokens.TokenValidator.Validate(String token) in {b.SourceRoot}/Acme.Auth/Tokens/TokenValidator.cs:line {42 + b.LineShift}
               at Acme.Auth.Login.BatchVerifier.{b.DisplayClass}.<VerifyAll>{b.LambdaSuffix}(String token) in {b.SourceRoot}/Acme.Auth/Login/BatchVerifier.cs:line {18 + b.LineShift}
               at System.Threading.Tasks.Parallel.<>c__DisplayClass19_0`2.<ForWorker>b__1(RangeWorker& currentWorker, Int64 timeout, Boolean& replicationDelegateYieldedBeforeCompletion)
               --- End of inner exception stack trace ---
               at System.Threading.Tasks.TaskReplicator.Run[TState](ReplicatableUserAction`1 action, ParallelOptions options, Boolean stopOnFirstFailure, Int32 maxConcurrency)
               at System.Threading.Tasks.Parallel.ForEach[TSource](IEnumerable`1 source, Action`1 body)
               at Acme.Auth.Login.BatchVerifier.VerifyAll(IReadOnlyList`1 tokens) in {b.SourceRoot}/Acme.Auth/Login/BatchVerifier.cs:line {17 + b.LineShift}
             ---> (Inner Exception #1) {secondInnerType}: Key not found
               at Acme.Auth.Keys.KeyStore.Get(String keyId) in {b.SourceRoot}/Acme.Auth/Keys/KeyStore.cs:line {12 + b.LineShift}
               at Acme.Auth.Tokens.TokenValidator.Validate(String token) in {b.SourceRoot}/Acme.Auth/Tokens/TokenValidator.cs:line {40 + b.LineShift}
               at System.Threading.Tasks.Parallel.<>c__DisplayClass19_0`2.<ForWorker>b__1(RangeWorker& currentWorker, Int64 timeout, Boolean& replicationDelegateYieldedBeforeCompletion)<---

            """;
    }

    /// <summary>The same code published with NativeAOT (no file/line, "+ 0x…" offsets) or run on the JIT.</summary>
    public static string DotNetStartup(bool nativeAot) => nativeAot
        ? """
          Unhandled exception. Acme.Auth.Configuration.MissingSigningKeyException: No signing key configured.
             at Acme.Auth.Configuration.SigningKeyLoader.Load(IConfiguration) + 0x8c
             at Acme.Auth.Configuration.SigningKeyLoader.<>c.<Register>b__2_0(IServiceProvider) + 0x1d
             at Microsoft.Extensions.DependencyInjection.ServiceLookup.CallSiteRuntimeResolver.VisitFactory(FactoryCallSite, RuntimeResolverContext) + 0x2f
             at Program.<Main>$(String[]) + 0x2b
             at Acme.Auth.Api!<BaseAddress>+0x1d0f8b
          """
        : """
          Unhandled exception. Acme.Auth.Configuration.MissingSigningKeyException: No signing key configured.
             at Acme.Auth.Configuration.SigningKeyLoader.Load(IConfiguration configuration) in /src/Acme.Auth/Configuration/SigningKeyLoader.cs:line 31
             at Acme.Auth.Configuration.SigningKeyLoader.<>c.<Register>b__2_0(IServiceProvider services) in /src/Acme.Auth/Configuration/SigningKeyLoader.cs:line 12
             at Microsoft.Extensions.DependencyInjection.ServiceLookup.CallSiteRuntimeResolver.VisitFactory(FactoryCallSite factoryCallSite, RuntimeResolverContext context)
             at Microsoft.Extensions.DependencyInjection.ServiceLookup.CallSiteVisitor`2.VisitCallSiteMain(ServiceCallSite callSite, TArgument argument)
             at Program.<Main>$(String[] args) in /src/Acme.Auth.Api/Program.cs:line 9
          """;

    /// <summary>A failure inside the framework only (no application frame): hashed by its top frames.</summary>
    public static string DotNetFrameworkOnly(string deeperFrames) => $"""
        Microsoft.AspNetCore.Server.Kestrel.Core.BadHttpRequestException: Request body too large. The max request body size is 30000000 bytes.
           at Microsoft.AspNetCore.Server.Kestrel.Core.Internal.Http.Http1ContentLengthMessageBody.OnReadStarting()
           at Microsoft.AspNetCore.Server.Kestrel.Core.Internal.Http.Http1MessageBody.TryStartAsync()
           at Microsoft.AspNetCore.Server.Kestrel.Core.Internal.Http.HttpRequestStream.ReadAsyncInternal(Memory`1 destination, CancellationToken cancellationToken)
           at Microsoft.AspNetCore.WebUtilities.FileBufferingReadStream.ReadAsync(Memory`1 buffer, CancellationToken cancellationToken)
           at System.Text.Json.JsonSerializer.ReadFromStreamAsync[TValue](Stream utf8Json, ReadBufferState bufferState, CancellationToken cancellationToken)
        {deeperFrames}
        """;

    /// <summary>What a rebuild or redeploy of the same JVM code changes.</summary>
    public sealed record JvmBuild(
        int LineShift = 0,
        string ServiceProxySuffix = "$$EnhancerBySpringCGLIB$$a1b2c3d4",
        string LambdaOrdinal = "0",
        string LambdaClass = "$$Lambda$1234/0x0000000800c0b000",
        string JavaBase = "java.base@17.0.9",
        int MoreCount = 12);

    public static readonly JvmBuild FirstJvmBuild = new();

    /// <summary>Spring 6 on JDK 21: proxy names, lambda hidden classes and module versions all change.</summary>
    public static readonly JvmBuild RebuiltJvm = new(
        LineShift: 4,
        ServiceProxySuffix: "$$SpringCGLIB$$0",
        LambdaOrdinal: "3",
        LambdaClass: "$$Lambda/0x000001f8a1012345",
        JavaBase: "java.base",
        MoreCount: 15);

    public const string TomcatPath = """
        	at org.springframework.web.servlet.FrameworkServlet.service(FrameworkServlet.java:885)
        	at jakarta.servlet.http.HttpServlet.service(HttpServlet.java:658)
        	at org.apache.catalina.core.ApplicationFilterChain.internalDoFilter(ApplicationFilterChain.java:205)
        	at org.apache.catalina.core.ApplicationFilterChain.doFilter(ApplicationFilterChain.java:149)
        	at org.apache.tomcat.util.net.NioEndpoint$SocketProcessor.doRun(NioEndpoint.java:1791)
        	at org.apache.tomcat.util.threads.ThreadPoolExecutor$Worker.run(ThreadPoolExecutor.java:659)
        """;

    public const string JettyPath = """
        	at org.springframework.web.servlet.FrameworkServlet.service(FrameworkServlet.java:885)
        	at org.eclipse.jetty.ee10.servlet.ServletHolder.handle(ServletHolder.java:736)
        	at org.eclipse.jetty.ee10.servlet.ServletHandler$ChainEnd.doFilter(ServletHandler.java:1614)
        	at org.eclipse.jetty.util.thread.QueuedThreadPool$Runner.run(QueuedThreadPool.java:1149)
        """;

    public static string JavaLogin(
        JvmBuild build,
        string serverPath = TomcatPath,
        string exceptionType = "com.acme.auth.token.InvalidTokenException",
        string throwingMethod = "validate",
        string caller = "LoginService",
        string callerMethod = "login")
    {
        var b = build;
        return $"""
            {exceptionType}: token expired for user 4711
            	at com.acme.auth.token.TokenValidator.{throwingMethod}(TokenValidator.java:{42 + b.LineShift})
            	at com.acme.auth.token.TokenValidator.lambda$validateAll${b.LambdaOrdinal}(TokenValidator.java:{57 + b.LineShift})
            	at com.acme.auth.token.TokenValidator{b.LambdaClass}.accept(Unknown Source)
            	at {b.JavaBase}/java.util.ArrayList.forEach(ArrayList.java:1596)
            	at com.acme.auth.token.TokenValidator.validateAll(TokenValidator.java:{58 + b.LineShift})
            	at com.acme.auth.login.{caller}.{callerMethod}(LoginService.java:{31 + b.LineShift})
            	at {b.JavaBase}/jdk.internal.reflect.DirectMethodHandleAccessor.invoke(DirectMethodHandleAccessor.java:103)
            	at {b.JavaBase}/java.lang.reflect.Method.invoke(Method.java:580)
            	at org.springframework.aop.support.AopUtils.invokeJoinpointUsingReflection(AopUtils.java:354)
            	at org.springframework.transaction.interceptor.TransactionInterceptor.invoke(TransactionInterceptor.java:119)
            	at org.springframework.aop.framework.ReflectiveMethodInvocation.proceed(ReflectiveMethodInvocation.java:184)
            	at com.acme.auth.login.{caller}{b.ServiceProxySuffix}.{callerMethod}(<generated>)
            	at com.acme.auth.api.LoginController.login(LoginController.java:{25 + b.LineShift})
            	at org.springframework.web.method.support.InvocableHandlerMethod.doInvoke(InvocableHandlerMethod.java:255)
            	at org.springframework.web.servlet.DispatcherServlet.doDispatch(DispatcherServlet.java:1089)
            {serverPath}
            	at {b.JavaBase}/java.lang.Thread.run(Thread.java:1583)
            """;
    }

    public static string JavaConnectionFailure(JvmBuild build, string rootCauseType = "java.sql.SQLTransientConnectionException")
    {
        var b = build;
        return $"""
            org.springframework.dao.DataAccessResourceFailureException: Unable to acquire JDBC Connection
            	at org.springframework.orm.jpa.vendor.HibernateJpaDialect.convertHibernateAccessException(HibernateJpaDialect.java:277)
            	at org.springframework.dao.support.PersistenceExceptionTranslationInterceptor.invoke(PersistenceExceptionTranslationInterceptor.java:137)
            	at jdk.proxy3/jdk.proxy3.$Proxy142.findByUsername(Unknown Source)
            	at com.acme.auth.user.UserService.load(UserService.java:{40 + b.LineShift})
            	at com.acme.auth.login.LoginService.login(LoginService.java:{29 + b.LineShift})
            	at {b.JavaBase}/java.lang.Thread.run(Thread.java:833)
            Caused by: org.hibernate.exception.JDBCConnectionException: Unable to acquire JDBC Connection [HikariPool-1 - Connection is not available]
            	at org.hibernate.exception.internal.SQLStateConversionDelegate.convert(SQLStateConversionDelegate.java:98)
            	at org.hibernate.engine.jdbc.connections.internal.LogicalConnectionManagedImpl.acquireConnectionIfNeeded(LogicalConnectionManagedImpl.java:108)
            	... {b.MoreCount + 30} more
            Caused by: {rootCauseType}: HikariPool-1 - Connection is not available, request timed out after 30000ms.
            	at com.zaxxer.hikari.pool.HikariPool.createTimeoutException(HikariPool.java:696)
            	at com.zaxxer.hikari.pool.HikariPool.getConnection(HikariPool.java:181)
            	... {b.MoreCount} more
            	Suppressed: java.lang.IllegalStateException: pool shutting down
            		at com.acme.auth.db.PoolWatchdog.check(PoolWatchdog.java:{12 + b.LineShift})
            		... 3 more
            """;
    }

    public static string KotlinCoroutine(int lineShift, int continuationOrdinal) => $"""
        com.acme.auth.session.SessionExpiredException: session expired
        	at com.acme.auth.session.SessionStore.require(SessionStore.kt:{44 + lineShift})
        	at com.acme.auth.session.SessionStore$refresh${continuationOrdinal}.invokeSuspend(SessionStore.kt:{61 + lineShift})
        	at kotlin.coroutines.jvm.internal.BaseContinuationImpl.resumeWith(ContinuationImpl.kt:33)
        	at kotlinx.coroutines.DispatchedTask.run(DispatchedTask.kt:108)
        	at kotlinx.coroutines.scheduling.CoroutineScheduler$Worker.run(CoroutineScheduler.kt:793)
        """;

    public static string WithLineEndings(string trace, string lineEnding) =>
        trace.Replace("\r\n", "\n").Replace("\n", lineEnding);
}
