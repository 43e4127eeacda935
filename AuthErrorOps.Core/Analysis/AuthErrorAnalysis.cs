using AuthErrorOps.Core.Domain;

namespace AuthErrorOps.Core.Analysis;

/// <summary>What the consumer knows of a stored error when it analyses it (scrubbed text, hashed ids).</summary>
public sealed record StoredAuthError(
    long Id, string StackHash, string? ClusterTitle, string ExceptionClass, string? ExceptionMessage, string? RootCauseClass,
    string ErrorType, short HttpStatus, string? SourceService, string? Provider, short FingerprintVersion,
    DateTime OccurredAt, DateTime ReceivedAt);

public sealed record AuthErrorAnalysis(string ErrorType, Severity Severity, bool SecuritySignal);

/// <summary>
/// The extension point for analysis: rule-based today, richer (or AI-assisted) later. It runs
/// inside the consumer's transaction, so it must be deterministic for a given error; a thrown
/// exception sends the message through the retry tiers.
/// </summary>
public interface IAuthErrorAnalyzer
{
    ValueTask<AuthErrorAnalysis> AnalyzeAsync(StoredAuthError error, CancellationToken cancellationToken);
}

/// <summary>The taxonomy's category, raised to HIGH when a security signal repeats at the provider (5xx answered as 401/403 is not an attack).</summary>
public sealed class RuleBasedAuthErrorAnalyzer : IAuthErrorAnalyzer
{
    public ValueTask<AuthErrorAnalysis> AnalyzeAsync(StoredAuthError error, CancellationToken cancellationToken)
    {
        var category = AuthErrorTaxonomy.Categorize(error.ErrorType);
        // A server error reported as an auth failure is an outage, whatever the reporter called it.
        var severity = error.HttpStatus >= 500 ? Severity.High : category.Severity;
        return ValueTask.FromResult(new AuthErrorAnalysis(category.ErrorType, severity, category.SecuritySignal && error.HttpStatus < 500));
    }
}
