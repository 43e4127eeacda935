using System.Runtime.CompilerServices;

namespace AuthErrorOps.Ingest;

internal static class DapperConventions
{
    // Columns are snake_case, records PascalCase; set before any query runs.
    [ModuleInitializer]
    internal static void MatchSnakeCaseColumns() => Dapper.DefaultTypeMap.MatchNamesWithUnderscores = true;
}
