#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Locking

/// A child process started with `posix_spawn` directly, for the tests' commands (curl, kubectl,
/// openssl, eipctl …).
///
/// Not Foundation's `Process`: on Linux, Swift 6.3.1's `Process.run()` lists `/proc/self/fd` by
/// copying whole 256-byte `d_name` fields, which reads past glibc's buffer and now and then crashes
/// a test process with many descriptors open (swift-corelibs-foundation #5472, fixed after 6.3.1).
/// Here the child's descriptors above 2 are closed with glibc's `closefrom` file action, its signal
/// mask is emptied and its handlers reset (as a shell starts a command: a test thread may have
/// signals blocked, and `Process` passes that on, so a child could ignore SIGTERM), and it runs in
/// `directory` when one is given.
public final class ChildProcess: @unchecked Sendable {
    /// The child's process id.
    public let pid: pid_t
    /// The write end of its standard input (closed by ``closeInput()``).
    private let input: Int32
    /// The read ends of its standard output and error.
    public let output: FileHandle
    public let errorOutput: FileHandle
    private let status = Locked<Int32?>(nil)

    /// Why a child could not be started.
    public struct SpawnError: Error, CustomStringConvertible {
        public let description: String
    }

    /// Starts `executable` with `arguments`; `environment` as `NAME=value` entries (default: this
    /// process's), in `directory` (default: this process's).
    public init(_ executable: String, _ arguments: [String], environment: [String]? = nil, directory: String? = nil) throws {
        var stdinPipe: [Int32] = [0, 0], stdoutPipe: [Int32] = [0, 0], stderrPipe: [Int32] = [0, 0]
        guard pipe(&stdinPipe) == 0, pipe(&stdoutPipe) == 0, pipe(&stderrPipe) == 0 else {
            throw SpawnError(description: "pipe: \(String(cString: strerror(errno)))")
        }
        // Not inherited by other children started meanwhile (the closefrom action covers this child).
        for fd in stdinPipe + stdoutPipe + stderrPipe { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, stdinPipe[0], 0)
        posix_spawn_file_actions_adddup2(&actions, stdoutPipe[1], 1)
        posix_spawn_file_actions_adddup2(&actions, stderrPipe[1], 2)
        Self.closeFrom?(&actions, 3)
        if let directory, let chdir = Self.changeDirectory { _ = directory.withCString { chdir(&actions, $0) } }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var none = sigset_t(), all = sigset_t()
        sigemptyset(&none)
        sigfillset(&all)
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = (environment ?? ProcessInfo.processInfo.environment.map { "\($0.key)=\($0.value)" }).map { strdup($0) } + [nil]
        defer { (argv + envp).forEach { free($0) } }
        var child: pid_t = 0
        let spawned = posix_spawn(&child, executable, &actions, &attributes, argv, envp)
        for fd in [stdinPipe[0], stdoutPipe[1], stderrPipe[1]] { close(fd) }
        guard spawned == 0 else {
            for fd in [stdinPipe[1], stdoutPipe[0], stderrPipe[0]] { close(fd) }
            throw SpawnError(description: "cannot start \(executable): \(String(cString: strerror(spawned)))")
        }
        pid = child
        input = stdinPipe[1]
        output = FileHandle(fileDescriptor: stdoutPipe[0], closeOnDealloc: true)
        errorOutput = FileHandle(fileDescriptor: stderrPipe[0], closeOnDealloc: true)
    }

    deinit {
        closeInput()
        if isRunning { kill(SIGKILL) }
        _ = wait()
    }

    /// Writes `text` to its standard input, then closes it (on a thread of its own, so that a child
    /// that answers before it has read everything cannot block the caller).
    public func send(_ text: String) {
        let bytes = Array(text.utf8), fd = input
        Thread.detachNewThread { [self] in
            var offset = 0
            while offset < bytes.count {
                let n = bytes[offset...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { break }
                offset += n
            }
            closeInput()
        }
    }

    private let inputClosed = Locked(false)

    /// Closes its standard input (it sees end of file).
    public func closeInput() {
        let first = inputClosed.withLock { c in
            defer { c = true }
            return !c
        }
        if first { close(input) }
    }

    /// Sends `signal`.
    public func kill(_ signal: Int32) { _ = Glibc.kill(pid, signal) }

    /// Whether it has not exited yet (reaps it when it has).
    public var isRunning: Bool {
        if status.withLock({ $0 }) != nil { return false }
        var raw: Int32 = 0
        let reaped = waitpid(pid, &raw, WNOHANG)
        guard reaped == pid else { return reaped == 0 }
        status.withLock { $0 = Self.exitStatus(raw) }
        return false
    }

    /// Waits for it to exit; its exit status (128 + the signal, for a signal, as a shell says it).
    @discardableResult
    public func wait() -> Int32 {
        if let known = status.withLock({ $0 }) { return known }
        var raw: Int32 = 0
        while waitpid(pid, &raw, 0) < 0 {
            if errno != EINTR { return status.withLock { $0 } ?? -1 }
        }
        let code = Self.exitStatus(raw)
        status.withLock { $0 = code }
        return code
    }

    private static func exitStatus(_ raw: Int32) -> Int32 {
        let signal = raw & 0x7f
        return signal == 0 ? (raw >> 8) & 0xff : 128 + signal
    }

    // glibc's file actions that Swift's Glibc module does not import (GNU extensions, glibc ≥ 2.34 and 2.29).
    private typealias CloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
    private typealias ChangeDirectory = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, UnsafePointer<CChar>) -> Int32
    private static let closeFrom: CloseFrom? = {
        dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np").map { unsafeBitCast($0, to: CloseFrom.self) }
    }()
    private static let changeDirectory: ChangeDirectory? = {
        dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addchdir_np").map { unsafeBitCast($0, to: ChangeDirectory.self) }
    }()
}
