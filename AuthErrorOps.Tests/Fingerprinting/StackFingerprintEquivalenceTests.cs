using AuthErrorOps.Core.Fingerprinting;

using Xunit;

using static AuthErrorOps.Tests.Fingerprinting.TraceCorpus;

namespace AuthErrorOps.Tests.Fingerprinting;

/// <summary>Pairs of traces that are one root cause (same hash) or two (different hashes).</summary>
public sealed class StackFingerprintEquivalenceTests
{
    /// <summary>Exception type, first trace, second trace.</summary>
    public static TheoryData<string, string, string> SameRootCause => new()
    {
        // .NET: rebuilt (lines, IL offsets, state-machine/lambda/display-class/local-function ordinals, paths, generic args).
        { "Acme.Auth.Tokens.InvalidTokenException", DotNetLogin(FirstBuild), DotNetLogin(Rebuilt) },
        { "Acme.Auth.Tokens.InvalidTokenException", DotNetLogin(FirstBuild), DotNetLogin(FirstBuild with { LineShift = 1 }) },
        { "Acme.Auth.Tokens.InvalidTokenException", DotNetLogin(FirstBuild), DotNetLogin(FirstBuild with { IlOffset = "0x00aff" }) },
        { "Acme.Auth.Tokens.InvalidTokenException", DotNetLogin(FirstBuild), DotNetLogin(FirstBuild with { SourceRoot = @"C:\build\agent\_work\3\s" }) },
        { "Acme.Auth.Tokens.InvalidTokenException", DotNetLogin(FirstBuild), DotNetLogin(FirstBuild with { CoreLibVersion = "8.0.0.0" }) },
        // .NET: the message is not part of the hash.
        { "Acme.Auth.Tokens.InvalidTokenException", DotNetLogin(FirstBuild), DotNetLogin(FirstBuild, message: "Token for bob@acme.com expired at 10:42") },
        // .NET: same in-app frames reached through a different framework path (MVC vs minimal API).
        { "Acme.Auth.Tokens.InvalidTokenException", DotNetLogin(FirstBuild, MvcFrameworkPath), DotNetLogin(Rebuilt, MinimalApiFrameworkPath) },
        // .NET: line endings.
        { "Acme.Auth.Tokens.InvalidTokenException", WithLineEndings(DotNetLogin(FirstBuild), "\n"), WithLineEndings(DotNetLogin(FirstBuild), "\r\n") },
        { "Acme.Auth.Tokens.InvalidTokenException", WithLineEndings(DotNetLogin(FirstBuild), "\r"), WithLineEndings(DotNetLogin(FirstBuild), "\r\n") },
        // .NET: inner exception whose framework frames differ across Npgsql versions.
        { "System.InvalidOperationException", DotNetWrappedDatabaseError(FirstBuild), DotNetWrappedDatabaseError(Rebuilt, npgsqlVersionFrame: "Npgsql.Internal.NpgsqlConnector.<ReadMessage>g__ReadMessageLong|233_0(NpgsqlConnector connector, Boolean async, DataRowLoadingMode dataRowLoadingMode, Boolean readingNotifications, Boolean isReadingPrependedMessage)") },
        { "System.InvalidOperationException", WithLineEndings(DotNetWrappedDatabaseError(FirstBuild), "\r\n"), DotNetWrappedDatabaseError(FirstBuild) },
        { "System.AggregateException", DotNetAggregate(FirstBuild), DotNetAggregate(Rebuilt) },
        // .NET: the same code on the JIT and published with NativeAOT.
        { "Acme.Auth.Configuration.MissingSigningKeyException", DotNetStartup(nativeAot: false), DotNetStartup(nativeAot: true) },
        // .NET: no in-app frame; frames past the top five do not count.
        {
            "Microsoft.AspNetCore.Server.Kestrel.Core.BadHttpRequestException",
            DotNetFrameworkOnly("   at System.Text.Json.Serialization.JsonConverter`1.ReadCore(Utf8JsonReader& reader)"),
            DotNetFrameworkOnly("   at Microsoft.AspNetCore.Http.HttpRequestJsonExtensions.ReadFromJsonAsync[TValue](HttpRequest request)")
        },
        // JVM: rebuilt (lines, CGLIB → Spring 6 proxy names, lambda ordinals, lambda hidden classes, module versions, "... N more").
        { "com.acme.auth.token.InvalidTokenException", JavaLogin(FirstJvmBuild), JavaLogin(RebuiltJvm) },
        { "com.acme.auth.token.InvalidTokenException", JavaLogin(FirstJvmBuild), JavaLogin(FirstJvmBuild with { ServiceProxySuffix = "$ByteBuddy$q9W2e1" }) },
        { "com.acme.auth.token.InvalidTokenException", JavaLogin(FirstJvmBuild), JavaLogin(FirstJvmBuild with { ServiceProxySuffix = "$$FastClassBySpringCGLIB$$7f1e2d" }) },
        // JVM: same in-app frames under Tomcat and under Jetty.
        { "com.acme.auth.token.InvalidTokenException", JavaLogin(FirstJvmBuild, TomcatPath), JavaLogin(RebuiltJvm, JettyPath) },
        // JVM: line endings.
        { "com.acme.auth.token.InvalidTokenException", WithLineEndings(JavaLogin(FirstJvmBuild), "\n"), WithLineEndings(JavaLogin(FirstJvmBuild), "\r\n") },
        { "org.springframework.dao.DataAccessResourceFailureException", JavaConnectionFailure(FirstJvmBuild), JavaConnectionFailure(RebuiltJvm) },
        { "org.springframework.dao.DataAccessResourceFailureException", WithLineEndings(JavaConnectionFailure(FirstJvmBuild), "\r\n"), JavaConnectionFailure(FirstJvmBuild) },
        { "com.acme.auth.session.SessionExpiredException", KotlinCoroutine(lineShift: 0, continuationOrdinal: 1), KotlinCoroutine(lineShift: 9, continuationOrdinal: 2) },
    };

    /// <summary>First exception type and trace, second exception type and trace.</summary>
    public static TheoryData<string, string, string, string> DifferentRootCause => new()
    {
        // .NET: different exception type.
        { "Acme.Auth.Tokens.InvalidTokenException", DotNetLogin(FirstBuild), "Acme.Auth.Tokens.TokenRevokedException", DotNetLogin(FirstBuild, exceptionType: "Acme.Auth.Tokens.TokenRevokedException") },
        // .NET: different in-app throwing method.
        { "Acme.Auth.Tokens.InvalidTokenException", DotNetLogin(FirstBuild), "Acme.Auth.Tokens.InvalidTokenException", DotNetLogin(FirstBuild, throwingMethod: "ValidateSignature") },
        // .NET: different in-app caller chain (login vs refresh reaching the same validator).
        { "Acme.Auth.Tokens.InvalidTokenException", DotNetLogin(FirstBuild), "Acme.Auth.Tokens.InvalidTokenException", DotNetLogin(FirstBuild, caller: "RefreshService", callerMethod: "RefreshAsync") },
        { "Acme.Auth.Tokens.InvalidTokenException", DotNetLogin(FirstBuild), "Acme.Auth.Tokens.InvalidTokenException", DotNetLogin(FirstBuild, callerMethod: "LoginWithMfaAsync") },
        // .NET: different inner exception type.
        { "System.InvalidOperationException", DotNetWrappedDatabaseError(FirstBuild), "System.InvalidOperationException", DotNetWrappedDatabaseError(FirstBuild, innerType: "System.TimeoutException") },
        { "System.AggregateException", DotNetAggregate(FirstBuild), "System.AggregateException", DotNetAggregate(FirstBuild, secondInnerType: "Acme.Auth.Keys.KeyStoreUnavailableException") },
        // .NET: framework-only traces that fail in different framework methods.
        {
            "Microsoft.AspNetCore.Server.Kestrel.Core.BadHttpRequestException", DotNetFrameworkOnly(string.Empty),
            "Microsoft.AspNetCore.Server.Kestrel.Core.BadHttpRequestException", DotNetFrameworkOnly(string.Empty).Replace("OnReadStarting", "OnDataRead")
        },
        // JVM: different exception type, throwing method, caller chain, root cause.
        { "com.acme.auth.token.InvalidTokenException", JavaLogin(FirstJvmBuild), "com.acme.auth.token.TokenRevokedException", JavaLogin(FirstJvmBuild, exceptionType: "com.acme.auth.token.TokenRevokedException") },
        { "com.acme.auth.token.InvalidTokenException", JavaLogin(FirstJvmBuild), "com.acme.auth.token.InvalidTokenException", JavaLogin(FirstJvmBuild, throwingMethod: "validateSignature") },
        { "com.acme.auth.token.InvalidTokenException", JavaLogin(FirstJvmBuild), "com.acme.auth.token.InvalidTokenException", JavaLogin(FirstJvmBuild, caller: "RefreshService", callerMethod: "refresh") },
        { "org.springframework.dao.DataAccessResourceFailureException", JavaConnectionFailure(FirstJvmBuild), "org.springframework.dao.DataAccessResourceFailureException", JavaConnectionFailure(FirstJvmBuild, rootCauseType: "java.net.ConnectException") },
        // The same trace reported with a different primary type.
        { "Acme.Auth.Tokens.InvalidTokenException", DotNetLogin(FirstBuild), "System.Exception", DotNetLogin(FirstBuild) },
        // No stack at all: the message decides.
        { "System.TimeoutException", string.Empty, "System.TimeoutException", "System.TimeoutException: The operation timed out while connecting." },
    };

    [Theory]
    [MemberData(nameof(SameRootCause))]
    public void Same_root_cause_hashes_equal(string exceptionType, string first, string second)
    {
        var firstResult = StackFingerprint.Compute(exceptionType, first);
        var secondResult = StackFingerprint.Compute(exceptionType, second);

        Assert.Equal(firstResult.Frames, secondResult.Frames);
        Assert.Equal(firstResult.StackHash, secondResult.StackHash);
        Assert.Equal(firstResult.Title, secondResult.Title);
        Assert.False(firstResult.UsedMessageFallback);
    }

    [Theory]
    [MemberData(nameof(DifferentRootCause))]
    public void Different_root_cause_hashes_differ(string firstType, string first, string secondType, string second)
    {
        var firstResult = StackFingerprint.Compute(firstType, first);
        var secondResult = StackFingerprint.Compute(secondType, second);

        Assert.NotEqual(firstResult.StackHash, secondResult.StackHash);
    }

    [Fact]
    public void Inner_exception_types_come_from_the_trace_headers_not_the_messages()
    {
        var original = DotNetWrappedDatabaseError(FirstBuild);
        var otherMessages = original
            .Replace("Could not load user 4711.", "Could not load user 99.")
            .Replace("canceling statement due to statement timeout", "terminating connection due to administrator command");

        Assert.Equal(
            StackFingerprint.Compute("System.InvalidOperationException", original).StackHash,
            StackFingerprint.Compute("System.InvalidOperationException", otherMessages).StackHash);
    }

    [Fact]
    public void Message_argument_is_ignored_when_frames_exist()
    {
        var trace = DotNetLogin(FirstBuild);

        Assert.Equal(
            StackFingerprint.Compute("Acme.Auth.Tokens.InvalidTokenException", trace, "token of alice expired").StackHash,
            StackFingerprint.Compute("Acme.Auth.Tokens.InvalidTokenException", trace, "token of bob revoked").StackHash);
    }

    [Fact]
    public void Suppressed_exceptions_do_not_count()
    {
        var withSuppressed = JavaConnectionFailure(FirstJvmBuild);
        var suppressedStart = withSuppressed.IndexOf("\tSuppressed:", StringComparison.Ordinal);
        var withoutSuppressed = withSuppressed[..suppressedStart];

        Assert.Equal(
            StackFingerprint.Compute("org.springframework.dao.DataAccessResourceFailureException", withSuppressed).StackHash,
            StackFingerprint.Compute("org.springframework.dao.DataAccessResourceFailureException", withoutSuppressed).StackHash);
    }

    [Fact]
    public void Header_line_is_optional()
    {
        // Exception.StackTrace has no header; Exception.ToString() and the JVM's printStackTrace() do.
        var dotNet = DotNetLogin(FirstBuild);
        var dotNetFramesOnly = dotNet[(dotNet.IndexOf('\n') + 1)..];
        var unhandled = "Unhandled exception. " + dotNet;
        var java = JavaLogin(FirstJvmBuild);
        var javaFramesOnly = java[(java.IndexOf('\n') + 1)..];
        var javaMainThread = "Exception in thread \"main\" " + java;

        var expectedDotNet = StackFingerprint.Compute("Acme.Auth.Tokens.InvalidTokenException", dotNet).StackHash;
        var expectedJava = StackFingerprint.Compute("com.acme.auth.token.InvalidTokenException", java).StackHash;

        Assert.Equal(expectedDotNet, StackFingerprint.Compute("Acme.Auth.Tokens.InvalidTokenException", dotNetFramesOnly).StackHash);
        Assert.Equal(expectedDotNet, StackFingerprint.Compute("", unhandled).StackHash);
        Assert.Equal(expectedJava, StackFingerprint.Compute("com.acme.auth.token.InvalidTokenException", javaFramesOnly).StackHash);
        Assert.Equal(expectedJava, StackFingerprint.Compute("", javaMainThread).StackHash);
    }

    [Fact]
    public void Logback_jar_suffixes_do_not_count()
    {
        var plain = JavaLogin(FirstJvmBuild);
        var logback = plain
            .Replace("(TokenValidator.java:42)", "(TokenValidator.java:42) ~[classes/:na]")
            .Replace("(DispatcherServlet.java:1089)", "(DispatcherServlet.java:1089) [spring-webmvc-6.1.3.jar:6.1.3]");

        Assert.Equal(
            StackFingerprint.Compute("com.acme.auth.token.InvalidTokenException", plain).StackHash,
            StackFingerprint.Compute("com.acme.auth.token.InvalidTokenException", logback).StackHash);
    }

    [Fact]
    public void Exception_class_argument_is_trimmed()
    {
        var trace = JavaLogin(FirstJvmBuild);

        Assert.Equal(
            StackFingerprint.Compute("com.acme.auth.token.InvalidTokenException", trace).StackHash,
            StackFingerprint.Compute("  com.acme.auth.token.InvalidTokenException\r\n", trace).StackHash);
    }
}
