using BenchmarkDotNet.Running;

// dotnet run -c Release --project bench/AuthErrorOps.MicroBench -- --filter '*' --job short
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
