using System.CommandLine;
using AuthErrorOps.Bench.Commands;

var root = new RootCommand("AuthErrorOps load and bottleneck benchmarks: each stage against a raw baseline measured in the same run.")
{
    IngestBenchmark.CreateCommand(),
    RelayBenchmark.CreateCommand(),
    ConsumerBenchmark.CreateCommand(),
    EndToEndBenchmark.CreateCommand(),
    FaultsBenchmark.CreateCommand(),
};
return await root.Parse(args).InvokeAsync();
