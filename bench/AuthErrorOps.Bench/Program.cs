using System.CommandLine;

var root = new RootCommand("AuthErrorOps load and bottleneck benchmarks.");
return await root.Parse(args).InvokeAsync();
