using Microsoft.Extensions.Options;

namespace AuthErrorOps.Core.Messaging;

public sealed class MessagingOptions
{
    public const string SectionName = "Messaging";

    public static readonly IReadOnlyList<TimeSpan> DefaultRetryDelays =
        [TimeSpan.FromSeconds(10), TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(10)];

    /// <summary>Retry tiers, in the order a failing message walks through them.</summary>
    public TimeSpan[]? RetryDelays { get; set; }

    public IReadOnlyList<TimeSpan> EffectiveRetryDelays =>
        RetryDelays is { Length: > 0 } configured ? configured : DefaultRetryDelays;
}

internal sealed class MessagingOptionsValidator : IValidateOptions<MessagingOptions>
{
    public ValidateOptionsResult Validate(string? name, MessagingOptions options)
    {
        var delays = options.EffectiveRetryDelays;
        if (delays.Any(d => d <= TimeSpan.Zero || d > TimeSpan.FromDays(1)))
        {
            return ValidateOptionsResult.Fail("Messaging:RetryDelays: every delay must be greater than 00:00:00 and at most 1.00:00:00.");
        }

        var names = delays.Select(AuthErrorTopology.RetryTierName).ToArray();
        return names.Distinct(StringComparer.Ordinal).Count() == names.Length
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail("Messaging:RetryDelays: delays must be distinct.");
    }
}
