using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using CommunityToolkit.HighPerformance.Buffers;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;

namespace AuthErrorOps.Ingest.Apis;

/// <summary>
/// Reads a JSON request body by hand so every failure is a precise problem response:
/// 415 for another media type, 413 past the limit, 400 for malformed JSON or wrong types.
/// </summary>
internal static class JsonBody
{
    public static async Task<(T? Value, ProblemHttpResult? Problem)> ReadAsync<T>(
        HttpRequest request, long limit, JsonTypeInfo<T> typeInfo, CancellationToken cancellationToken) where T : class
    {
        var (body, problem) = await ReadBytesAsync(request, limit, cancellationToken);
        if (problem is not null)
        {
            return (null, problem);
        }

        using (body)
        {
            return Parse(body!.WrittenSpan, typeInfo);
        }
    }

    /// <summary>
    /// The body's bytes, in a buffer rented from the array pool (dispose it once parsed): the parsed values copy what
    /// they keep, and a batch body of tens of KB would otherwise be a new array, grown step by step, per request.
    /// </summary>
    public static async Task<(ArrayPoolBufferWriter<byte>? Body, ProblemHttpResult? Problem)> ReadBytesAsync(
        HttpRequest request, long limit, CancellationToken cancellationToken)
    {
        if (!IsJson(request.ContentType))
        {
            return (null, Problems.UnsupportedMediaType(request.ContentType));
        }

        if (request.ContentLength > limit)
        {
            return (null, Problems.TooLarge(limit));
        }

        if (request.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } sizeFeature)
        {
            sizeFeature.MaxRequestBodySize = limit;
        }

        // One byte past the announced length, so the read that finds the end needs no bigger buffer.
        ArrayPoolBufferWriter<byte>? buffer = new(request.ContentLength is { } length ? (int)length + 1 : 16 * 1024);
        try
        {
            while (true)
            {
                var read = await request.Body.ReadAsync(buffer.GetMemory(1), cancellationToken);
                if (read == 0)
                {
                    (var body, buffer) = (buffer, null);
                    return (body, null);
                }

                buffer.Advance(read);
                if (buffer.WrittenCount > limit)
                {
                    return (null, Problems.TooLarge(limit));
                }
            }
        }
        catch (BadHttpRequestException exception) when (exception.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return (null, Problems.TooLarge(limit));
        }
        finally
        {
            // Returned to the pool unless handed to the caller.
            buffer?.Dispose();
        }
    }

    public static (T? Value, ProblemHttpResult? Problem) Parse<T>(ReadOnlySpan<byte> json, JsonTypeInfo<T> typeInfo) where T : class
    {
        try
        {
            var value = JsonSerializer.Deserialize(json, typeInfo);
            return value is null ? (null, Problems.MalformedJson("$", "The body must be a JSON object.")) : (value, null);
        }
        catch (JsonException exception)
        {
            return (null, Problems.MalformedJson(exception.Path, exception.Message));
        }
        catch (ArgumentException exception)
        {
            // JsonObject (attributes) reports a repeated property name this way, not as a JsonException.
            return (null, Problems.MalformedJson("attributes", $"Duplicate property: {exception.Message}"));
        }
    }

    /// <summary>One item of a batch: its value, or the field errors that make it invalid.</summary>
    public static (T? Value, Dictionary<string, string[]>? Errors) ParseItem<T>(JsonElement element, JsonTypeInfo<T> typeInfo) where T : class
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            return (null, Problems.JsonErrors("$", "Each item must be a JSON object."));
        }

        try
        {
            return (element.Deserialize(typeInfo), null);
        }
        catch (JsonException exception)
        {
            return (null, Problems.JsonErrors(exception.Path, exception.Message));
        }
        catch (ArgumentException exception)
        {
            return (null, Problems.JsonErrors("attributes", $"Duplicate property: {exception.Message}"));
        }
    }

    private static bool IsJson(string? contentType) =>
        contentType is not null
        && Microsoft.Net.Http.Headers.MediaTypeHeaderValue.TryParse(contentType, out var mediaType)
        && (mediaType.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase)
            || mediaType.Suffix.Equals("json", StringComparison.OrdinalIgnoreCase))
        && (mediaType.Charset.Length == 0 || mediaType.Charset.Equals("utf-8", StringComparison.OrdinalIgnoreCase));
}
