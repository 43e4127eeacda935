namespace AuthErrorOps.Core.Outbox;

/// <summary>The PostgreSQL NOTIFY channel on which writers wake the relay.</summary>
public static class OutboxChannel
{
    public const string Name = "outbox_message_created";
}
