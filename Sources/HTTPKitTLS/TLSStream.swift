import COpenSSL
import HTTPKit
import Locking

/// A TLS server configuration: certificate chain and key, loaded once, shared by every connection.
/// OpenSSL's `SSL_CTX` is safe to share across threads once configured.
public final class TLSServerContext: ConnectionSecurity, @unchecked Sendable {
    private let context: OpaquePointer

    /// Loads a PEM certificate (chain) and private key. TLS 1.2 is the minimum, as the API server's.
    /// With `clientCAFile`, clients may present a certificate signed by that CA (x509 client
    /// authentication, as the API server's `--client-ca-file`); one that does not verify fails the handshake.
    public init(certificateFile: String, keyFile: String, clientCAFile: String? = nil) throws(ServerError) {
        guard let ctx = SSL_CTX_new(TLS_server_method()) else { throw ServerError("cannot create a TLS context: \(Self.lastError())") }
        context = ctx
        SSL_CTX_ctrl(ctx, SSL_CTRL_SET_MIN_PROTO_VERSION, Int(TLS1_2_VERSION), nil)
        guard SSL_CTX_use_certificate_chain_file(ctx, certificateFile) == 1 else {
            throw ServerError("cannot load the TLS certificate \(certificateFile): \(Self.lastError())")
        }
        guard SSL_CTX_use_PrivateKey_file(ctx, keyFile, SSL_FILETYPE_PEM) == 1 else {
            throw ServerError("cannot load the TLS key \(keyFile): \(Self.lastError())")
        }
        guard SSL_CTX_check_private_key(ctx) == 1 else {
            throw ServerError("the TLS key \(keyFile) does not match the certificate \(certificateFile)")
        }
        if let clientCAFile {
            guard SSL_CTX_load_verify_locations(ctx, clientCAFile, nil) == 1 else {
                throw ServerError("cannot load the client CA \(clientCAFile): \(Self.lastError())")
            }
            // Ask for a certificate; do not require one (token clients connect too).
            SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nil)
        }
    }

    deinit { SSL_CTX_free(context) }

    /// Performs the server handshake on an accepted socket; nil when the client gives up or fails it.
    public func secure(_ socket: SocketStream) -> (any SecureStream)? {
        guard let ssl = SSL_new(context) else { return nil }
        SSL_set_fd(ssl, socket.fd)
        guard SSL_accept(ssl) == 1 else {
            SSL_free(ssl)
            return nil
        }
        return TLSStream(ssl: ssl, socket: socket)
    }

    static func lastError() -> String {
        let code = ERR_get_error()
        guard code != 0 else { return "unknown error" }
        var buffer = [CChar](repeating: 0, count: 256)
        ERR_error_string_n(code, &buffer, buffer.count)
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// TLS over an accepted socket. Owned by its connection's thread, which alone reads, writes and
/// closes it (OpenSSL objects must not be used from two threads at once); other threads stop it by
/// shutting the socket down, which makes the owner's next read or write fail.
final class TLSStream: SecureStream, @unchecked Sendable {
    private let ssl: OpaquePointer
    private let socket: SocketStream
    private let state = Locked(false)  // closed

    init(ssl: OpaquePointer, socket: SocketStream) {
        self.ssl = ssl
        self.socket = socket
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) -> Int {
        guard let base = buffer.baseAddress else { return 0 }
        let n = SSL_read(ssl, base, Int32(min(buffer.count, Int(Int32.max))))
        return n > 0 ? Int(n) : 0
    }

    func write(_ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { raw -> Int32 in
                guard let base = raw.baseAddress else { return -1 }
                return SSL_write(ssl, base + offset, Int32(bytes.count - offset))
            }
            if n <= 0 { return false }
            offset += Int(n)
        }
        return true
    }

    func clientLeft() -> Bool { socket.clientLeft() }

    /// The common name of the client's certificate, when it presented one that verified.
    func verifiedClientName() -> String? {
        guard let certificate = SSL_get1_peer_certificate(ssl) else { return nil }
        defer { X509_free(certificate) }
        guard SSL_get_verify_result(ssl) == Int(X509_V_OK), let subject = X509_get_subject_name(certificate) else { return nil }
        var buffer = [CChar](repeating: 0, count: 256)
        guard X509_NAME_get_text_by_NID(subject, NID_commonName, &buffer, Int32(buffer.count)) > 0 else { return "" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    func close() {
        let first = state.withLock { closed in
            defer { closed = true }
            return !closed
        }
        guard first else { return }
        socket.shutdown()
        SSL_free(ssl)
        socket.close()
    }
}
