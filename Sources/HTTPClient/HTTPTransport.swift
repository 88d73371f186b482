import CCurl
import Foundation
import Locking

/// How to reach and trust a server, and how long to wait.
public struct TransportConfiguration: Sendable {
    /// A certificate, key or CA: a PEM file or PEM bytes.
    public enum PEMSource: Sendable, Equatable {
        case file(String)
        case data([UInt8])
    }

    /// `https://host:port` (or `http://`), prefixed to every request's path; "" when each request
    /// names its whole URL (the direct scrape of pods).
    public var server: String
    /// The CA to verify the server against; nil: the system's.
    public var certificateAuthority: PEMSource?
    /// A client certificate (x509 authentication), with its key.
    public var clientCertificate: PEMSource?
    /// The client certificate's key.
    public var clientKey: PEMSource?
    /// Skip certificate verification. Only when a kubeconfig says `insecure-skip-tls-verify: true`.
    public var insecureSkipTLSVerify = false
    /// Seconds to connect (default 10).
    public var connectTimeout = 10.0
    /// Seconds for a whole ordinary request (default 30). Watches have none.
    public var requestTimeout = 30.0
    /// Seconds a watch may stay silent before it is given up (default 70, as kopf does; the
    /// server's bookmarks come every ~60 s).
    public var watchInactivityTimeout = 70.0
    /// The `User-Agent` sent.
    public var userAgent = "eip-operator/0.1"
    /// A response body longer than this is refused (`.responseTooLarge`) rather than held in memory;
    /// nil for none. Watches are not affected (they stream).
    public var maximumResponseBytes: Int?
    /// Connect elsewhere than the URL's host, keeping its name for TLS (libcurl's `CURLOPT_CONNECT_TO`,
    /// entries `HOST:PORT:CONNECT-HOST:CONNECT-PORT`): how an API server reaches a webhook Service
    /// through one of its endpoints while verifying the certificate for `NAME.NAMESPACE.svc`. Default none.
    public var connectTo: [String] = []

    /// A configuration for `server`, every other setting at its default.
    public init(server: String) { self.server = server }
}

/// An HTTP response: its status, headers (names in lower case) and body.
public struct HTTPResponse: Sendable {
    /// The HTTP status.
    public let statusCode: Int
    /// By lower-case name; a repeated header keeps its last value.
    public let headers: [String: String]
    /// The body, whole.
    public let body: [UInt8]
}

/// Sends HTTP requests through libcurl: TLS verified against a CA (file or in memory), client
/// certificates, an `Authorization` header from a credential source, connection reuse, timeouts,
/// and cancellation that stops a transfer within a second. Blocking transfers run on their own
/// threads, never on Swift's cooperative pool. The Kubernetes client, the direct scrape of pods and
/// the Prometheus source each hold one; HTTP error statuses are answers, other failures throw
/// ``HTTPClientError``.
public final class HTTPTransport: Sendable {
    /// Where and how it connects.
    public let configuration: TransportConfiguration
    let credentials: (any CredentialSource)?
    private let idleHandles = Locked<[EasyHandle]>([])
    static let maximumIdleHandles = 8

    /// A transport; `credentials` give each request its `Authorization` header (none without).
    public init(_ configuration: TransportConfiguration, credentials: (any CredentialSource)? = nil) {
        self.configuration = configuration
        self.credentials = credentials
        if configuration.insecureSkipTLSVerify {
            try? FileHandle.standardError.write(contentsOf: Data("warning: TLS verification of \(configuration.server) is turned off (insecure-skip-tls-verify)\n".utf8))
        }
    }

    /// `?name=value&…`, each value percent-encoded for a query string (`&=+,;?/` too); "" for none.
    public static func query(_ items: [(String, String)]) -> String {
        guard !items.isEmpty else { return "" }
        var allowed = CharacterSet.urlQueryAllowed
        allowed.remove(charactersIn: "&=+,;?/")
        return "?" + items.map { "\($0.0)=\($0.1.addingPercentEncoding(withAllowedCharacters: allowed) ?? $0.1)" }.joined(separator: "&")
    }

    /// One request and its whole response. HTTP error statuses are returned, not thrown; transport
    /// failures throw. A 401 makes the credential source refresh once and the request go again.
    public func send(method: String, path: String, headers: [(String, String)] = [], body: [UInt8]? = nil) async throws(HTTPClientError) -> HTTPResponse {
        let first = try await perform(method: method, path: path, headers: headers, body: body, streaming: nil)
        if first.statusCode == 401, let credentials, credentials.refreshAfterUnauthorized() {
            return try await perform(method: method, path: path, headers: headers, body: body, streaming: nil)
        }
        return first
    }

    /// A streaming request: `onData` receives the body of a 2xx response as it arrives, on the
    /// transfer's thread, and returns false to stop; `onResponse` is told the status as soon as the
    /// response's head is in (a stream that is open, before any of its body). Setting `cancel` stops
    /// it within a second. Returns the response (its body filled only for non-2xx) when the stream
    /// ends; throws `.cancelled` when stopped, `.timedOut` after the inactivity timeout.
    public func stream(path: String, headers: [(String, String)] = [], cancel: Locked<Bool>,
                       onResponse: (@Sendable (Int) -> Void)? = nil,
                       onData: @escaping @Sendable (UnsafeRawBufferPointer) -> Bool) async throws(HTTPClientError) -> HTTPResponse {
        try await perform(method: "GET", path: path, headers: headers, body: nil, streaming: (onData, cancel), onResponse: onResponse)
    }

    private func perform(method: String, path: String, headers: [(String, String)], body: [UInt8]?,
                         streaming: (onData: @Sendable (UnsafeRawBufferPointer) -> Bool, cancel: Locked<Bool>?)?,
                         onResponse: (@Sendable (Int) -> Void)? = nil) async throws(HTTPClientError) -> HTTPResponse {
        let requestHeaders = headers
        let transfer = CurlTransfer(cancelled: streaming?.cancel ?? Locked(false))
        transfer.onData = streaming?.onData
        transfer.onResponse = onResponse
        transfer.maximumBodyBytes = configuration.maximumResponseBytes
        let outcome: Result<HTTPResponse, HTTPClientError> = await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Result<HTTPResponse, HTTPClientError>, Never>) in
                BlockingThreads.shared.run { [self] in
                    continuation.resume(returning: run(transfer, method: method, path: path, headers: requestHeaders, body: body,
                                                       streaming: streaming != nil))
                }
            }
        } onCancel: {
            transfer.cancelled.withLock { $0 = true }
        }
        return try outcome.get()
    }

    /// The blocking part, on a thread of BlockingThreads/shared (one transfer at a time).
    private func run(_ transfer: CurlTransfer, method: String, path: String, headers requestHeaders: [(String, String)], body: [UInt8]?,
                     streaming: Bool) -> Result<HTTPResponse, HTTPClientError> {
        // The token is fetched here, on the transfer's thread: an exec plugin blocks while it runs.
        var headers = requestHeaders
        do throws(HTTPClientError) {
            if let credentials, let value = try credentials.authorizationHeader() { headers.append(("Authorization", value)) }
        } catch {
            return .failure(error)
        }
        guard let handle = idleHandles.withLock({ $0.popLast() }) ?? EasyHandle() else {
            return .failure(HTTPClientError(.transport, "cannot create a libcurl handle"))
        }
        defer {
            curl_easy_reset(handle.raw)  // keeps the connection cache
            idleHandles.withLock { if $0.count < Self.maximumIdleHandles { $0.append(handle) } }
        }
        let h = handle.raw
        let c = configuration
        var strings: [UnsafeMutablePointer<CChar>] = []  // freed after the transfer
        defer { strings.forEach { free($0) } }
        func copy(_ s: String) -> UnsafeMutablePointer<CChar>? {
            let p = strdup(s)
            if let p { strings.append(p) }
            return p
        }
        var list: UnsafeMutablePointer<curl_slist>?
        defer { curl_slist_free_all(list) }
        var connectTo: UnsafeMutablePointer<curl_slist>?
        defer { curl_slist_free_all(connectTo) }
        for entry in c.connectTo { connectTo = curl_slist_append(connectTo, entry) }
        // Defaults for what the caller did not set (a scrape asks for text, not JSON).
        let defaults = [("Accept", "application/json"), ("User-Agent", c.userAgent), ("Expect", "")]
            .filter { name, _ in !headers.contains { $0.0.lowercased() == name.lowercased() } }
        for (name, value) in headers + defaults {
            list = curl_slist_append(list, "\(name): \(value)")
        }

        _ = eip_curl_setopt_string(h, CURLOPT_URL, copy(c.server + path))
        _ = eip_curl_setopt_long(h, CURLOPT_NOSIGNAL, 1)
        _ = eip_curl_setopt_long(h, CURLOPT_HTTP_VERSION, Int(CURL_HTTP_VERSION_1_1))
        _ = eip_curl_setopt_long(h, CURLOPT_FOLLOWLOCATION, 0)
        _ = eip_curl_setopt_long(h, CURLOPT_TCP_KEEPALIVE, 1)
        _ = eip_curl_setopt_long(h, CURLOPT_TCP_KEEPIDLE, 30)
        _ = eip_curl_setopt_long(h, CURLOPT_TCP_KEEPINTVL, 15)
        _ = eip_curl_setopt_long(h, CURLOPT_CONNECTTIMEOUT_MS, Int(c.connectTimeout * 1000))
        if streaming {
            // No total timeout for a watch; give up when it has been silent this long.
            _ = eip_curl_setopt_long(h, CURLOPT_LOW_SPEED_LIMIT, 1)
            _ = eip_curl_setopt_long(h, CURLOPT_LOW_SPEED_TIME, max(1, Int(c.watchInactivityTimeout.rounded(.up))))
        } else {
            _ = eip_curl_setopt_long(h, CURLOPT_TIMEOUT_MS, Int(c.requestTimeout * 1000))
        }
        _ = eip_curl_setopt_slist(h, CURLOPT_HTTPHEADER, list)
        if connectTo != nil { _ = eip_curl_setopt_slist(h, CURLOPT_CONNECT_TO, connectTo) }
        switch method {
        case "GET": _ = eip_curl_setopt_long(h, CURLOPT_HTTPGET, 1)
        default: _ = eip_curl_setopt_string(h, CURLOPT_CUSTOMREQUEST, copy(method))
        }
        if let body {
            _ = eip_curl_setopt_long(h, CURLOPT_POSTFIELDSIZE, body.count)
            if body.isEmpty {
                _ = eip_curl_setopt_string(h, CURLOPT_COPYPOSTFIELDS, "")
            } else {
                body.withUnsafeBytes { raw in
                    _ = eip_curl_setopt_pointer(h, CURLOPT_COPYPOSTFIELDS, UnsafeMutableRawPointer(mutating: raw.baseAddress))
                }
            }
        }
        // TLS: verify against the cluster CA unless explicitly told not to.
        _ = eip_curl_setopt_long(h, CURLOPT_SSL_VERIFYPEER, c.insecureSkipTLSVerify ? 0 : 1)
        _ = eip_curl_setopt_long(h, CURLOPT_SSL_VERIFYHOST, c.insecureSkipTLSVerify ? 0 : 2)
        setPEM(h, c.certificateAuthority, file: CURLOPT_CAINFO, blob: CURLOPT_CAINFO_BLOB, copy: copy)
        setPEM(h, c.clientCertificate, file: CURLOPT_SSLCERT, blob: CURLOPT_SSLCERT_BLOB, copy: copy)
        setPEM(h, c.clientKey, file: CURLOPT_SSLKEY, blob: CURLOPT_SSLKEY_BLOB, copy: copy)

        let context = Unmanaged.passUnretained(transfer).toOpaque()
        _ = eip_curl_setopt_write_function(h, CurlCallbacks.write)
        _ = eip_curl_setopt_pointer(h, CURLOPT_WRITEDATA, context)
        _ = eip_curl_setopt_header_function(h, CurlCallbacks.header)
        _ = eip_curl_setopt_pointer(h, CURLOPT_HEADERDATA, context)
        _ = eip_curl_setopt_long(h, CURLOPT_NOPROGRESS, 0)
        _ = eip_curl_setopt_progress_function(h, CurlCallbacks.progress)
        _ = eip_curl_setopt_pointer(h, CURLOPT_XFERINFODATA, context)
        let code = transfer.errorBuffer.withUnsafeMutableBufferPointer { buffer -> CURLcode in
            _ = eip_curl_setopt_pointer(h, CURLOPT_ERRORBUFFER, buffer.baseAddress)
            if transfer.cancelled.withLock({ $0 }) { return CURLE_ABORTED_BY_CALLBACK }
            return curl_easy_perform(h)
        }
        _ = eip_curl_setopt_pointer(h, CURLOPT_ERRORBUFFER, nil)
        let response = HTTPResponse(statusCode: transfer.statusCode, headers: transfer.headers, body: transfer.body)
        switch code {
        case CURLE_OK:
            return .success(response)
        case CURLE_WRITE_ERROR where streaming && transfer.isSuccess:
            return .success(response)  // the stream's consumer stopped it
        default:
            return .failure(Self.transportError(code, transfer))
        }
    }

    private func setPEM(_ handle: UnsafeMutableRawPointer, _ source: TransportConfiguration.PEMSource?, file: CURLoption, blob: CURLoption,
                        copy: (String) -> UnsafeMutablePointer<CChar>?) {
        switch source {
        case .file(let path): _ = eip_curl_setopt_string(handle, file, copy(path))
        case .data(var bytes): _ = bytes.withUnsafeMutableBytes { eip_curl_setopt_blob(handle, blob, $0.baseAddress, $0.count) }
        case nil: break
        }
    }

    static func transportError(_ code: CURLcode, _ transfer: CurlTransfer) -> HTTPClientError {
        if transfer.bodyTooLarge {
            return HTTPClientError(.responseTooLarge, "the response is larger than \(transfer.maximumBodyBytes ?? 0) bytes; refused")
        }
        let detail = String(decoding: transfer.errorBuffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let message = detail.isEmpty ? String(cString: curl_easy_strerror(code)) : detail
        switch code {
        case CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CACERT_BADFILE, CURLE_SSL_CERTPROBLEM:
            return HTTPClientError(.tlsVerification, message)
        case CURLE_COULDNT_CONNECT, CURLE_COULDNT_RESOLVE_HOST, CURLE_SEND_ERROR, CURLE_RECV_ERROR, CURLE_GOT_NOTHING, CURLE_SSL_CONNECT_ERROR:
            return HTTPClientError(.connectionFailed, message)
        case CURLE_OPERATION_TIMEDOUT:
            return HTTPClientError(.timedOut, message)
        case CURLE_ABORTED_BY_CALLBACK:
            return HTTPClientError(.cancelled, "the request was cancelled")
        default:
            return HTTPClientError(.transport, message)
        }
    }
}
