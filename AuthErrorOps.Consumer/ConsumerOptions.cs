using System.ComponentModel.DataAnnotations;

namespace AuthErrorOps.Consumer;

public sealed class ConsumerOptions : IValidatableObject
{
    public const string SectionName = "Consumer";

    /// <summary>Unacknowledged deliveries the broker sends ahead; at least <see cref="BatchSize"/> × <see cref="Concurrency"/> keeps every batch full under load.</summary>
    [Range(1, 65_535, ErrorMessage = "Consumer:Prefetch must be between {1} and {2}.")]
    public ushort Prefetch { get; set; } = 1_000;

    /// <summary>Batches in flight, each its own transaction. Batches share hot cluster rows and queue on their locks, so few large ones beat many small ones.</summary>
    [Range(1, 256, ErrorMessage = "Consumer:Concurrency must be between {1} and {2}.")]
    public int Concurrency { get; set; } = 2;

    /// <summary>Most deliveries linked in one transaction; 1 is one transaction per message.</summary>
    [Range(1, 1_000, ErrorMessage = "Consumer:BatchSize must be between {1} and {2}.")]
    public int BatchSize { get; set; } = 500;

    /// <summary>
    /// The most a batch waits for more deliveries after its first, and so the most a lone message is delayed. A batch
    /// waits as long as its loop's previous batch took to process, up to this (<see cref="Messaging.DeliveryBatch.NextLinger"/>).
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:00:01", ErrorMessage = "Consumer:BatchLinger must be between {1} and {2}.")]
    public TimeSpan BatchLinger { get; set; } = TimeSpan.FromMilliseconds(25);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (BatchSize > Prefetch)
        {
            // The broker never has more than Prefetch deliveries out, so a bigger batch would wait out its linger every time.
            yield return new ValidationResult(
                $"Consumer:BatchSize ({BatchSize}) must not exceed Consumer:Prefetch ({Prefetch}).", [nameof(BatchSize), nameof(Prefetch)]);
        }
    }
}
