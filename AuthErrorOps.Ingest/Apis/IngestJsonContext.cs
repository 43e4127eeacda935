using System.Text.Json;
using System.Text.Json.Serialization;
using AuthErrorOps.Core.Clusters;
using AuthErrorOps.Core.DeadLetters;
using AuthErrorOps.Ingest.Infrastructure;
using AuthErrorOps.Ingest.Model;

namespace AuthErrorOps.Ingest.Apis;

// Strict on input: numbers must be numbers, unknown members are ignored, duplicates refused.
[JsonSourceGenerationOptions(
    JsonSerializerDefaults.Web,
    NumberHandling = JsonNumberHandling.Strict,
    AllowDuplicateProperties = false,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(AuthErrorRequest))]
[JsonSerializable(typeof(AuthErrorBatchRequest))]
[JsonSerializable(typeof(ParsedAuthErrorBatch))]
[JsonSerializable(typeof(RecordedResponse))]
[JsonSerializable(typeof(BatchResponse))]
[JsonSerializable(typeof(AuthErrorDetails))]
[JsonSerializable(typeof(OutboxOverview))]
[JsonSerializable(typeof(RequeuedResponse))]
[JsonSerializable(typeof(PageResponse<ClusterSummary>))]
[JsonSerializable(typeof(ClusterDetails))]
[JsonSerializable(typeof(PageResponse<DeadLetterSummary>))]
[JsonSerializable(typeof(DeadLetterReplayState))]
internal sealed partial class IngestJsonContext : JsonSerializerContext;
