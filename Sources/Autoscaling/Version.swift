/// The release this build is, reported by `--version` of both binaries.
public enum EIPVersion {
    public static let current = "0.1.0"
}
