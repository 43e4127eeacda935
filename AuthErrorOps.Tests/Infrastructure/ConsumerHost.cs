using System.Collections.Concurrent;
using AuthErrorOps.Consumer;
using AuthErrorOps.Core.Analysis;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace AuthErrorOps.Tests.Infrastructure;

/// <summary>The Consumer service in-process, optionally with an analyzer that fails on cue.</summary>
public static class ConsumerHost
{
    public static readonly string[] ShortRetryTiers = ["00:00:00.300", "00:00:00.600"];

    public static Dictionary<string, string?> Settings(string connectionString, string amqpUri)
    {
        var settings = new Dictionary<string, string?>
        {
            ["ConnectionStrings:authdb"] = connectionString,
            ["ConnectionStrings:messaging"] = amqpUri,
        };
        for (var i = 0; i < ShortRetryTiers.Length; i++)
        {
            settings[$"Messaging:RetryDelays:{i}"] = ShortRetryTiers[i];
        }

        return settings;
    }

    public static WebApplicationFactory<ConsumerOptions> Start(IReadOnlyDictionary<string, string?> settings, IAuthErrorAnalyzer? analyzer = null)
    {
        var factory = new ServiceFactory<ConsumerOptions>(settings).WithWebHostBuilder(web => web.ConfigureServices(services =>
        {
            if (analyzer is not null)
            {
                services.RemoveAll<IAuthErrorAnalyzer>();
                services.AddSingleton(analyzer);
            }
        }));
        _ = factory.Services;
        return factory;
    }
}

/// <summary>The rule-based analyzer, except that it throws for the errors it is told to fail, a set number of times.</summary>
public sealed class ScriptedAnalyzer : IAuthErrorAnalyzer
{
    private readonly RuleBasedAuthErrorAnalyzer _rules = new();
    private readonly ConcurrentDictionary<long, int> _failuresLeft = new();
    private readonly ConcurrentDictionary<long, int> _calls = new();

    public void FailTimes(long authErrorId, int times) => _failuresLeft[authErrorId] = times;

    public void Heal(long authErrorId) => _failuresLeft.TryRemove(authErrorId, out _);

    public int CallsFor(long authErrorId) => _calls.GetValueOrDefault(authErrorId);

    public ValueTask<AuthErrorAnalysis> AnalyzeAsync(StoredAuthError error, CancellationToken cancellationToken)
    {
        _calls.AddOrUpdate(error.Id, 1, (_, calls) => calls + 1);
        if (_failuresLeft.TryGetValue(error.Id, out var left) && left > 0)
        {
            _failuresLeft[error.Id] = left - 1;
            throw new InvalidOperationException($"scripted analysis failure for auth_error {error.Id}");
        }

        return _rules.AnalyzeAsync(error, cancellationToken);
    }
}
