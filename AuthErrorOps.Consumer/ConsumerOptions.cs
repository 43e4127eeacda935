using System.ComponentModel.DataAnnotations;

namespace AuthErrorOps.Consumer;

public sealed class ConsumerOptions
{
    public const string SectionName = "Consumer";

    [Range(1, 65_535, ErrorMessage = "Consumer:Prefetch must be between {1} and {2}.")]
    public ushort Prefetch { get; set; } = 200;

    [Range(1, 256, ErrorMessage = "Consumer:Concurrency must be between {1} and {2}.")]
    public int Concurrency { get; set; } = 8;
}
