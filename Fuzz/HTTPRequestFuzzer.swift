// libFuzzer entry point for HTTPKit's request reader (`make fuzz`), which faces the network in the
// operator's probe and metrics endpoints. Built with `swiftc -sanitize=fuzzer,address` together
// with Sources/HTTPKit/HTTPMessage.swift and ByteStream.swift (see scripts/fuzz.sh). The first
// input byte sets how many bytes each read returns (1 to 64, as a slow client sends them); the rest
// is what the client sends. Requests are read until the reader stops; any crash, hang or memory
// error is a bug, and so is a body longer than the reader's limit or than its Content-Length.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzHTTPRequests(_ start: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    guard count > 0 else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: start, count: count))
    let stream = ReplayedStream(bytes: Array(bytes.dropFirst()), readSize: 1 + Int(bytes[0] % 64))
    var reader = HTTPRequestReader(stream: stream)
    for _ in 0..<64 {
        guard let request = try? reader.next() else { break }
        if request.body.count > HTTPRequestReader.maximumBodyBytes { fatalError("a body over the limit: \(request.body.count)") }
        if request.header("transfer-encoding") == nil, let length = request.header("content-length").flatMap({ Int($0) }), request.body.count != length {
            fatalError("a body of \(request.body.count) bytes for Content-Length \(length)")
        }
    }
    return 0
}

/// A client that sends `bytes`, at most `readSize` of them per read, then closes.
final class ReplayedStream: ByteStream, @unchecked Sendable {
    private let bytes: [UInt8]
    private let readSize: Int
    private var offset = 0

    init(bytes: [UInt8], readSize: Int) {
        self.bytes = bytes
        self.readSize = readSize
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) -> Int {
        let n = min(readSize, buffer.count, bytes.count - offset)
        guard n > 0 else { return 0 }
        bytes.withUnsafeBytes { source in
            guard let from = source.baseAddress, let to = buffer.baseAddress else { return }
            to.copyMemory(from: from + offset, byteCount: n)
        }
        offset += n
        return n
    }

    func write(_ bytes: [UInt8]) -> Bool { true }
    func close() {}
    func clientLeft() -> Bool { offset >= bytes.count }
}
