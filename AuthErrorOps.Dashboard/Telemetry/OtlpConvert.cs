using System.Globalization;
using System.Text;
using AuthErrorOps.Dashboard.Otlp.Proto.Common;
using Google.Protobuf;
using Google.Protobuf.Collections;
using ProtoResource = AuthErrorOps.Dashboard.Otlp.Proto.Resource.Resource;

namespace AuthErrorOps.Dashboard.Telemetry;

/// <summary>The service (and replica) that sent a batch, from its resource attributes.</summary>
internal sealed record ServiceIdentity(string ServiceName, string? InstanceId)
{
    public const string ServiceNameKey = "service.name";
    public const string InstanceIdKey = "service.instance.id";

    public static ServiceIdentity Of(ProtoResource? resource)
    {
        string? name = null, instance = null;
        if (resource is not null)
        {
            foreach (var attribute in resource.Attributes)
            {
                if (attribute.Key == ServiceNameKey)
                {
                    name = OtlpConvert.Text(attribute.Value);
                }
                else if (attribute.Key == InstanceIdKey)
                {
                    instance = OtlpConvert.Text(attribute.Value);
                }
            }
        }

        return new ServiceIdentity(string.IsNullOrEmpty(name) ? "unknown_service" : name, string.IsNullOrEmpty(instance) ? null : instance);
    }
}

/// <summary>OTLP wire values to the dashboard's: hex ids, UTC times, attribute values as text.</summary>
internal static class OtlpConvert
{
    private static readonly IReadOnlyDictionary<string, string> NoAttributes = new Dictionary<string, string>();

    public static string? HexId(ByteString id)
    {
        if (id.IsEmpty)
        {
            return null;
        }

        foreach (var b in id.Span)
        {
            if (b != 0)
            {
                return Convert.ToHexStringLower(id.Span);
            }
        }

        return null;
    }

    public static DateTime Time(ulong unixNanos) =>
        unixNanos == 0 ? default : DateTime.UnixEpoch.AddTicks((long)Math.Min(unixNanos / 100, (ulong)(DateTime.MaxValue - DateTime.UnixEpoch).Ticks));

    public static IReadOnlyDictionary<string, string> Attributes(RepeatedField<KeyValue> attributes)
    {
        if (attributes.Count == 0)
        {
            return NoAttributes;
        }

        var result = new Dictionary<string, string>(attributes.Count, StringComparer.Ordinal);
        foreach (var attribute in attributes)
        {
            result[attribute.Key] = Text(attribute.Value);
        }

        return result;
    }

    public static string Text(AnyValue? value)
    {
        if (value is null)
        {
            return "";
        }

        return value.ValueCase switch
        {
            AnyValue.ValueOneofCase.StringValue => value.StringValue,
            AnyValue.ValueOneofCase.BoolValue => value.BoolValue ? "true" : "false",
            AnyValue.ValueOneofCase.IntValue => value.IntValue.ToString(CultureInfo.InvariantCulture),
            AnyValue.ValueOneofCase.DoubleValue => value.DoubleValue.ToString("R", CultureInfo.InvariantCulture),
            AnyValue.ValueOneofCase.BytesValue => value.BytesValue.ToBase64(),
            AnyValue.ValueOneofCase.ArrayValue => Compose(value),
            AnyValue.ValueOneofCase.KvlistValue => Compose(value),
            _ => "",
        };
    }

    private static string Compose(AnyValue value)
    {
        var text = new StringBuilder();
        Append(text, value);
        return text.ToString();

        static void Append(StringBuilder text, AnyValue value)
        {
            switch (value.ValueCase)
            {
                case AnyValue.ValueOneofCase.ArrayValue:
                    text.Append('[');
                    for (var i = 0; i < value.ArrayValue.Values.Count; i++)
                    {
                        text.Append(i == 0 ? "" : ", ");
                        Append(text, value.ArrayValue.Values[i]);
                    }

                    text.Append(']');
                    break;
                case AnyValue.ValueOneofCase.KvlistValue:
                    text.Append('{');
                    for (var i = 0; i < value.KvlistValue.Values.Count; i++)
                    {
                        var pair = value.KvlistValue.Values[i];
                        text.Append(i == 0 ? "" : ", ").Append(pair.Key).Append(": ");
                        Append(text, pair.Value ?? new AnyValue());
                    }

                    text.Append('}');
                    break;
                default:
                    text.Append(Text(value));
                    break;
            }
        }
    }
}
