using System.Diagnostics;
using System.Text;

using AuthErrorOps.Core.Fingerprinting;

using Xunit;

using static AuthErrorOps.Tests.Fingerprinting.TraceCorpus;

namespace AuthErrorOps.Tests.Fingerprinting;

/// <summary>Hostile and malformed input: always a well-formed result, never an exception, never a hang.</summary>
public sealed class AdversarialInputTests
{
    /// <summary>Generous: a hang guard, not a performance test.</summary>
    private static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(2);

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public static TheoryData<string, string> HostileTraces => new()
    {
        { "1 MB single line of letters", new string('a', 1_000_000) },
        { "1 MB single frame line", "   at " + new string('A', 1_000_000) + "(String s)" },
        { "1 MB of dots", "   at " + new string('.', 1_000_000) + "()" },
        { "1 MB of nested angle brackets", "   at Acme." + new string('<', 500_000) + new string('>', 500_000) + "b__0()" },
        { "1 MB of unclosed brackets", "   at Acme.Foo`1" + new string('[', 1_000_000) },
        { "1 MB of dollars", "\tat com.acme." + new string('$', 1_000_000) + "(Auth.java:1)" },
        { "1 MB of slashes", "\tat " + new string('/', 1_000_000) + "(Auth.java:1)" },
        { "1 MB of arrows", string.Concat(Enumerable.Repeat("---> A: ", 125_000)) },
        { "1 MB of end markers", string.Concat(Enumerable.Repeat("--- End of inner exception stack trace ---\n", 25_000)) },
        { "1 MB of Caused by", string.Concat(Enumerable.Repeat("Caused by: x.Y: z\n\tat a.B.c(B.java:1)\n", 30_000)) },
        { "1 MB of newlines", new string('\n', 1_000_000) },
        { "1 MB of CR", new string('\r', 1_000_000) },
        { "1 MB of spaces", new string(' ', 1_000_000) },
        { "1 MB of control chars", new string('\u0001', 1_000_000) },
        { "1 MB of lone surrogates", new string('\uD800', 1_000_000) },
        { "frame with only at", "at \nat\nat (\nat !\n" },
        { "lone surrogates in frames", "   at Acme.\uD800Auth.Valid\uDC00ate(String s)\n   at \uDFFF(x)" },
        { "header with generic and no message", "Acme.Auth.Failure`1[[System.Int32, System.Private.CoreLib]]" },
        { "8,000 chars of repeated frames", string.Concat(Enumerable.Repeat("   at Acme.Auth.LoginService.<Login>d__12.MoveNext() in /src/x.cs:line 1\n", 110)) },
        { "mixed line endings", "System.Exception: x\r\n   at Acme.A.B()\r   at Acme.C.D()\n\r\n   at Acme.E.F()\u2028   at Acme.G.H()" },
        { "many exception levels", string.Concat(Enumerable.Repeat(" ---> Acme.Level: inner\n", 100)) + "   at Acme.A.B()\n" + string.Concat(Enumerable.Repeat("   --- End of inner exception stack trace ---\n   at Acme.C.D()\n", 100)) },
        { "deep aggregate", string.Concat(Enumerable.Repeat(" ---> (Inner Exception #1) Acme.X: y\n   at Acme.A.B()<---\n", 2_000)) },
        { "suppressed forever", "x.Y: z\n\tSuppressed: a.B\n" + string.Concat(Enumerable.Repeat("\t\tat a.B.c(B.java:1)\n", 5_000)) },
        { "binary-looking bytes", Encoding.Latin1.GetString(Enumerable.Range(0, 65_536).Select(i => (byte)(i * 7919 % 256)).ToArray()) },
    };

    [Theory]
    [MemberData(nameof(HostileTraces))]
    public void Hostile_trace_returns_a_well_formed_result_quickly(string description, string trace)
    {
        var stopwatch = Stopwatch.StartNew();
        var result = StackFingerprint.Compute("Acme.Auth.HostileException", trace, trace);
        stopwatch.Stop();

        Assert.True(stopwatch.Elapsed < HangGuard, $"{description} took {stopwatch.Elapsed}");
        AssertWellFormed(result);
    }

    [Fact]
    public void Null_and_blank_arguments_are_accepted()
    {
        AssertWellFormed(StackFingerprint.Compute(null!, null, null));
        AssertWellFormed(StackFingerprint.Compute("", "", ""));
        AssertWellFormed(StackFingerprint.Compute(" \t\r\n", " \r\n ", " "));
        AssertWellFormed(StackFingerprint.Compute(new string('\uDC00', 1_000_000), null, new string('9', 1_000_000)));
        Assert.Equal("UnknownException", StackFingerprint.Compute("", null, null).Title);
    }

    [Fact]
    public void Hash_is_deterministic_and_64_lowercase_hex()
    {
        var trace = DotNetLogin(FirstBuild);

        var first = StackFingerprint.Compute("Acme.Auth.Tokens.InvalidTokenException", trace);
        var second = StackFingerprint.Compute("Acme.Auth.Tokens.InvalidTokenException", new string(trace.AsSpan()));

        Assert.Equal(first.StackHash, second.StackHash);
        Assert.Matches("^[0-9a-f]{64}$", first.StackHash);
    }

    [Fact]
    public void Hash_is_the_same_from_parallel_callers()
    {
        var trace = JavaConnectionFailure(FirstJvmBuild);
        var expected = StackFingerprint.Compute("org.springframework.dao.DataAccessResourceFailureException", trace).StackHash;

        var hashes = new string[64];
        Parallel.For(0, hashes.Length, i =>
            hashes[i] = StackFingerprint.Compute("org.springframework.dao.DataAccessResourceFailureException", trace).StackHash);

        Assert.All(hashes, hash => Assert.Equal(expected, hash));
    }

    /// <summary>
    /// Pins rule version 1. If this fails, a change altered hashes for unchanged input:
    /// bump <see cref="StackFingerprint.Version"/> and update these values deliberately.
    /// </summary>
    [Fact]
    public void Version_1_hashes_are_pinned()
    {
        Assert.Equal(
            "ce76fa16372473f3fcbd7076291b2285782e7a67fdcfdddba4546b63dee1099a",
            StackFingerprint.Compute("Acme.Auth.Tokens.InvalidTokenException", DotNetLogin(FirstBuild)).StackHash);
        Assert.Equal(
            "8e83b3f2347da9e83e877b6028158c8d5d40be6620fec24e59103f23fbfc5d2a",
            StackFingerprint.Compute("org.springframework.dao.DataAccessResourceFailureException", JavaConnectionFailure(FirstJvmBuild)).StackHash);
        Assert.Equal(
            "956a1e0cc6ac2a7460d8b1140f64620bdc159a4158334dafce024fbf2d05fac8",
            StackFingerprint.Compute("System.TimeoutException", null, "Timed out after 30000 ms").StackHash);
    }

    [Fact]
    public void Randomly_mangled_traces_never_throw()
    {
        var random = new Random(20_240_501);
        string[] seeds =
        [
            DotNetLogin(FirstBuild), DotNetWrappedDatabaseError(FirstBuild), DotNetAggregate(Rebuilt), DotNetStartup(nativeAot: true),
            JavaLogin(FirstJvmBuild), JavaConnectionFailure(RebuiltJvm), KotlinCoroutine(0, 1),
        ];
        char[] nasty = ['<', '>', '[', ']', '(', ')', '$', '.', '+', '|', '`', '/', '!', ':', '@', '\r', '\n', '\t', '\0', '\uD800', '\uDC00', ' ', '-', '0', 'x'];

        var stopwatch = Stopwatch.StartNew();
        for (var iteration = 0; iteration < 3_000; iteration++)
        {
            var chars = seeds[random.Next(seeds.Length)].ToCharArray();
            var edits = random.Next(1, 40);
            for (var e = 0; e < edits; e++)
            {
                chars[random.Next(chars.Length)] = random.Next(3) == 0 ? (char)random.Next(0, 0x10000) : nasty[random.Next(nasty.Length)];
            }

            var start = random.Next(chars.Length);
            var mangled = new string(chars, start, random.Next(chars.Length - start + 1));
            var result = StackFingerprint.Compute(random.Next(4) == 0 ? mangled : "Acme.FuzzException", mangled, mangled);
            AssertWellFormed(result);
        }

        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(30), $"fuzzing took {stopwatch.Elapsed}");
    }

    private static void AssertWellFormed(FingerprintResult result)
    {
        Assert.Matches("^[0-9a-f]{64}$", result.StackHash);
        Assert.Equal(StackFingerprint.Version, result.Version);
        Assert.NotNull(result.Frames);
        Assert.Equal(result.UsedMessageFallback, result.Frames.Count == 0);
        Assert.InRange(result.Title.Length, 1, 300);

        // Everything returned must survive a strict UTF-8 encoder (PostgreSQL text, JSON).
        StrictUtf8.GetBytes(result.Title);
        foreach (var frame in result.Frames)
        {
            Assert.False(string.IsNullOrEmpty(frame));
            Assert.True(frame.Length <= 320);
            StrictUtf8.GetBytes(frame);
            Assert.DoesNotContain('\n', frame);
        }
    }
}
