import HTTPClient

// Kept apart from KubeError.swift so that the kubeconfig reader and its fuzz harness
// (scripts/fuzz.sh) build without the libcurl transport.
extension KubeError {
    /// The error a failed transfer stands for: the same kind for connection trouble, timeouts, TLS and
    /// cancellation; `.configuration` for credentials that could not be had; `.transport` otherwise.
    public init(_ error: HTTPClientError) {
        let kind: Kind
        switch error.kind {
        case .connectionFailed: kind = .connectionFailed
        case .timedOut: kind = .timedOut
        case .tlsVerification: kind = .tlsVerification
        case .cancelled: kind = .cancelled
        case .credentials: kind = .configuration
        default: kind = .transport
        }
        self.init(kind, error.message)
    }
}
