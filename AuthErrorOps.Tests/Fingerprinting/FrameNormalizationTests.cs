using AuthErrorOps.Core.Fingerprinting;

using Xunit;

using static AuthErrorOps.Tests.Fingerprinting.TraceCorpus;

namespace AuthErrorOps.Tests.Fingerprinting;

/// <summary>The exact frames that are hashed and the title, one rule of docs/fingerprint-rules.md at a time.</summary>
public sealed class FrameNormalizationTests
{
    /// <summary>Exception type, trace, expected hashed frames, expected title.</summary>
    public static TheoryData<string, string, string[], string> RepresentativeTraces => new()
    {
        {
            "Acme.Auth.Tokens.InvalidTokenException",
            DotNetLogin(FirstBuild),
            [
                "Acme.Auth.Tokens.TokenValidator.Validate",
                "Acme.Auth.Login.LoginService.LoginAsync{lambda}",
                "Acme.Auth.Login.LoginService.LoginAsync.CheckCredentials",
                "Acme.Auth.Login.LoginService.LoginAsync",
                "Acme.Auth.Caching.TokenCache`1.GetOrAdd",
                "Acme.Auth.Api.LoginEndpoint.HandleAsync",
            ],
            "InvalidTokenException at TokenValidator.Validate"
        },
        {
            "System.InvalidOperationException",
            DotNetWrappedDatabaseError(FirstBuild),
            [
                "Acme.Auth.Users.UserRepository.FindAsync",
                "Acme.Auth.Login.LoginService.LoginAsync",
                "Acme.Auth.Users.UserRepository.FindAsync",
            ],
            "InvalidOperationException at UserRepository.FindAsync"
        },
        {
            "System.AggregateException",
            DotNetAggregate(FirstBuild),
            [
                "Acme.Auth.Login.BatchVerifier.VerifyAll",
                "Acme.Auth.Tokens.TokenValidator.Validate",
                "Acme.Auth.Login.BatchVerifier.VerifyAll{lambda}",
                "Acme.Auth.Keys.KeyStore.Get",
                "Acme.Auth.Tokens.TokenValidator.Validate",
            ],
            "AggregateException at BatchVerifier.VerifyAll"
        },
        {
            "Acme.Auth.Configuration.MissingSigningKeyException",
            DotNetStartup(nativeAot: true),
            [
                "Acme.Auth.Configuration.SigningKeyLoader.Load",
                "Acme.Auth.Configuration.SigningKeyLoader.Register{lambda}",
                "Program.Main",
            ],
            "MissingSigningKeyException at SigningKeyLoader.Load"
        },
        {
            "Microsoft.AspNetCore.Server.Kestrel.Core.BadHttpRequestException",
            DotNetFrameworkOnly(string.Empty),
            [
                "Microsoft.AspNetCore.Server.Kestrel.Core.Internal.Http.Http1ContentLengthMessageBody.OnReadStarting",
                "Microsoft.AspNetCore.Server.Kestrel.Core.Internal.Http.Http1MessageBody.TryStartAsync",
                "Microsoft.AspNetCore.Server.Kestrel.Core.Internal.Http.HttpRequestStream.ReadAsyncInternal",
                "Microsoft.AspNetCore.WebUtilities.FileBufferingReadStream.ReadAsync",
                "System.Text.Json.JsonSerializer.ReadFromStreamAsync",
            ],
            "BadHttpRequestException at Http1ContentLengthMessageBody.OnReadStarting"
        },
        {
            "com.acme.auth.token.InvalidTokenException",
            JavaLogin(FirstJvmBuild),
            [
                "com.acme.auth.token.TokenValidator.validate",
                "com.acme.auth.token.TokenValidator.validateAll{lambda}",
                "com.acme.auth.token.TokenValidator{lambda}.accept",
                "com.acme.auth.token.TokenValidator.validateAll",
                "com.acme.auth.login.LoginService.login",
                "com.acme.auth.api.LoginController.login",
            ],
            "InvalidTokenException at TokenValidator.validate"
        },
        {
            "org.springframework.dao.DataAccessResourceFailureException",
            JavaConnectionFailure(FirstJvmBuild),
            [
                "com.acme.auth.user.UserService.load",
                "com.acme.auth.login.LoginService.login",
            ],
            "DataAccessResourceFailureException at UserService.load"
        },
        {
            "com.acme.auth.session.SessionExpiredException",
            KotlinCoroutine(lineShift: 0, continuationOrdinal: 1),
            [
                "com.acme.auth.session.SessionStore.require",
                "com.acme.auth.session.SessionStore.refresh{anonymous}.invokeSuspend",
            ],
            "SessionExpiredException at SessionStore.require"
        },
    };

    [Theory]
    [MemberData(nameof(RepresentativeTraces))]
    public void Representative_traces_hash_these_frames(string exceptionType, string trace, string[] expectedFrames, string expectedTitle)
    {
        var result = StackFingerprint.Compute(exceptionType, trace);

        Assert.Equal(expectedFrames, result.Frames);
        Assert.Equal(expectedTitle, result.Title);
        Assert.False(result.UsedMessageFallback);
        Assert.Equal(StackFingerprint.Version, result.Version);
    }

    /// <summary>One frame line and the normalised frame it must produce.</summary>
    public static TheoryData<string, string> SingleFrames => new()
    {
        // Rule 1: file/line, IL offsets, NativeAOT offsets, Mono spacing.
        { "   at Acme.Auth.TokenValidator.Validate(String token) in /src/Acme.Auth/TokenValidator.cs:line 42", "Acme.Auth.TokenValidator.Validate" },
        { @"   at Acme.Auth.TokenValidator.Validate(String token) in C:\src\Acme.Auth\TokenValidator.cs:line 42", "Acme.Auth.TokenValidator.Validate" },
        { "   at Acme.Auth.TokenValidator.Validate (System.String token) [0x0001c] in <8a1b2c3d4e5f>:0", "Acme.Auth.TokenValidator.Validate" },
        { "   at Acme.Auth.TokenValidator.Validate(String, DateTimeOffset) + 0x8c", "Acme.Auth.TokenValidator.Validate" },
        { "   at Acme.Auth.TokenValidator..ctor(IClock clock) in /src/TokenValidator.cs:line 12", "Acme.Auth.TokenValidator..ctor" },
        { "   at Acme.Auth.TokenValidator..cctor()", "Acme.Auth.TokenValidator..cctor" },
        // Rule 2: async state machines.
        { "   at Acme.Auth.LoginService.<Login>d__12.MoveNext() in /src/LoginService.cs:line 60", "Acme.Auth.LoginService.Login" },
        { "   at Acme.Auth.LoginService+<Login>d__12.MoveNext()", "Acme.Auth.LoginService.Login" },
        { "   at Acme.Auth.LoginService.<ReadTokensAsync>d__4.System.Collections.Generic.IAsyncEnumerator<System.String>.MoveNextAsync()", "Acme.Auth.LoginService.ReadTokensAsync.System.Collections.Generic.IAsyncEnumerator.MoveNextAsync" },
        // Rule 3: lambdas, closures, local functions.
        { "   at Acme.Auth.LoginService.<>c__DisplayClass5_0.<Login>b__0_1(User user)", "Acme.Auth.LoginService.Login{lambda}" },
        { "   at Acme.Auth.LoginService.<>c.<Login>b__12_0(User user)", "Acme.Auth.LoginService.Login{lambda}" },
        { "   at Acme.Auth.LoginService+<>c__DisplayClass5_0+<<Login>b__0>d.MoveNext()", "Acme.Auth.LoginService.Login{lambda}" },
        { "   at Acme.Auth.LoginService.<Login>g__Check|3_0(String user)", "Acme.Auth.LoginService.Login.Check" },
        { "   at Acme.Auth.LoginService.<<Login>g__CheckAsync|3_0>d.MoveNext()", "Acme.Auth.LoginService.Login.CheckAsync" },
        { "   at Program.<<Main>$>g__Configure|0_0(WebApplicationBuilder builder) in /src/Program.cs:line 20", "Program.Main.Configure" },
        { "   at Program.<Main>$(String[] args)", "Program.Main" },
        { "   at Acme.Auth.Module.login@42-1.Invoke(Unit unitVar)", "Acme.Auth.Module.login{lambda}.Invoke" },
        // Rule 4: generics.
        { "   at Acme.Auth.TokenCache`1[[System.Int32, System.Private.CoreLib, Version=9.0.0.0, Culture=neutral, PublicKeyToken=7cec85d7bea7798e]].Get(Int32 key)", "Acme.Auth.TokenCache`1.Get" },
        { "   at Acme.Auth.TokenCache`1.GetOrAdd[TFactory](Int32 key, TFactory factory)", "Acme.Auth.TokenCache`1.GetOrAdd" },
        { "   at Acme.Auth.Pipeline`2[[Acme.Auth.Request, Acme.Auth, Version=1.0.0.0, Culture=neutral, PublicKeyToken=null],[System.String, System.Private.CoreLib]].Run(Request request)", "Acme.Auth.Pipeline`2.Run" },
        { "   at Acme.Auth.TokenCache`1<Int32>.Get(Int32) + 0x1c", "Acme.Auth.TokenCache`1.Get" },
        { "   at System.Collections.Generic.Dictionary`2<System.__Canon,System.__Canon>.FindValue(System.__Canon) + 0x5c", "System.Collections.Generic.Dictionary`2.FindValue" },
        // Ben.Demystifier style.
        { "   at async Task<IActionResult> Acme.Auth.LoginController.Login(LoginRequest request) in /src/LoginController.cs:line 20", "Acme.Auth.LoginController.Login" },
        // JVM frames.
        { "\tat com.acme.auth.Auth.login(Auth.java:42)", "com.acme.auth.Auth.login" },
        { "\tat app//com.acme.auth.Auth.login(Auth.java:42)", "com.acme.auth.Auth.login" },
        { "\tat com.acme.auth.Auth.lambda$login$0(Auth.java:42)", "com.acme.auth.Auth.login{lambda}" },
        { "\tat com.acme.auth.Auth$$Lambda$123/0x0000000800c0b000.apply(Unknown Source)", "com.acme.auth.Auth{lambda}.apply" },
        { "\tat com.acme.auth.Auth$$Lambda/0x000001f8a1012345.apply(Unknown Source)", "com.acme.auth.Auth{lambda}.apply" },
        { "\tat com.acme.auth.Auth$1.run(Auth.java:50)", "com.acme.auth.Auth{anonymous}.run" },
        { "\tat com.acme.auth.Auth$Inner.check(Auth.java:50)", "com.acme.auth.Auth.Inner.check" },
        { "\tat com.acme.auth.Auth$1Validator.check(Auth.java:50)", "com.acme.auth.Auth.Validator.check" },
        { "\tat com.acme.auth.AuthService$$EnhancerBySpringCGLIB$$abc123.login(<generated>)", "com.acme.auth.AuthService.login" },
        { "\tat com.acme.auth.AuthService$$SpringCGLIB$$0.login(<generated>)", "com.acme.auth.AuthService.login" },
        { "\tat com.acme.auth.AuthService$ByteBuddy$abc.login(Unknown Source)", "com.acme.auth.AuthService.login" },
        { "\tat com.acme.auth.AuthService$HibernateProxy$Xy12Ab.getName(Unknown Source)", "com.acme.auth.AuthService.getName" },
        { "\tat com.acme.auth.AuthService.access$000(AuthService.java:9)", "com.acme.auth.AuthService.access" },
        { "\tat com.acme.auth.AuthService.<init>(AuthService.java:9)", "com.acme.auth.AuthService.<init>" },
        { "\tat com.acme.auth.AuthKt.login$lambda$0(Auth.kt:12)", "com.acme.auth.AuthKt.login{lambda}" },
        { "\tat com.acme.loader/acme.auth@1.2/com.acme.auth.Auth.login(Auth.java:42)", "com.acme.auth.Auth.login" },
    };

    [Theory]
    [MemberData(nameof(SingleFrames))]
    public void Frame_is_normalised(string frameLine, string expectedFrame)
    {
        var result = StackFingerprint.Compute("Acme.TestException", frameLine);

        Assert.Equal([expectedFrame], result.Frames);
    }

    [Theory]
    [InlineData("   at System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw()")]
    [InlineData("   at System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(Exception source)")]
    [InlineData("   at System.Runtime.CompilerServices.TaskAwaiter.ThrowForNonSuccess(Task task)")]
    [InlineData("   at System.Runtime.CompilerServices.TaskAwaiter.HandleNonSuccessAndDebuggerNotification(Task task, ConfigureAwaitOptions options)")]
    [InlineData("   at System.Runtime.CompilerServices.TaskAwaiter`1.GetResult()")]
    [InlineData("   at System.Runtime.CompilerServices.ConfiguredTaskAwaitable`1.ConfiguredTaskAwaiter.GetResult()")]
    [InlineData("   at System.Runtime.CompilerServices.AsyncMethodBuilderCore.Start[TStateMachine](TStateMachine& stateMachine)")]
    [InlineData("   at System.Runtime.CompilerServices.AsyncTaskMethodBuilder`1.AsyncStateMachineBox`1.ExecutionContextCallback(Object s)")]
    [InlineData("   at System.Threading.ExecutionContext.RunInternal(ExecutionContext executionContext, ContextCallback callback, Object state)")]
    [InlineData("   at System.Threading.ExecutionContext.RunFromThreadPoolDispatchLoop(Thread threadPoolThread, ExecutionContext executionContext, ContextCallback callback, Object state)")]
    [InlineData("\tat java.base/jdk.internal.reflect.DirectMethodHandleAccessor.invoke(DirectMethodHandleAccessor.java:103)")]
    [InlineData("\tat sun.reflect.GeneratedMethodAccessor123.invoke(Unknown Source)")]
    public void Rule5_noise_frames_are_dropped(string noiseFrame)
    {
        var inApp = "   at Acme.Auth.TokenValidator.Validate(String token)";
        var result = StackFingerprint.Compute("Acme.TestException", $"{inApp}\n{noiseFrame}\n{inApp.Replace("Validate", "Run")}");

        Assert.Equal(["Acme.Auth.TokenValidator.Validate", "Acme.Auth.TokenValidator.Run"], result.Frames);
    }

    [Fact]
    public void Rule5_noise_frames_do_not_count_among_the_top_five()
    {
        var trace = """
               at System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw()
               at System.Runtime.CompilerServices.TaskAwaiter.ThrowForNonSuccess(Task task)
               at System.Net.Http.HttpConnectionPool.ConnectAsync(HttpRequestMessage request, Boolean async, CancellationToken cancellationToken)
            --- End of stack trace from previous location ---
               at System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw()
               at System.Net.Http.HttpClient.SendAsync(HttpRequestMessage request)
            """;

        var result = StackFingerprint.Compute("System.Net.Http.HttpRequestException", trace);

        Assert.Equal(["System.Net.Http.HttpConnectionPool.ConnectAsync", "System.Net.Http.HttpClient.SendAsync"], result.Frames);
    }

    [Fact]
    public void Rule6_in_app_frames_win_over_framework_frames()
    {
        var trace = """
               at Npgsql.NpgsqlConnection.Open()
               at Polly.ResiliencePipeline.Execute[TResult](Func`1 callback)
               at RabbitMQ.Client.Impl.Connection.Open()
               at Acme.Auth.Users.UserRepository.Find(Int32 id)
               at Grpc.Core.Server.HandleCall()
               at Newtonsoft.Json.JsonConvert.DeserializeObject(String value)
               at Dapper.SqlMapper.Query(IDbConnection cnn, String sql)
               at Acme.Auth.Login.LoginService.Login(String user)
            """;

        var result = StackFingerprint.Compute("Npgsql.NpgsqlException", trace);

        Assert.Equal(["Acme.Auth.Users.UserRepository.Find", "Acme.Auth.Login.LoginService.Login"], result.Frames);
        Assert.Equal("NpgsqlException at UserRepository.Find", result.Title);
    }

    [Fact]
    public void Rule6_at_most_eight_in_app_frames_per_level_are_hashed()
    {
        var lines = new List<string>();
        for (var i = 0; i < 20; i++)
        {
            lines.Add($"   at Acme.Auth.Step{i}.Run()");
        }

        var first = StackFingerprint.Compute("Acme.TestException", string.Join('\n', lines));
        lines[15] = "   at Acme.Auth.SomethingElse.Run()";
        var deeperChange = StackFingerprint.Compute("Acme.TestException", string.Join('\n', lines));

        Assert.Equal(8, first.Frames.Count);
        Assert.Equal("Acme.Auth.Step7.Run", first.Frames[^1]);
        Assert.Equal(first.StackHash, deeperChange.StackHash);
    }

    [Fact]
    public void Rule7_recursion_counts_once()
    {
        static string Recursive(int depth) =>
            "   at Acme.Auth.Policies.PolicyTree.Evaluate(PolicyNode node)\n" +
            string.Concat(Enumerable.Repeat("   at Acme.Auth.Policies.PolicyTree.Evaluate(PolicyNode node) in /src/PolicyTree.cs:line 30\n", depth)) +
            "   at Acme.Auth.Login.LoginService.Login(String user)\n";

        var shallow = StackFingerprint.Compute("System.StackOverflowException", Recursive(3));
        var deep = StackFingerprint.Compute("System.StackOverflowException", Recursive(250));

        Assert.Equal(["Acme.Auth.Policies.PolicyTree.Evaluate", "Acme.Auth.Login.LoginService.Login"], shallow.Frames);
        Assert.Equal(shallow.StackHash, deep.StackHash);
    }

    [Fact]
    public void Rule7_recursion_through_framework_frames_counts_once()
    {
        var trace = """
               at Acme.Auth.Middleware.AuditMiddleware.Invoke(HttpContext context)
               at Microsoft.AspNetCore.Builder.UseMiddlewareExtensions.InterfaceMiddlewareBinder.Invoke(HttpContext context)
               at Acme.Auth.Middleware.AuditMiddleware.Invoke(HttpContext context)
               at Acme.Auth.Program.Main(String[] args)
            """;

        var result = StackFingerprint.Compute("Acme.TestException", trace);

        Assert.Equal(["Acme.Auth.Middleware.AuditMiddleware.Invoke", "Acme.Auth.Program.Main"], result.Frames);
    }

    [Fact]
    public void Rule8_level_types_are_read_from_dotnet_framework_one_line_headers()
    {
        var oneLine = """
            System.InvalidOperationException: Login failed ---> System.ArgumentException: bad user ---> Acme.Auth.UserLockedException: locked
               at Acme.Auth.Users.UserGuard.EnsureNotLocked(User user)
               --- End of inner exception stack trace ---
               at Acme.Auth.Users.UserGuard.Check(User user)
               --- End of inner exception stack trace ---
               at Acme.Auth.Login.LoginService.Login(String user)
            """;
        var otherInnermost = oneLine.Replace("Acme.Auth.UserLockedException", "Acme.Auth.UserDisabledException");

        var result = StackFingerprint.Compute("System.InvalidOperationException", oneLine);

        Assert.Equal(["Acme.Auth.Login.LoginService.Login", "Acme.Auth.Users.UserGuard.Check", "Acme.Auth.Users.UserGuard.EnsureNotLocked"], result.Frames);
        Assert.NotEqual(result.StackHash, StackFingerprint.Compute("System.InvalidOperationException", otherInnermost).StackHash);
    }

    [Fact]
    public void Rule8_without_frames_the_normalised_message_is_hashed()
    {
        var first = StackFingerprint.Compute("Acme.Auth.LoginFailedException", null, "Login failed for bob@acme.com from 10.1.2.3 at 2024-05-01T10:20:30Z");
        var second = StackFingerprint.Compute("Acme.Auth.LoginFailedException", "", "Login failed for eve@example.org from 2001:db8::7 at 2025-11-24T07:16:00Z");
        var otherType = StackFingerprint.Compute("Acme.Auth.LoginBlockedException", null, "Login failed for bob@acme.com from 10.1.2.3 at 2024-05-01T10:20:30Z");

        Assert.True(first.UsedMessageFallback);
        Assert.Empty(first.Frames);
        Assert.Equal(first.StackHash, second.StackHash);
        Assert.NotEqual(first.StackHash, otherType.StackHash);
        Assert.Equal("LoginFailedException: Login failed for <email> from <ip> at <date>", first.Title);
    }

    [Fact]
    public void Rule8_fallback_reads_the_message_from_the_trace_header_when_none_is_given()
    {
        var fromHeader = StackFingerprint.Compute("System.TimeoutException", "System.TimeoutException: Timed out after 30000 ms.\r\n");
        var fromArgument = StackFingerprint.Compute("System.TimeoutException", null, "Timed out after 100 ms.");

        Assert.True(fromHeader.UsedMessageFallback);
        Assert.Equal(fromArgument.StackHash, fromHeader.StackHash);
        Assert.Equal("TimeoutException: Timed out after <num> ms.", fromHeader.Title);
    }

    [Fact]
    public void Fallback_applies_when_only_noise_frames_exist()
    {
        var result = StackFingerprint.Compute(
            "System.OperationCanceledException",
            "   at System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw()\n   at System.Runtime.CompilerServices.TaskAwaiter.ThrowForNonSuccess(Task task)",
            "The operation was canceled.");

        Assert.True(result.UsedMessageFallback);
        Assert.Equal("OperationCanceledException: The operation was canceled.", result.Title);
    }

    [Fact]
    public void Blank_exception_class_falls_back_to_the_trace_header_type()
    {
        var fromHeader = StackFingerprint.Compute("", JavaLogin(FirstJvmBuild));
        var given = StackFingerprint.Compute("com.acme.auth.token.InvalidTokenException", JavaLogin(FirstJvmBuild));

        Assert.Equal(given.StackHash, fromHeader.StackHash);
        Assert.Equal("InvalidTokenException at TokenValidator.validate", fromHeader.Title);
    }

    [Fact]
    public void Title_uses_the_short_exception_name_and_is_capped()
    {
        var longName = "Acme.Auth." + new string('X', 400) + "Exception";
        var result = StackFingerprint.Compute(longName, "   at Acme.Auth.TokenValidator.Validate(String token)");

        Assert.True(result.Title.Length <= 300);
        Assert.StartsWith("XXXX", result.Title);
        Assert.Equal("InvalidTokenException at TokenValidator.Validate",
            StackFingerprint.Compute("Acme.Auth.InvalidTokenException", "   at Acme.Auth.TokenValidator.Validate(String token)").Title);
        Assert.Equal("Inner at TokenValidator.Validate",
            StackFingerprint.Compute("Acme.Auth.Outer+Inner", "   at Acme.Auth.TokenValidator.Validate(String token)").Title);
    }

    [Fact]
    public void Rule9_version_is_returned()
    {
        var result = StackFingerprint.Compute("Acme.TestException", "   at Acme.Auth.TokenValidator.Validate(String token)");

        Assert.Equal(1, StackFingerprint.Version);
        Assert.Equal(StackFingerprint.Version, result.Version);
    }
}
