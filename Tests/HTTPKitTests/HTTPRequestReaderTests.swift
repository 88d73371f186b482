import Foundation
import Testing
@testable import HTTPKit

/// A client that sends `bytes`, at most `readSize` of them per read, then closes.
private final class SentBytes: ByteStream, @unchecked Sendable {
    private let bytes: [UInt8]
    private let readSize: Int
    private var offset = 0

    init(_ text: String, readSize: Int = 16 * 1024) {
        bytes = Array(text.utf8)
        self.readSize = readSize
    }

    init(bytes: [UInt8], readSize: Int) {
        self.bytes = bytes
        self.readSize = readSize
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) -> Int {
        let n = min(readSize, buffer.count, bytes.count - offset)
        guard n > 0, let to = buffer.baseAddress else { return 0 }
        bytes.withUnsafeBytes { source in
            if let from = source.baseAddress { to.copyMemory(from: from + offset, byteCount: n) }
        }
        offset += n
        return n
    }

    func write(_ bytes: [UInt8]) -> Bool { true }
    func close() {}
    func clientLeft() -> Bool { offset >= bytes.count }
}

/// What reading every request of a stream gave: the requests, then the error that stopped it.
private func readAll(_ stream: SentBytes) -> (requests: [HTTPRequest], end: HTTPRequestReader.ReadError?) {
    var reader = HTTPRequestReader(stream: stream)
    var requests: [HTTPRequest] = []
    while true {
        do throws(HTTPRequestReader.ReadError) {
            requests.append(try reader.next())
        } catch {
            return (requests, error)
        }
    }
}

private func isMalformed(_ error: HTTPRequestReader.ReadError?) -> Bool {
    if case .malformed = error { return true }
    return false
}

private func isTooLarge(_ error: HTTPRequestReader.ReadError?) -> Bool {
    if case .tooLarge = error { return true }
    return false
}

private func isClosed(_ error: HTTPRequestReader.ReadError?) -> Bool {
    if case .closed = error { return true }
    return false
}

@Suite("HTTP request reader")
struct HTTPRequestReaderTests {
    @Test func aRequestWithQueryHeadersAndBody() throws {
        let (requests, end) = readAll(SentBytes("POST /a%20b?x=1&y=a+b&z HTTP/1.1\r\nHost: h\r\nX-Two: 1\r\nx-two: 2\r\nContent-Length: 5\r\n\r\nhello"))
        #expect(isClosed(end))
        let request = try #require(requests.first)
        #expect(request.method == "POST" && request.path == "/a b")
        #expect(request.query == ["x": "1", "y": "a b", "z": ""])
        #expect(request.header("X-TWO") == "1, 2")
        #expect(request.body == Array("hello".utf8))
    }

    @Test(arguments: [1, 2, 3, 7, 64, 16 * 1024])
    func pipelinedRequestsAtAnyReadSize(readSize: Int) {
        let text = "GET /one HTTP/1.1\r\n\r\nPOST /two HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3;ext=1\r\nabc\r\n2\r\nde\r\n0\r\n\r\nGET /three HTTP/1.0\r\n\r\n"
        let (requests, end) = readAll(SentBytes(text, readSize: readSize))
        #expect(requests.map(\.path) == ["/one", "/two", "/three"])
        #expect(requests.map(\.body) == [[], Array("abcde".utf8), []])
        #expect(isClosed(end))
    }

    /// A chunked body's trailer may hold header lines; all of them are read, so the next request
    /// starts where it should (only one line was read, and the next request began at a blank line).
    @Test func aChunkedTrailerOfSeveralLines() {
        let text = "POST /a HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nx\r\n0\r\nX-One: 1\r\nX-Two: 2\r\n\r\nGET /b HTTP/1.1\r\n\r\n"
        let (requests, end) = readAll(SentBytes(text))
        #expect(requests.map(\.path) == ["/a", "/b"])
        #expect(isClosed(end))
    }

    /// `Int("-1", radix: 16)` is -1, and a negative chunk size crashed the reader (`prefix(-1)`
    /// traps; the fuzz harness reproduces it on the old reader). Sizes are hex digits only now.
    @Test(arguments: ["-1", "+1", " ", "0x10", "g", ""])
    func aChunkSizeThatIsNotHexDigitsIsMalformed(size: String) {
        let text = "POST /a HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n\(size)\r\nabc\r\n0\r\n\r\n"
        let (requests, end) = readAll(SentBytes(text))
        #expect(requests.isEmpty)
        #expect(isMalformed(end), "\(String(describing: end))")
    }

    /// After a first chunk, a size near Int.max overflowed `body.count + size` and trapped; now it
    /// is too large, as is any size past the body limit.
    @Test(arguments: ["7fffffffffffffff", "ffffffffffffffffff", "1000001"])
    func aHugeChunkSizeIsTooLarge(size: String) {
        let text = "POST /a HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\n\(size)\r\nabc\r\n"
        let (requests, end) = readAll(SentBytes(text))
        #expect(requests.isEmpty)
        #expect(isTooLarge(end), "\(String(describing: end))")
    }

    @Test func aChunkMustEndWithCRLF() {
        let (requests, end) = readAll(SentBytes("POST /a HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcXY0\r\n\r\n"))
        #expect(requests.isEmpty)
        #expect(isMalformed(end))
    }

    @Test(arguments: ["+5", "-1", "5, 5", "0x5", "5a", "99999999999999999999"])
    func aContentLengthThatIsNotDigitsIsMalformed(length: String) {
        let (requests, end) = readAll(SentBytes("POST /a HTTP/1.1\r\nContent-Length: \(length)\r\n\r\nhello"))
        #expect(requests.isEmpty)
        #expect(isMalformed(end), "\(String(describing: end))")
    }

    @Test func aHeadSentOneByteAtATimeIsReadWhole() throws {
        let padding = String(repeating: "a", count: 60_000)
        let (requests, _) = readAll(SentBytes("GET /slow HTTP/1.1\r\nX-Padding: \(padding)\r\n\r\n", readSize: 1))
        #expect(requests.first?.header("x-padding")?.count == 60_000)
    }

    @Test func aHeadOverTheLimitIsTooLarge() {
        let padding = String(repeating: "a", count: 70_000)
        let (requests, end) = readAll(SentBytes("GET / HTTP/1.1\r\nX-Padding: \(padding)\r\n\r\n", readSize: 1000))
        #expect(requests.isEmpty)
        guard case .headTooLarge = end else { Issue.record("\(String(describing: end)): not headTooLarge (answered 431)"); return }
    }

    @Test func aConnectionClosedMidRequestIsMalformed() {
        #expect(isMalformed(readAll(SentBytes("GET / HTTP/1.1\r\nHost")).end))
        #expect(isMalformed(readAll(SentBytes("POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\nabc")).end))
    }

    /// The corpus `make fuzz` grew for the request reader (Fuzz/Corpus/http), replayed as the harness
    /// replays it: the first byte sets the read size; no input may crash, and no body may exceed its
    /// Content-Length or the limit.
    @Test func fuzzCorpusReadsWithoutCrashing() throws {
        let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../Fuzz/Corpus/http").standardized
        let files = try FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)
        #expect(!files.isEmpty)
        for file in files {
            let bytes = [UInt8](try Data(contentsOf: file))
            guard let first = bytes.first else { continue }
            for request in readAll(SentBytes(bytes: Array(bytes.dropFirst()), readSize: 1 + Int(first % 64))).requests {
                #expect(request.body.count <= HTTPRequestReader.maximumBodyBytes)
                if request.header("transfer-encoding") == nil, let length = request.header("content-length").flatMap({ Int($0) }) {
                    #expect(request.body.count == length, "\(file.lastPathComponent)")
                }
            }
        }
    }
}
