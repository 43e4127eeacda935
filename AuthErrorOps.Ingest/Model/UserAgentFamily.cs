namespace AuthErrorOps.Ingest.Model;

/// <summary>The browser or client library family of a User-Agent; the raw header is not stored.</summary>
public static class UserAgentFamily
{
    // Order matters: Edge and Opera also say "Chrome", Chrome also says "Safari".
    private static readonly (string Marker, string Family)[] Families =
    [
        ("Edg/", "Edge"), ("OPR/", "Opera"), ("Chrome/", "Chrome"), ("CriOS/", "Chrome"), ("Firefox/", "Firefox"),
        ("FxiOS/", "Firefox"), ("Safari/", "Safari"), ("curl/", "curl"), ("okhttp/", "okhttp"), ("PostmanRuntime/", "Postman"),
        ("python-requests/", "python-requests"), ("Go-http-client/", "Go"), ("Apache-HttpClient/", "Java"), ("Java/", "Java"),
        ("Dart/", "Dart"), ("axios/", "axios"), ("node-fetch", "Node.js"), ("Mozilla/", "Other browser"),
    ];

    public static string? Of(string? userAgent)
    {
        if (string.IsNullOrWhiteSpace(userAgent))
        {
            return null;
        }

        foreach (var (marker, family) in Families)
        {
            if (userAgent.Contains(marker, StringComparison.OrdinalIgnoreCase))
            {
                return family;
            }
        }

        return "Other";
    }
}
