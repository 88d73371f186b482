#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The release this build is, reported by `--version` of both binaries.
public enum EIPVersion {
    /// The operator's and eipctl's version (semantic versioning).
    public static let current = "0.1.0"
}

extension EIPVersion {
    /// The source revision this build is from: the `EIP_REVISION` environment variable (the image
    /// sets it from its build argument), else `unknown`.
    public static var revision: String {
        guard let value = getenv("EIP_REVISION"), let text = String(validatingCString: value), !text.isEmpty else { return "unknown" }
        return text
    }
}
