namespace AuthErrorOps.Core.Fingerprinting;

/// <summary>
/// Bounds that keep fingerprinting linear and small whatever the input. Changing any of the
/// selection limits changes hashes, so it needs a new <see cref="StackFingerprint.Version"/>.
/// </summary>
internal static class FingerprintLimits
{
    public const int MaxTraceChars = 32_768;
    public const int MaxExceptionLevels = 8;
    public const int MaxInAppFramesPerLevel = 8;
    public const int MaxTopFramesPerLevel = 5;
    public const int MaxFrameInputChars = 1_024;
    public const int MaxSymbolChars = 512;
    public const int MaxFrameChars = 320;
    public const int MaxTypeNameChars = 256;
    public const int MaxMessageInputChars = 1_024;
    public const int MaxMessageChars = 2_048;
    public const int MaxTitleChars = 300;
}
