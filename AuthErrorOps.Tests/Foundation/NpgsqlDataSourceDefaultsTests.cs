using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;
using Xunit;

namespace AuthErrorOps.Tests.Foundation;

public sealed class NpgsqlDataSourceDefaultsTests
{
    [Fact]
    public void Services_prepare_their_statements_skip_the_reset_on_return_keep_idle_connections_and_cap_the_pool_unless_the_connection_string_says_otherwise()
    {
        var defaults = Build("Host=127.0.0.1;Username=u;Password=p;Database=authdb");
        Assert.True(defaults.NoResetOnClose);
        Assert.Equal(NpgsqlClientExtensions.DefaultMaxAutoPrepare, defaults.MaxAutoPrepare);
        Assert.Equal(3600, defaults.ConnectionIdleLifetime);
        Assert.Equal(NpgsqlClientExtensions.DefaultMaxPoolSize, defaults.MaxPoolSize);

        var own = Build("Host=127.0.0.1;Username=u;Password=p;Database=authdb;No Reset On Close=false;Max Auto Prepare=5;Connection Idle Lifetime=300;Maximum Pool Size=40");
        Assert.False(own.NoResetOnClose);
        Assert.Equal(5, own.MaxAutoPrepare);
        Assert.Equal(300, own.ConnectionIdleLifetime);
        Assert.Equal(40, own.MaxPoolSize);
        Assert.Equal(30, Build("Host=127.0.0.1;Username=u;Password=p;Database=authdb;MaxPoolSize=30").MaxPoolSize);
    }

    private static NpgsqlConnectionStringBuilder Build(string connectionString)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["ConnectionStrings:authdb"] = connectionString });
        builder.AddNpgsqlDataSource("authdb", settings => settings.DisableHealthChecks = true);
        using var services = builder.Services.BuildServiceProvider();
        return new NpgsqlConnectionStringBuilder(services.GetRequiredService<NpgsqlDataSource>().ConnectionString);
    }
}
