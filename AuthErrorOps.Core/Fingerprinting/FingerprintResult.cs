namespace AuthErrorOps.Core.Fingerprinting;

/// <summary>The outcome of <see cref="StackFingerprint.Compute"/>.</summary>
/// <param name="StackHash">SHA-256 of the canonical fingerprint text, 64 lowercase hex characters.</param>
/// <param name="Version">The rule version that produced <paramref name="StackHash"/>.</param>
/// <param name="Frames">The normalised frames that were hashed, outermost exception level first.</param>
/// <param name="Title">A short human title such as <c>InvalidTokenException at TokenValidator.Validate</c>.</param>
/// <param name="UsedMessageFallback">True when no frame survived and the normalised message was hashed instead.</param>
public sealed record FingerprintResult(
    string StackHash,
    int Version,
    IReadOnlyList<string> Frames,
    string Title,
    bool UsedMessageFallback);
