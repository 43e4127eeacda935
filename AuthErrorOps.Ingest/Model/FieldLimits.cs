namespace AuthErrorOps.Ingest.Model;

/// <summary>Input limits of DESIGN §9, and column widths for the rest.</summary>
public static class FieldLimits
{
    public const int RequestBodyBytes = 64 * 1024;
    public const int AttributesBytes = 16 * 1024;
    public const int RequestId = 128;
    public const int ExceptionMessage = 1000;
    public const int Stacktrace = 8000;
    public const int ClassName = 500;
    public const int SourceService = 200;
    public const int Environment = 100;
    public const int Endpoint = 2000;
    public const int HttpMethod = 16;
    public const int ShortText = 100;
    public const int TraceId = 64;
    public const int UserAgent = 1000;
    public const int PrincipalOrIp = 512;
    public static readonly TimeSpan MaxClockSkew = TimeSpan.FromMinutes(5);
    public static readonly DateTimeOffset EarliestOccurredAt = new(2000, 1, 1, 0, 0, 0, TimeSpan.Zero);
}
