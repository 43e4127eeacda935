using AuthErrorOps.Relay;
using Microsoft.AspNetCore.Mvc.Testing;

namespace AuthErrorOps.Tests.Infrastructure;

/// <summary>The Relay service in-process against a test class's database and vhost, with test settings.</summary>
public static class RelayHost
{
    public static Dictionary<string, string?> Settings(string connectionString, string amqpUri, IReadOnlyDictionary<string, string?>? overrides = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["ConnectionStrings:authdb"] = connectionString,
            ["ConnectionStrings:messaging"] = amqpUri,
            ["Messaging:RetryDelays:0"] = "00:00:01",
            ["Relay:ReaperInterval"] = "00:00:00.250",
            ["Relay:BackoffBase"] = "00:00:00.200",
        };
        foreach (var (key, value) in overrides ?? new Dictionary<string, string?>())
        {
            settings[key] = value;
        }

        return settings;
    }

    /// <summary>Starts a relay (its hosted services run once the host is built).</summary>
    public static WebApplicationFactory<RelayOptions> Start(IReadOnlyDictionary<string, string?> settings)
    {
        var factory = new ServiceFactory<RelayOptions>(settings);
        _ = factory.Services;
        return factory;
    }
}
