// Helpers shared by the test targets: running commands, and certificates made with the openssl CLI.
import Foundation
import LoadModel
import Locking

/// The repository root, from this file's path (`Tests/TestSupport/TestSupport.swift`): the samples,
/// CRDs and manifests the tests read.
public let repositoryRoot: String = {
    var parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
    parts.removeLast(3)
    return parts.joined(separator: "/")
}()

/// Runs a command and returns its exit status and output (through ``ChildProcess``, not Foundation's
/// `Process`: see there why). `environment`: `NAME=value` entries (default: this process's);
/// `directory`: where it runs (default: this process's).
@discardableResult
public func run(_ executable: String, _ arguments: [String], stdin: String? = nil, environment: [String]? = nil,
                directory: String? = nil) -> (status: Int32, stdout: String, stderr: String) {
    let child: ChildProcess
    do {
        child = try ChildProcess(executable, arguments, environment: environment, directory: directory)
    } catch {
        return (-1, "", "\(error)")
    }
    if let stdin { child.send(stdin) } else { child.closeInput() }
    // Read both pipes fully (stderr on another thread, so neither can fill up and block the child).
    let errData = Locked(Data())
    let done = DispatchSemaphore(value: 0)
    Thread.detachNewThread {
        let data = child.errorOutput.readDataToEndOfFile()
        errData.withLock { $0 = data }
        done.signal()
    }
    let outData = child.output.readDataToEndOfFile()
    done.wait()
    let status = child.wait()
    return (status, String(decoding: outData, as: UTF8.self), String(decoding: errData.withLock { $0 }, as: UTF8.self))
}

/// A CA and a server certificate for 127.0.0.1, made once per test process with the openssl CLI,
/// plus an unrelated CA for the "wrong CA" tests.
public struct TestCertificates: Sendable {
    public let directory: String
    public var ca: String { directory + "/ca.pem" }
    public var otherCA: String { directory + "/other-ca.pem" }
    public var serverCertificate: String { directory + "/server.pem" }
    public var serverKey: String { directory + "/server.key" }
    /// A client certificate (CN eip-operator) signed by the CA, and one signed by the other CA.
    public var clientCertificate: String { directory + "/client.pem" }
    public var clientKey: String { directory + "/client.key" }
    public var strangerCertificate: String { directory + "/stranger.pem" }
    public var strangerKey: String { directory + "/stranger.key" }

    public static let directory = NSTemporaryDirectory() + "kube-emulator-certs-\(ProcessInfo.processInfo.processIdentifier)"

    public static let shared: TestCertificates = {
        let dir = directory
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        // Removed when the test process exits.
        atexit { try? FileManager.default.removeItem(atPath: TestCertificates.directory) }
        let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        run("/usr/bin/openssl", ["req", "-x509"] + ec + ["-keyout", dir + "/ca.key", "-out", dir + "/ca.pem", "-days", "2", "-subj", "/CN=eip-test-ca"])
        run("/usr/bin/openssl", ["req", "-x509"] + ec + ["-keyout", dir + "/other-ca.key", "-out", dir + "/other-ca.pem", "-days", "2", "-subj", "/CN=other-ca"])
        run("/usr/bin/openssl", ["req"] + ec + ["-keyout", dir + "/server.key", "-out", dir + "/server.csr", "-subj", "/CN=127.0.0.1"])
        try? "subjectAltName=IP:127.0.0.1,DNS:localhost\n".write(toFile: dir + "/ext.cnf", atomically: true, encoding: .utf8)
        run("/usr/bin/openssl", ["x509", "-req", "-in", dir + "/server.csr", "-CA", dir + "/ca.pem", "-CAkey", dir + "/ca.key",
                                 "-CAcreateserial", "-out", dir + "/server.pem", "-days", "2", "-extfile", dir + "/ext.cnf"])
        for (name, ca) in [("client", "ca"), ("stranger", "other-ca")] {
            run("/usr/bin/openssl", ["req"] + ec + ["-keyout", dir + "/\(name).key", "-out", dir + "/\(name).csr", "-subj", "/CN=eip-operator"])
            run("/usr/bin/openssl", ["x509", "-req", "-in", dir + "/\(name).csr", "-CA", dir + "/\(ca).pem", "-CAkey", dir + "/\(ca).key",
                                     "-CAcreateserial", "-out", dir + "/\(name).pem", "-days", "2"])
        }
        return TestCertificates(directory: dir)
    }()
}


/// Collects the lines a pipe delivers, on a thread of its own, until the writer closes it.
public final class LineCollector: Sendable {
    private let collected = Locked<[String]>([])
    private let ended = Locked(false)

    public init(reading handle: FileHandle) {
        Thread.detachNewThread { [collected, ended] in
            var buffer = Data()
            while true {
                let chunk = handle.availableData
                if chunk.isEmpty { break }
                buffer.append(chunk)
                while let newline = buffer.firstIndex(of: 10) {
                    let line = String(decoding: buffer[buffer.startIndex..<newline], as: UTF8.self)
                    buffer.removeSubrange(buffer.startIndex...newline)
                    collected.withLock { $0.append(line) }
                }
            }
            ended.withLock { $0 = true }
        }
    }

    /// The lines so far.
    public var lines: [String] { collected.withLock { $0 } }
    /// True once the pipe has closed.
    public var finished: Bool { ended.withLock { $0 } }
}

/// Polls `condition` every 20 ms, blocking the calling thread, until it holds or `timeout` seconds
/// pass (a bound on waiting for threads and processes, not a measure of time); its last answer.
/// Suites that wait this way run on threads of their own, not the cooperative pool.
public func waitUntil(timeout: Double = 20, _ condition: () -> Bool) -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
        if condition() { return true }
        Thread.sleep(forTimeInterval: 0.02)
    }
    return condition()
}

/// A small deterministic generator (LoadModel's SplitMix64), so that every run of a randomised
/// test sees the same cases (and a failure can be replayed).
public typealias SeededGenerator = SplitMix64

/// The inputs `make fuzz` kept for harness `harness` (`Fuzz/Corpus/<harness>`, minimized), sorted by
/// file name, each with its text as UTF-8 (bad bytes replaced, as the harnesses read them).
/// Throws when the folder or a file cannot be read.
public func fuzzCorpus(_ harness: String) throws -> [(file: String, text: String)] {
    let directory = repositoryRoot + "/Fuzz/Corpus/" + harness
    return try FileManager.default.contentsOfDirectory(atPath: directory).sorted().map { file in
        guard let data = FileManager.default.contents(atPath: directory + "/" + file) else {
            throw CocoaError(.fileReadUnknown, userInfo: [NSFilePathErrorKey: directory + "/" + file])
        }
        return (file, String(decoding: data, as: UTF8.self))
    }
}

/// The error `body` throws, as an `E` (any other error is a test failure's message in `other`);
/// nil when it throws nothing.
public func thrownError<E: Error>(_ type: E.Type, other: (String) -> E, _ body: () async throws -> Void) async -> E? {
    do {
        try await body()
        return nil
    } catch let error as E {
        return error
    } catch {
        return other("unexpected \(error)")
    }
}
