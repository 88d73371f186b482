import Autoscaling
import JSON
import Kube
import Locking

/// The writes of one reconcile, decided together from the same reads: what some of them write does
/// not hold back the others (a finalizer added, then status written, on the same pool).
public struct WriteScope: Sendable, Hashable {
    let id: UInt64
}

/// An object the executor wrote: its resource and key (a pool and its Deployment often share a name).
public struct WrittenObject: Sendable, Hashable {
    public let resource: ResourceRef
    public let key: ObjectKey

    public init(resource: ResourceRef, key: ObjectKey) {
        self.resource = resource
        self.key = key
    }

    /// The object `intent` writes.
    init(_ intent: WriteIntent) { self.init(resource: intent.resource, key: intent.object) }
}

/// What the ``WriteExecutor`` remembers of its own writes until the informers' caches show them,
/// so that nothing is decided twice from a cache that lags: client-go's mutation cache
/// (`tools/cache/mutation_cache.go`: integer resourceVersions compared, entries kept 5 minutes) and
/// kube-controller-manager's expectations (`ExpectationsTimeout`, 5 minutes), for our writes.
///
/// Per object written it keeps the version the write replaced and the one it produced; an intent
/// decided from an older version than the one produced (the cache has not shown our write yet)
/// is held (``heldBack(_:in:)``) until ``settle(_:at:)`` reports a cache that shows it.
/// resourceVersions are compared as integers, as that cache compares them (etcd's revisions); a
/// server with other versions is compared by equality with the replaced one. A write that failed
/// without a clear answer may have gone through: it is marked unsure (``markUnsure(_:)``), and the
/// executor reads the object live before sending from the same version again.
public final class WriteExpectations: Sendable {
    let clock: any Clock
    /// The last intent applied per kind and object (to tell a repeat from a new intent).
    private let applied = Locked<[Slot: WriteIntent]>([:])
    private struct Slot: Hashable {
        let kind: WriteIntent.Kind
        let object: WrittenObject
    }
    /// Per object written: what our write replaced and produced.
    private let expected = Locked<[WrittenObject: Expectation]>([:])
    /// Per object, the version a write whose outcome is unknown was decided from.
    private let unsure = Locked<[WrittenObject: Basis]>([:])
    private struct Basis { let version: String? }
    private let scopes = Locked<UInt64>(0)
    /// Objects remembered at most; past it the memory starts over (a held intent may then be sent
    /// once from a lagging cache, as before expectations).
    static let memoryLimit = 10_000
    /// How long a write waits for the cache to show it before intents go out anyway (5 min:
    /// kube-controller-manager's `ExpectationsTimeout`, client-go's mutation cache TTL).
    public static let timeout: Duration = .seconds(300)

    /// What one object's last write replaced and produced.
    struct Expectation {
        /// The version the first write of the scope was decided from (nil: the object did not exist).
        let replaced: String?
        /// The version the last write produced (nil: it deleted the object).
        let written: String?
        /// When (monotonic).
        let at: Duration
        /// The reconcile whose writes these were: they do not hold back each other.
        let scope: WriteScope

        /// Whether a cache showing `version` (nil: no object) has not yet seen the write.
        func lags(_ version: String?) -> Bool {
            guard let version else {
                // No object: our create not seen yet; or, after our update or delete, gone: caught up.
                return replaced == nil && written != nil
            }
            if let shown = Int(version), let written = written.flatMap({ Int($0) }) { return shown < written }
            if let shown = Int(version), written == nil, let replaced = replaced.flatMap({ Int($0) }) { return shown <= replaced }
            return version == replaced
        }
    }

    /// An empty memory, timed on `clock`'s monotonic time.
    init(clock: any Clock) { self.clock = clock }

    /// A new scope.
    func scope() -> WriteScope {
        WriteScope(id: scopes.withLock { $0 += 1; return $0 })
    }

    /// Why an intent must wait for the cache (a repeat, or another intent from a version our write
    /// of another scope replaced), or nil when it may go.
    func heldBack(_ intent: WriteIntent, in scope: WriteScope) -> WriteExecutor.Outcome? {
        let now = clock.monotonicNow()
        guard let expectation = expected.withLock({ $0[WrittenObject(intent)] }), expectation.scope != scope, now - expectation.at < Self.timeout,
              expectation.lags(intent.basedOn) else { return nil }
        let last = applied.withLock { $0[Slot(kind: intent.kind, object: WrittenObject(intent))] }
        return last.map(intent.repeats) == true ? .repeated : .awaitingCache
    }

    /// Records what went out, with the executor's answers: per object, the version the scope's
    /// first write to it was decided from, and the version its last write produced.
    func remember(_ written: [(WriteIntent, JSONValue)], in scope: WriteScope) {
        guard !written.isEmpty else { return }
        let now = clock.monotonicNow()
        var versions: [WrittenObject: (replaced: String?, written: String?)] = [:]
        for (intent, answer) in written {
            // A deletion produces no version; every other write answers the object (a Scale carries
            // its Deployment's resourceVersion).
            let produced: String?
            if case .prePull(_, .delete, _) = intent { produced = nil } else { produced = answer["metadata"]?["resourceVersion"]?.stringValue }
            versions[WrittenObject(intent)] = (versions[WrittenObject(intent)].map { $0.replaced } ?? intent.basedOn, produced)
        }
        applied.withLock { memory in
            if memory.count >= Self.memoryLimit { memory.removeAll() }
            for (intent, _) in written { memory[Slot(kind: intent.kind, object: WrittenObject(intent))] = intent }
        }
        expected.withLock { memory in
            if memory.count >= Self.memoryLimit { memory.removeAll() }
            for (object, v) in versions {
                // A scope's earlier write to the same object keeps the version it replaced.
                let replaced = memory[object].flatMap { $0.scope == scope ? .some($0.replaced) : nil } ?? v.replaced
                memory[object] = Expectation(replaced: replaced, written: v.written, at: now, scope: scope)
            }
        }
    }

    /// The cache shows `object` at `version` (nil: none). Once that is our last write or later, the
    /// cache has caught up: intents decided from it may go, and what was applied from older
    /// versions is forgotten (a steady fleet remembers nothing).
    public func settle(_ object: WrittenObject, at version: String?) {
        let caughtUp = expected.withLock { memory -> Bool in
            guard let expectation = memory[object] else { return true }
            guard !expectation.lags(version) else { return false }
            memory[object] = nil
            return true
        }
        guard caughtUp else { return }
        applied.withLock { memory in
            for kind in WriteIntent.Kind.allCases {
                let slot = Slot(kind: kind, object: object)
                if let last = memory[slot], last.basedOn != version { memory[slot] = nil }
            }
        }
    }

    /// A write of `intent` failed without a clear answer: it may have been applied.
    func markUnsure(_ intent: WriteIntent) {
        unsure.withLock { memory in
            if memory.count >= Self.memoryLimit { memory.removeAll() }
            memory[WrittenObject(intent)] = Basis(version: intent.basedOn)
        }
    }

    /// Whether a write to `intent`'s object, decided from the same version, had an unknown outcome.
    func isUnsure(_ intent: WriteIntent) -> Bool {
        unsure.withLock { $0[WrittenObject(intent)] }.map { $0.version == intent.basedOn } ?? false
    }

    /// The object is `live` now (nil: gone). Changed since `intent`'s version: the unsure write (or
    /// another) went through, and intents from that version wait for the cache to show it (true).
    func resolveUnsure(_ intent: WriteIntent, live: String?) -> Bool {
        unsure.withLock { _ = $0.removeValue(forKey: WrittenObject(intent)) }
        guard live != intent.basedOn else { return false }
        let expectation = Expectation(replaced: intent.basedOn, written: live, at: clock.monotonicNow(), scope: scope())
        expected.withLock { $0[WrittenObject(intent)] = expectation }
        return true
    }
}
