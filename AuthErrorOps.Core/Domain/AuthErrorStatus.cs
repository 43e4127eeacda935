namespace AuthErrorOps.Core.Domain;

/// <summary>Pipeline state of one auth_error row (see docs/decisions.md).</summary>
public static class AuthErrorStatus
{
    public const string Received = "RECEIVED";
    public const string Linked = "LINKED";
    public const string Dead = "DEAD";
}

/// <summary>Outbox lifecycle of DESIGN §5: PENDING → PROCESSING → PUBLISHED, or DEAD.</summary>
public static class OutboxStatus
{
    public const string Pending = "PENDING";
    public const string Processing = "PROCESSING";
    public const string Published = "PUBLISHED";
    public const string Dead = "DEAD";
}
