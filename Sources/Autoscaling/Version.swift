/// The release this build is, reported by `--version` of both binaries.
public enum EIPVersion {
    /// The operator's and eipctl's version (semantic versioning).
    public static let current = "0.1.0"
}
