import CCurl
import Foundation
import Locking

/// libcurl, initialised once per process, with SIGPIPE ignored (a peer that closes a TLS
/// connection must be an error, not the end of the process).
enum CurlRuntime {
    static let initialized: Bool = {
        signal(SIGPIPE, SIG_IGN)
        return curl_global_init(Int(CURL_GLOBAL_DEFAULT)) == CURLE_OK
    }()
}

/// One easy handle. Used by one thread at a time: a transfer takes it from the pool, and puts it back
/// when done, so its connection (keep-alive) serves the next request.
final class EasyHandle: @unchecked Sendable {
    let raw: UnsafeMutableRawPointer

    init?() {
        guard CurlRuntime.initialized, let handle = curl_easy_init() else { return nil }
        raw = handle
    }

    deinit { curl_easy_cleanup(raw) }
}

/// The state of one transfer, shared with libcurl's callbacks (which run on the transfer's thread)
/// and, for cancellation only, with other threads.
final class CurlTransfer: @unchecked Sendable {
    // Written by the callbacks on the transfer's thread; read by it after curl_easy_perform returns.
    var statusCode = 0
    var headers: [String: String] = [:]
    var body: [UInt8] = []
    /// Streaming: receives each chunk of the body of a successful (2xx) response; false aborts.
    var onData: ((UnsafeRawBufferPointer) -> Bool)?
    /// Streaming: told the status once the response's head is in (before any of its body).
    var onResponse: ((Int) -> Void)?
    /// Set from any thread; the progress callback aborts the transfer (within a second) when set.
    let cancelled: Locked<Bool>
    var errorBuffer = [CChar](repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
    /// A body longer than this aborts the transfer (nil: no limit).
    var maximumBodyBytes: Int?
    /// Set when the body outgrew `maximumBodyBytes`.
    var bodyTooLarge = false

    init(cancelled: Locked<Bool> = Locked(false)) { self.cancelled = cancelled }

    var isSuccess: Bool { (200..<300).contains(statusCode) }
}

/// libcurl's callbacks: plain C functions that find their transfer through the userdata pointer.
enum CurlCallbacks {
    static let write: eip_curl_data_callback = { data, size, count, userdata in
        guard let data, let userdata else { return 0 }
        let transfer = Unmanaged<CurlTransfer>.fromOpaque(userdata).takeUnretainedValue()
        let length = size * count
        let bytes = UnsafeRawBufferPointer(start: data, count: length)
        if transfer.isSuccess, let onData = transfer.onData {
            return onData(bytes) ? length : 0
        }
        if let limit = transfer.maximumBodyBytes, transfer.body.count + length > limit {
            transfer.bodyTooLarge = true
            return 0  // libcurl stops with CURLE_WRITE_ERROR
        }
        transfer.body.append(contentsOf: bytes)
        return length
    }

    static let header: eip_curl_data_callback = { data, size, count, userdata in
        guard let data, let userdata else { return 0 }
        let transfer = Unmanaged<CurlTransfer>.fromOpaque(userdata).takeUnretainedValue()
        let length = size * count
        let line = String(decoding: UnsafeRawBufferPointer(start: data, count: length), as: UTF8.self)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        if line.hasPrefix("HTTP/") {
            // A new response (after a 100 Continue, say): start over.
            transfer.statusCode = Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0
            transfer.headers = [:]
        } else if line.isEmpty {
            // The end of a head: a final (not 1xx) response starts here.
            if transfer.statusCode >= 200 { transfer.onResponse?(transfer.statusCode) }
        } else if let colon = line.firstIndex(of: ":") {
            transfer.headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        return length
    }

    static let progress: eip_curl_progress_callback = { userdata, _, _, _, _ in
        guard let userdata else { return 0 }
        let transfer = Unmanaged<CurlTransfer>.fromOpaque(userdata).takeUnretainedValue()
        return transfer.cancelled.withLock { $0 } ? 1 : 0
    }
}
