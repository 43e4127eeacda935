using System.Collections.Frozen;

namespace AuthErrorOps.Core.Fingerprinting;

/// <summary>Decides, from a normalised frame, whether it is application code, framework code or noise.</summary>
internal static class FrameClassifier
{
    /// <summary>First namespace/package segment of well-known runtime, framework and library code.</summary>
    public static readonly FrozenSet<string> FrameworkRootNamespaces = FrozenSet.Create(
        StringComparer.Ordinal,
        // .NET
        "System", "Microsoft", "Windows", "Internal", "Npgsql", "RabbitMQ", "Polly", "Grpc", "Google", "Newtonsoft",
        "Dapper", "Serilog", "NLog", "log4net", "StackExchange", "MassTransit", "MediatR", "AutoMapper",
        "FluentValidation", "Castle", "Swashbuckle", "Hangfire", "Quartz", "Azure", "Amazon", "Confluent",
        "OpenTelemetry", "Pomelo", "MySqlConnector", "Oracle", "IdentityModel", "Duende", "OpenIddict", "DynamicClass",
        "lambda_method",
        // JVM
        "java", "javax", "jakarta", "jdk", "sun", "kotlin", "kotlinx", "scala", "groovy", "reactor", "okhttp3",
        "okio", "retrofit2", "feign", "akka", "brave", "zipkin2", "liquibase", "oracle");

    /// <summary>First two segments for JVM roots whose first segment (org, com, io, net, ch) is shared with applications.</summary>
    public static readonly FrozenSet<string> FrameworkTwoSegmentNamespaces = FrozenSet.Create(
        StringComparer.Ordinal,
        "org.springframework", "org.apache", "org.hibernate", "org.slf4j", "org.junit", "org.eclipse", "org.jboss",
        "org.glassfish", "org.aspectj", "org.postgresql", "org.mybatis", "org.codehaus", "org.reactivestreams",
        "org.jooq", "org.flywaydb", "org.h2", "org.mockito", "org.yaml", "org.keycloak", "org.thymeleaf",
        "com.sun", "com.fasterxml", "com.google", "com.zaxxer", "com.rabbitmq", "com.mysql", "com.netflix",
        "com.squareup", "com.mongodb", "com.microsoft", "com.amazonaws", "com.nimbusds", "com.auth0",
        "io.netty", "io.micrometer", "io.grpc", "io.opentelemetry", "io.undertow", "io.reactivex", "io.lettuce",
        "io.projectreactor", "io.vertx", "io.quarkus", "io.micronaut", "io.swagger", "io.jsonwebtoken",
        "net.bytebuddy", "net.sf", "ch.qos");

    /// <summary>Rule 5: frames that only say how the exception travelled, not where it came from.</summary>
    private static readonly string[] NoisePrefixes =
    [
        "System.Runtime.ExceptionServices.ExceptionDispatchInfo.",
        "System.Runtime.CompilerServices.TaskAwaiter",
        "System.Runtime.CompilerServices.ValueTaskAwaiter",
        "System.Runtime.CompilerServices.ConfiguredTaskAwaitable",
        "System.Runtime.CompilerServices.ConfiguredValueTaskAwaitable",
        "System.Runtime.CompilerServices.AsyncMethodBuilderCore.",
        "System.Runtime.CompilerServices.AsyncTaskMethodBuilder",
        "System.Runtime.CompilerServices.AsyncValueTaskMethodBuilder",
        "System.Runtime.CompilerServices.AsyncVoidMethodBuilder",
        "System.Runtime.CompilerServices.PoolingAsyncValueTaskMethodBuilder",
        "System.Threading.ExecutionContext.Run",
        "jdk.internal.reflect.",
        "sun.reflect.",
        "java.lang.reflect.Method.invoke",
    ];

    private static readonly FrozenSet<string>.AlternateLookup<ReadOnlySpan<char>> RootLookup =
        FrameworkRootNamespaces.GetAlternateLookup<ReadOnlySpan<char>>();

    private static readonly FrozenSet<string>.AlternateLookup<ReadOnlySpan<char>> TwoSegmentLookup =
        FrameworkTwoSegmentNamespaces.GetAlternateLookup<ReadOnlySpan<char>>();

    public static bool IsNoise(ReadOnlySpan<char> frame)
    {
        if (frame.IsEmpty || (frame[0] != 'S' && frame[0] != 'j' && frame[0] != 's'))
        {
            return false;
        }

        foreach (var prefix in NoisePrefixes)
        {
            if (frame.StartsWith(prefix, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// A cheap look at a raw frame ("System.Linq.Enumerable.Any[TSource](…)", "java.base/java.util.ArrayList.forEach(…)")
    /// that says whether it is surely framework code, so that it need not be normalised once a level has its top frames.
    /// Decorated frames (a space before the parameter list) are left to the normaliser.
    /// </summary>
    public static bool IsSurelyFramework(ReadOnlySpan<char> rawFrame)
    {
        var open = rawFrame.IndexOf('(');
        var name = open >= 0 ? rawFrame[..open] : rawFrame;
        if (name.IsEmpty || name.ContainsAny(' ', '\t'))
        {
            return false;
        }

        // JVM module and class-loader prefixes ("java.base/", "app//"); a hidden-class "/0x…" comes after the class name.
        var slash = name.IndexOf('/');
        while (slash >= 0 && !(slash + 1 < name.Length && name[slash + 1] == '0'))
        {
            name = name[(slash + 1)..];
            slash = name.IndexOf('/');
        }

        return !name.IsEmpty && char.IsLetter(name[0]) && !IsInApp(name);
    }

    public static bool IsInApp(ReadOnlySpan<char> frame)
    {
        // "Module!<BaseAddress>" is an unsymbolised NativeAOT address: it says nothing about the code.
        if (frame.IsEmpty || frame.Contains('!'))
        {
            return false;
        }

        var firstDot = frame.IndexOf('.');
        var firstSegment = firstDot < 0 ? frame : frame[..firstDot];
        if (RootLookup.Contains(firstSegment))
        {
            return false;
        }

        if (firstDot < 0)
        {
            return true;
        }

        var secondDot = frame[(firstDot + 1)..].IndexOf('.');
        var firstTwoSegments = secondDot < 0 ? frame : frame[..(firstDot + 1 + secondDot)];
        return !TwoSegmentLookup.Contains(firstTwoSegments);
    }
}
