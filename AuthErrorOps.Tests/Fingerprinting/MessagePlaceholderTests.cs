using AuthErrorOps.Core.Fingerprinting;

using Xunit;

namespace AuthErrorOps.Tests.Fingerprinting;

/// <summary>The message-only fallback: variable parts become placeholders, seen through the fallback title.</summary>
public sealed class MessagePlaceholderTests
{
    public static TheoryData<string, string> Messages => new()
    {
        { "Login failed for bob.smith+tag@mail.acme.co.uk.", "Login failed for <email>." },
        { "Connection from 192.168.10.254:51234 refused", "Connection from <ip> refused" },
        { "Blocked 10.0.0.0/8 range", "Blocked <ip> range" },
        { "Client [::1]:8080 and fe80::1ff:fe23:4567:890a%eth0 and 2001:0db8:85a3:0000:0000:8a2e:0370:7334", "Client [<ip>]:<num> and <ip> and <ip>" },
        { "Session 3f2504e0-4f89-11d3-9a0c-0305e82c3301 not found", "Session <uuid> not found" },
        { "Session {3F2504E0-4F89-11D3-9A0C-0305E82C3301} not found", "Session {<uuid>} not found" },
        { "Expired at 2024-05-01T10:20:30.123+02:00 (now 2024-05-02)", "Expired at <date> (now <date>)" },
        { "Expired at 05/01/2024 10:20:30 UTC", "Expired at <date> <date> UTC" },
        { "Pointer 0x7ffd5e8c and hash a3f9c2e17b4d", "Pointer <hex> and hash <hex>" },
        { "Request req-7f3a9c2e1b failed", "Request req-<hex> failed" },
        { "User 4711 has 3 attempts left, limit=5", "User <num> has <num> attempts left, limit=<num>" },
        { "user42 tried v2", "user<num> tried v<num>" },
        { "  many\t\tspaces \r\n and\nlines  ", "many spaces and lines" },
        { "Token 'abc' is not valid; expected \"JWT\"", "Token 'abc' is not valid; expected \"JWT\"" },
        { "", "" },
    };

    [Theory]
    [MemberData(nameof(Messages))]
    public void Variable_parts_become_placeholders(string message, string expected)
    {
        var result = StackFingerprint.Compute("Acme.Auth.AuthException", null, message);
        var expectedTitle = expected.Length == 0 ? "AuthException" : $"AuthException: {expected}";

        Assert.True(result.UsedMessageFallback);
        Assert.Equal(expectedTitle, result.Title);
    }

    [Fact]
    public void Messages_that_differ_only_in_variable_parts_hash_equal()
    {
        var first = StackFingerprint.Compute("Acme.Auth.AuthException", null, "User 17 (ann@acme.com) locked until 2024-05-01 after 5 failures from 10.0.0.1, trace 9f86d081884c7d65");
        var second = StackFingerprint.Compute("Acme.Auth.AuthException", null, "User 9000 (zed@corp.io) locked until 2030-12-31 after 12 failures from 172.16.0.9, trace 2c26b46b68ffc68f");

        Assert.Equal(first.StackHash, second.StackHash);
    }

    [Fact]
    public void Messages_that_differ_in_words_hash_differently()
    {
        var locked = StackFingerprint.Compute("Acme.Auth.AuthException", null, "User 17 locked");
        var disabled = StackFingerprint.Compute("Acme.Auth.AuthException", null, "User 17 disabled");

        Assert.NotEqual(locked.StackHash, disabled.StackHash);
    }

    [Fact]
    public void Inner_exception_types_count_in_the_fallback()
    {
        var outerOnly = StackFingerprint.Compute("System.InvalidOperationException", "System.InvalidOperationException: Failed");
        var withInner = StackFingerprint.Compute("System.InvalidOperationException", "System.InvalidOperationException: Failed\n ---> System.IO.IOException: Broken pipe");

        Assert.True(withInner.UsedMessageFallback);
        Assert.NotEqual(outerOnly.StackHash, withInner.StackHash);
    }
}
