using System.Text;
using System.Text.Json.Nodes;

namespace AuthErrorOps.Ingest.Model;

/// <summary>
/// Makes client text storable: PostgreSQL text and jsonb reject NUL, and UTF-8 encoding
/// rejects lone surrogates (valid JSON escapes like <c>"\u0000"</c> or <c>"\ud800"</c>).
/// </summary>
public static class StorableText
{
    public static string Clean(string value)
    {
        if (!NeedsCleaning(value))
        {
            return value;
        }

        var builder = new StringBuilder(value.Length);
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (c == '\0')
            {
                continue;
            }

            if (char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
            {
                builder.Append(c).Append(value[++i]);
            }
            else
            {
                builder.Append(char.IsSurrogate(c) ? '\uFFFD' : c);
            }
        }

        return builder.ToString();
    }

    public static string NormalizeLineEndings(string value) =>
        value.Contains('\r', StringComparison.Ordinal) ? value.Replace("\r\n", "\n", StringComparison.Ordinal).Replace('\r', '\n') : value;

    /// <summary>Cuts to <paramref name="maxLength"/> characters without splitting a surrogate pair.</summary>
    public static string Truncate(string value, int maxLength)
    {
        if (value.Length <= maxLength)
        {
            return value;
        }

        var cut = char.IsHighSurrogate(value[maxLength - 1]) ? maxLength - 1 : maxLength;
        return value[..cut];
    }

    public static JsonNode? CleanJson(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject obj:
                var cleaned = new JsonObject();
                foreach (var (key, value) in obj.ToList())
                {
                    obj.Remove(key);
                    cleaned[Clean(key)] = CleanJson(value);
                }

                return cleaned;
            case JsonArray array:
                var items = array.Select(item => CleanJson(item?.DeepClone())).ToArray();
                return new JsonArray(items);
            case JsonValue value when value.TryGetValue<string>(out var text):
                return JsonValue.Create(Clean(text));
            default:
                return node;
        }
    }

    private static bool NeedsCleaning(string value)
    {
        foreach (var c in value)
        {
            if (c == '\0' || char.IsSurrogate(c))
            {
                return true;
            }
        }

        return false;
    }
}
