using System.Text.Json;
using System.Text.Json.Serialization;
using AuthErrorOps.Ingest.Infrastructure;
using AuthErrorOps.Ingest.Model;
using Microsoft.AspNetCore.Http.HttpResults;

namespace AuthErrorOps.Ingest.Apis;

[JsonConverter(typeof(JsonStringEnumConverter<BatchItemStatus>))]
public enum BatchItemStatus
{
    [JsonStringEnumMemberName("created")]
    Created,

    [JsonStringEnumMemberName("duplicate")]
    Duplicate,

    [JsonStringEnumMemberName("invalid")]
    Invalid,
}

public sealed record BatchItemResult(
    int Index, BatchItemStatus Status, long? AuthErrorId, Guid? EventId, string? StackHash, IDictionary<string, string[]>? Errors);

public sealed record BatchResponse(IReadOnlyList<BatchItemResult> Results);

/// <summary>One item of a batch: the request, or the errors that kept it from parsing.</summary>
internal readonly record struct ParsedItem(AuthErrorRequest? Request, Dictionary<string, string[]>? Errors);

/// <summary>
/// Sorts a batch's items into invalid ones, the first occurrence of each requestId (to insert)
/// and repeats, then turns the store's answers into one result per item, in order.
/// </summary>
internal sealed class BatchPlan
{
    private readonly BatchItemResult?[] _invalid;
    private readonly NormalizedAuthError?[] _valid;
    private readonly Dictionary<string, NormalizedAuthError> _firstByRequestId = new(StringComparer.Ordinal);

    private BatchPlan(int count)
    {
        _invalid = new BatchItemResult?[count];
        _valid = new NormalizedAuthError?[count];
    }

    public List<NormalizedAuthError> ToInsert { get; } = [];

    /// <summary>
    /// The items of a batch body, each parsed or with the errors that make it invalid; or the problem with the body as a whole.
    /// A batch whose items all parse (the usual one) is read in one pass; only a batch with a bad item is read again item by
    /// item, so that each bad item is named and the others still count.
    /// </summary>
    public static (IReadOnlyList<ParsedItem>? Items, ProblemHttpResult? Problem) ParseItems(ReadOnlySpan<byte> json)
    {
        if (JsonBody.Parse(json, IngestJsonContext.Default.ParsedAuthErrorBatch).Value is { Items: { } parsed } && parsed.TrueForAll(item => item is not null))
        {
            return (parsed.ConvertAll(item => new ParsedItem(item, null)), null);
        }

        var (batch, problem) = JsonBody.Parse(json, IngestJsonContext.Default.AuthErrorBatchRequest);
        return problem is not null
            ? (null, problem)
            : (batch!.Items?.ConvertAll(element =>
            {
                var (request, errors) = JsonBody.ParseItem(element, IngestJsonContext.Default.AuthErrorRequest);
                return new ParsedItem(request, errors);
            }), null);
    }

    public static BatchPlan Create(IReadOnlyList<ParsedItem> items, AuthErrorNormalizer normalizer, DateTimeOffset now)
    {
        var plan = new BatchPlan(items.Count);
        for (var index = 0; index < items.Count; index++)
        {
            var (request, parseErrors) = items[index];
            var errors = parseErrors ?? AuthErrorRequestValidator.Validate(request!, now);
            if (errors.Count > 0)
            {
                plan._invalid[index] = new BatchItemResult(index, BatchItemStatus.Invalid, null, null, null, errors);
                continue;
            }

            var error = normalizer.Normalize(request!);
            plan._valid[index] = error;
            if (plan._firstByRequestId.TryAdd(error.RequestId, error))
            {
                plan.ToInsert.Add(error);
            }
        }

        return plan;
    }

    public IReadOnlyCollection<string> NeedsLookup(IReadOnlyDictionary<string, long> inserted) =>
        ToInsert.Where(error => !inserted.ContainsKey(error.RequestId)).Select(error => error.RequestId).ToArray();

    public IReadOnlyList<BatchItemResult> Results(IReadOnlyDictionary<string, long> inserted, IReadOnlyDictionary<string, StoredIds> existing)
    {
        var results = new BatchItemResult[_valid.Length];
        for (var index = 0; index < _valid.Length; index++)
        {
            if (_invalid[index] is { } invalid)
            {
                results[index] = invalid;
                continue;
            }

            var error = _valid[index]!;
            var first = _firstByRequestId[error.RequestId];
            // The stored report for this requestId: the one this batch inserted, or an earlier one.
            var winner = inserted.TryGetValue(error.RequestId, out var newId)
                ? new StoredIds(newId, first.EventId, first.StackHash, first.RequestHash)
                : existing[error.RequestId];

            results[index] = ReferenceEquals(error, first) && inserted.ContainsKey(error.RequestId)
                ? new BatchItemResult(index, BatchItemStatus.Created, winner.AuthErrorId, winner.EventId, winner.StackHash, null)
                : winner.RequestHash == error.RequestHash
                    ? new BatchItemResult(index, BatchItemStatus.Duplicate, winner.AuthErrorId, winner.EventId, winner.StackHash, null)
                    : new BatchItemResult(index, BatchItemStatus.Invalid, null, null, null,
                        new Dictionary<string, string[]> { ["requestId"] = ["already used for a different report (conflict)."] });
        }

        return results;
    }
}
