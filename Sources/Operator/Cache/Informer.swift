import Autoscaling
import Foundation
import JSON
import Kube
import Locking

/// A change an informer saw, after its cache took it in.
public enum InformerEvent: Sendable {
    case added(JSONValue)
    case updated(old: JSONValue, new: JSONValue)
    case deleted(JSONValue)

    /// The object as it is now (as it was, for a deletion).
    public var object: JSONValue {
        switch self {
        case .added(let o), .deleted(let o): return o
        case .updated(_, let new): return new
        }
    }
}

/// List-then-watch of one resource into an in-memory cache by namespace and name, as client-go's
/// reflector and informer do: the first list starts the cache (``hasSynced``), a watch keeps it
/// current from the list's resourceVersion (bookmarks requested; a stream the server ends, or a
/// silent one, resumed from the last resourceVersion seen), a 410 relists (the differences reach the
/// handlers as events). Every failure waits (``ReflectorBackoff``: 800 ms → 30 s, reset after 2
/// minutes, at least the server's `Retry-After`), and so does every relist, 410s included, so a
/// server that keeps answering 410 is not asked in a loop. Every failure is said: a log line
/// (resource, verb, status, the API server's message; repeats rate-limited, not silenced), a count
/// per verb and reason (``failureCounts``), and, while the cache has not synced, ``lastFailure``
/// names what keeps it from syncing.
public final class Informer: Sendable {
    /// What it lists and watches.
    public let resource: ResourceRef
    /// What its metrics call it: the resource's plural, unless two informers watch one resource
    /// (`elasticinferencepools-all`: every pool, trimmed, beside a shard's own).
    public let name: String
    let client: KubeClient
    let namespace: String?
    let labelSelector: String?
    /// Applied to each object before it is cached (pods keep only what the scrape needs).
    let transform: (@Sendable (JSONValue) -> JSONValue)?
    /// Which objects the cache keeps (nil: every one): evaluated on each listed or watched object
    /// against what is needed at that moment; an object it turns away is not cached (one cached
    /// before is dropped, and reaches the handlers as a deletion). When more becomes needed, call
    /// ``relist()``: an object turned away earlier comes back only with a list.
    let admits: (@Sendable (JSONValue) -> Bool)?
    /// For a resource that may not be served (a CRD that is not installed, such as KEDA's): while
    /// its list answers 404 the cache is empty and counts as synced, and the list is tried again
    /// after this long (real time). Nil: a 404 is a failure like any other, retried with backoff.
    let absentRelistInterval: Duration?
    /// The objects and the indexes over them, changed together under one lock.
    private let cache: Locked<Store>
    private let synced = Locked(false)
    private let handlers = Locked<[@Sendable (InformerEvent) -> Void]>([])
    private let restarts = Locked(0)
    private let task = Locked<Task<Void, Never>?>(nil)
    /// Relists asked for and relists done (a relist serves every request made before its list was
    /// filtered), and the running watch, which a request ends.
    /// `absent`: the resource answered 404 (not served): nothing to list, a request is served at once.
    private let relists = Locked<(requested: Int, served: Int, watch: Task<ReflectorBackoff, Never>?, absent: Bool)>((0, 0, nil, false))
    /// Failures by verb and reason, the latest one, and whether one is still unresolved.
    private let failures = Locked<(counts: [FailureKey: Int], last: ListWatchFailure?, failing: Bool)>(([:], nil, false))
    /// Its log lines (nil: none).
    let log: Logger?
    /// Repeated failure lines held back (30 s).
    let repeats = RepeatedLineLimiter()
    /// Monotonic time for the backoff's reset (the waits are in real time: they are the network's).
    let clock = SystemClock()

    /// The series of ``failureCounts``: `list` or `watch`, and the failure's reason.
    public struct FailureKey: Hashable, Sendable, Comparable {
        /// `list` or `watch`.
        public let verb: String
        /// `Forbidden`, `NotFound`, `Gone`, `InternalError`, `ConnectionFailed`, …
        public let reason: String
        public static func < (a: FailureKey, b: FailureKey) -> Bool { (a.verb, a.reason) < (b.verb, b.reason) }
    }

    /// An informer of `resource` in `namespace` (nil: all), optionally by label; `transform` trims
    /// each object before it is cached; failures are logged to `log`. Nothing happens until ``start()``.
    /// `absentRelistInterval`: set it for a resource that may not be served (see the property).
    /// `admits`: which objects the cache keeps (see the property). `name`: see the property.
    public init(client: KubeClient, resource: ResourceRef, namespace: String? = nil, labelSelector: String? = nil,
                transform: (@Sendable (JSONValue) -> JSONValue)? = nil, admits: (@Sendable (JSONValue) -> Bool)? = nil,
                absentRelistInterval: Duration? = nil, name: String? = nil, indexes: [ObjectIndex] = [], log: Logger? = nil) {
        cache = Locked(Store(indexes: indexes))
        self.client = client
        self.resource = resource
        self.name = name ?? resource.plural
        self.namespace = namespace
        self.labelSelector = labelSelector
        self.transform = transform
        self.admits = admits
        self.absentRelistInterval = absentRelistInterval
        self.log = log
    }


    /// Called, in order, for every change (on the informer's task: keep it short; enqueue work).
    public func addHandler(_ handler: @escaping @Sendable (InformerEvent) -> Void) {
        handlers.withLock { $0.append(handler) }
    }

    /// The first list is in the cache.
    public var hasSynced: Bool { synced.withLock { $0 } }
    /// Watches restarted, for whatever reason: the server ended the stream, it failed, or it
    /// answered 410 (for the operator's metrics).
    public var watchRestarts: Int { restarts.withLock { $0 } }
    /// Failed lists and watches, by verb and reason (for the operator's metrics).
    public var failureCounts: [FailureKey: Int] { failures.withLock { $0.counts } }
    /// The latest failure while it is unresolved (nil once a list or watch succeeds again): what
    /// keeps the cache from syncing, or from staying current.
    public var lastFailure: ListWatchFailure? { failures.withLock { $0.failing ? $0.last : nil } }
    /// The cache is synced and its watch is up: it shows the cluster as it is (give or take the
    /// events on their way). False from a failed list or watch until a list or a watch succeeds
    /// again: a cache that missed an outage must not decide writes.
    /// A relist asked for by ``relist()`` has not yet been filtered into the cache, so an object now
    /// needed may be missing from it: the cache cannot say "not found".
    public var isRelisting: Bool { relists.withLock { $0.requested > $0.served } }
    public var isCurrent: Bool { hasSynced && lastFailure == nil && !isRelisting }

    /// The cached object, nil when there is none.
    public func get(namespace: String?, name: String) -> JSONValue? {
        cache.withLock { $0.objects[namespace ?? ""]?[name] }
    }

    /// Whether it keeps the index called `name` (given at init).
    public func hasIndex(_ name: String) -> Bool { cache.withLock { $0.indexes[name] != nil } }

    /// The cached objects of `namespace` found under `value` in the index `index` (client-go's
    /// `ByIndex`); none for an index it does not keep.
    public func objects(namespace: String, index: String, value: String) -> [JSONValue] {
        cache.withLock { store in
            (store.indexed[index]?[value] ?? []).compactMap { key in key.namespace == namespace ? store.objects[namespace]?[key.name] : nil }
        }
    }

    /// The cached object of a key ("" namespace: a cluster-scoped object).
    public func get(_ key: ObjectKey) -> JSONValue? { get(namespace: key.namespace, name: key.name) }

    /// The cached objects, of one namespace or all.
    public func list(namespace: String? = nil) -> [JSONValue] {
        cache.withLock { store in
            guard let namespace else { return store.objects.values.flatMap(\.values) }
            return store.objects[namespace].map { Array($0.values) } ?? []
        }
    }


    /// Starts listing and watching (once; later calls do nothing).
    public func start() {
        task.withLock { t in
            guard t == nil else { return }
            t = Task { await self.run() }
        }
    }

    /// Stops watching; the cache keeps what it has.
    public func stop() {
        task.withLock { $0?.cancel() }
    }

    /// Lists again soon (ending the watch), for objects ``admits`` now takes that it turned away
    /// before. Requests made while one is on its way are served by one list. Until it is in, the
    /// cache is not current (``isRelisting``).
    public func relist() {
        let watch = relists.withLock { r -> Task<ReflectorBackoff, Never>? in
            r.requested += 1
            if r.absent { r.served = r.requested }
            return r.watch
        }
        watch?.cancel()
    }

    private func run() async {
        var backoff = ReflectorBackoff()
        while !Task.isCancelled {
            // List: the whole state; the cache is synced once the first list is in.
            let list: ObjectList
            do throws(KubeError) {
                list = try await client.list(resource, namespace: namespace, labelSelector: labelSelector)
            } catch where error.kind == .notFound && absentRelistInterval != nil {
                // Not served (yet): no objects of it exist, which is what a synced empty cache says
                // (and all a relist could find).
                relists.withLock { r in
                    r.absent = true
                    r.served = r.requested
                }
                replace(with: [])
                synced.withLock { $0 = true }
                recovered()
                try? await Task.sleep(for: absentRelistInterval ?? .seconds(60))
                continue
            } catch {
                if Task.isCancelled { return }
                failed(.list, error)
                await pause(backoff.next(at: clock.monotonicNow(), after: error))
                continue
            }
            // The relists asked for so far are served by this one (it is filtered from now on).
            let serving = relists.withLock { r in
                r.absent = false
                return r.requested
            }
            replace(with: transform.map { list.items.map($0) } ?? list.items)
            synced.withLock { $0 = true }
            recovered()
            // Served once the handlers have seen it (they may ask another cache for more).
            relists.withLock { $0.served = max($0.served, serving) }
            // Watch from the list's resourceVersion; a stream that ends or breaks is resumed from
            // the last resourceVersion seen, so no change is missed or seen twice. A relist request ends it.
            let watching = relists.withLock { r -> Task<ReflectorBackoff, Never>? in
                guard r.requested <= serving else { return nil }
                let task = Task { [backoff] in
                    var backoff = backoff
                    await self.watch(from: list.resourceVersion, backoff: &backoff)
                    return backoff
                }
                r.watch = task
                return task
            }
            if let watching {
                backoff = await withTaskCancellationHandler { await watching.value } onCancel: { watching.cancel() }
                relists.withLock { $0.watch = nil }
            }
            if Task.isCancelled { return }
            // Asked for: list again at once.
            if relists.withLock({ $0.requested > $0.served }) { continue }
            // Every relist waits its turn, a 410's too (the reflector's sliding backoff).
            await pause(backoff.next(at: clock.monotonicNow()))
        }
    }

    /// Watches until the watch must be given up for a relist (a 410, or a failure a resumed watch
    /// cannot get past: 401, 403, 404, …) or the task is cancelled.
    private func watch(from resourceVersion: String, backoff: inout ReflectorBackoff) async {
        var last = resourceVersion
        while !Task.isCancelled {
            var delivered = false
            do {
                // The server's own timeout, 5–10 minutes, as client-go picks it.
                // Once the server answers, the cache is current again (the events since `last` follow).
                for try await event in client.watch(resource, namespace: namespace, resourceVersion: last, labelSelector: labelSelector,
                                                    timeoutSeconds: Int.random(in: 300...600), onOpen: { self.recovered() }) {
                    if let rv = event.resourceVersion { last = rv }
                    apply(event)
                    delivered = true
                }
                if Task.isCancelled { return }
                // The server ended the stream (its timeout, a restart): resume at once.
                restarts.withLock { $0 += 1 }
                log?.debug("watch ended by the server; resuming", [("resource", resource.description), ("resourceVersion", last)])
            } catch {
                if Task.isCancelled { return }
                let error = error as? KubeError ?? KubeError(.transport, "\(error)")
                restarts.withLock { $0 += 1 }
                failed(.watch, error)
                guard error.kind != .gone else { return }  // too old: relist
                guard error.isRetryable || error.kind == .transport || error.kind == .malformedResponse else { return }
                // A stream that carried events and then broke (a dropped connection) starts the
                // waits over; one that broke before any event backs off further.
                if delivered { backoff.reset() }
                await pause(backoff.next(at: clock.monotonicNow(), after: error))
            }
        }
    }

    /// Counts and says one failure: its log line (rate-limited), its count, and what it means.
    private func failed(_ verb: ListWatchFailure.Verb, _ error: KubeError) {
        let failure = ListWatchFailure(resource: resource, verb: verb, error: error)
        failures.withLock { f in
            f.counts[FailureKey(verb: verb.rawValue, reason: failure.reason), default: 0] += 1
            f.last = failure
            f.failing = true
        }
        guard let log, let held = repeats.admit("\(verb)|\(failure.reason)|\(failure.statusCode ?? 0)|\(failure.message)") else { return }
        var fields = failure.logFields
        if held > 0 { fields.append(("repeated", held)) }
        if error.kind == .gone {
            // Expected now and then (the server's history is compacted): a relist follows.
            log.info("watch expired; relisting", fields)
        } else if failure.isPersistent {
            log.error("\(verb) failed", fields + (hasSynced ? [] : [("missing", failure.diagnosis)]))
        } else {
            log.warning("\(verb) failed", fields)
        }
    }

    /// A list or watch went through after failures: say so once, and forget them.
    private func recovered() {
        let after = failures.withLock { f -> ListWatchFailure? in
            defer { f.failing = false }
            return f.failing ? f.last : nil
        }
        guard let after, after.reason != KubeError.Kind.gone.description else { return }
        repeats.reset()
        log?.info("list and watch recovered", [("resource", resource.description), ("after", after.reason)])
    }

    /// Waits in real time, whatever the controller's clock: a list or watch failure is the network's.
    private func pause(_ delay: Duration) async {
        try? await Task.sleep(for: delay)
    }

    private func apply(_ event: WatchEvent) {
        let object = transform?(event.object) ?? event.object
        let key = ObjectKey(of: object)
        let admitted = admits?(object) ?? true
        let change: InformerEvent?
        switch event.type {
        case .bookmark:
            change = nil
        case .added where !admitted, .modified where !admitted:
            // Not needed (or no longer): not cached; one cached before goes.
            let old = cache.withLock { $0.remove(key) }
            change = old.map { .deleted($0) }
        case .added, .modified:
            let old = cache.withLock { $0.put(object, at: key) }
            change = old.map { .updated(old: $0, new: object) } ?? .added(object)
        case .deleted:
            let old = cache.withLock { $0.remove(key) }
            change = .deleted(old ?? object)
        }
        if let change { notify(change) }
    }

    /// A fresh list replaces the cache; what differs reaches the handlers.
    private func replace(with items: [JSONValue]) {
        var changes: [InformerEvent] = []
        cache.withLock { store in
            var next = Store(indexes: store.indexes)
            for item in items where admits?(item) ?? true {
                let key = ObjectKey(of: item)
                next.put(item, at: key)
                if let old = store.objects[key.namespace]?[key.name] {
                    if old["metadata"]?["resourceVersion"] != item["metadata"]?["resourceVersion"] { changes.append(.updated(old: old, new: item)) }
                } else {
                    changes.append(.added(item))
                }
            }
            for (namespace, objects) in store.objects {
                for (name, old) in objects where next.objects[namespace]?[name] == nil { changes.append(.deleted(old)) }
            }
            store = next
        }
        changes.forEach(notify)
    }

    /// What a pod keeps in the cache: its name, labels and readiness, and its IP: a pod object is
    /// 5–20 KB, and a cluster-wide pod cache of whole objects would dwarf the rest of the operator.
    public static let podEssentials: @Sendable (JSONValue) -> JSONValue = { pod in
        var metadata = JSONObject()
        for key in ["name", "namespace", "uid", "resourceVersion", "labels", "deletionTimestamp"] {
            if let value = pod["metadata"]?[key] { metadata[key] = value }
        }
        var status = JSONObject()
        if let ip = pod["status"]?["podIP"] { status["podIP"] = ip }
        if let phase = pod["status"]?["phase"] { status["phase"] = phase }
        if let conditions = pod["status"]?["conditions"]?.arrayValue {
            status["conditions"] = .array(conditions.map { ["type": $0["type"] ?? .null, "status": $0["status"] ?? .null] })
        }
        return ["apiVersion": "v1", "kind": "Pod", "metadata": .object(metadata), "status": .object(status)]
    }

    /// What a pool keeps in the cache of every pool (``PoolController/allPools``): what the claim
    /// check reads (name, age, deletion, target), about 300 bytes where a whole pool is a few KB.
    public static let poolClaimEssentials: @Sendable (JSONValue) -> JSONValue = { pool in
        var metadata = JSONObject()
        for key in ["name", "namespace", "uid", "resourceVersion", "generation", "creationTimestamp", "deletionTimestamp", "labels"] {
            if let value = pool["metadata"]?[key] { metadata[key] = value }
        }
        var spec = JSONObject()
        for key in ["targetRef", "modelRef"] {
            if let value = pool["spec"]?[key] { spec[key] = value }
        }
        return ["apiVersion": pool["apiVersion"] ?? .null, "kind": pool["kind"] ?? .null, "metadata": .object(metadata), "spec": .object(spec)]
    }

    private func notify(_ change: InformerEvent) {
        for handler in handlers.withLock({ $0 }) { handler(change) }
    }
}

/// An informer's cache: its objects by namespace ("" for cluster-scoped objects), then name (a
/// reconcile lists its own namespace's objects without walking every other namespace's pods), and
/// each index's keys by value (client-go's `threadSafeMap` with its `Indexers`), kept in step.
private struct Store {
    var objects: [String: [String: JSONValue]] = [:]
    let indexes: [String: ObjectIndex]
    var indexed: [String: [String: Set<ObjectKey>]] = [:]

    init(indexes: [ObjectIndex]) {
        self.indexes = Dictionary(indexes.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
    }

    init(indexes: [String: ObjectIndex]) { self.indexes = indexes }

    /// Caches `object` at `key`; the object it replaces, if any.
    mutating func put(_ object: JSONValue, at key: ObjectKey) -> JSONValue? {
        let old = objects[key.namespace]?[key.name]
        if let old { unindex(old, key) }
        objects[key.namespace, default: [:]][key.name] = object
        for (name, index) in indexes {
            for value in index.values(object) { indexed[name, default: [:]][value, default: []].insert(key) }
        }
        return old
    }

    /// Drops the object at `key`; it, if there was one.
    mutating func remove(_ key: ObjectKey) -> JSONValue? {
        guard let old = objects[key.namespace]?.removeValue(forKey: key.name) else { return nil }
        if objects[key.namespace]?.isEmpty == true { objects[key.namespace] = nil }
        unindex(old, key)
        return old
    }

    private mutating func unindex(_ object: JSONValue, _ key: ObjectKey) {
        for (name, index) in indexes {
            for value in index.values(object) {
                indexed[name]?[value]?.remove(key)
                if indexed[name]?[value]?.isEmpty == true { indexed[name]?[value] = nil }
            }
        }
    }
}

/// Reads from the informers' caches: the operator's ``ObjectReader``, one informer per resource.
/// A resource without an informer (the workloads of other kinds than Deployments, their `scale`
/// subresources, discovery) is read from the API server through `uncached`, when given, as HPA
/// reads a `Scale` on each sync; else it reads as empty.
public struct CacheReader: ObjectReader {
    let informers: [ResourceRef: Informer]
    /// Informers whose caches answer ``objects(_:namespace:)`` for their resource in place of
    /// those of `informers` (every pool, trimmed, behind a pool cache a selector narrows).
    let lists: [ResourceRef: Informer]
    let uncached: KubeClient?
    /// Kinds already found by discovery: a kind's resource does not move while the operator runs
    /// (a kind not found is asked about again, at the next poll, as client-go's REST mapper does on a miss).
    private let kinds = Locked<[WorkloadKind: ScalableResource]>([:])

    /// A reader over `informers`, one per resource; `uncached` reads the rest; `lists` answer
    /// the lists of their resources (see the property).
    public init(_ informers: [Informer], uncached: KubeClient? = nil, lists: [Informer] = []) {
        self.informers = Dictionary(informers.map { ($0.resource, $0) }, uniquingKeysWith: { first, _ in first })
        self.lists = Dictionary(lists.map { ($0.resource, $0) }, uniquingKeysWith: { first, _ in first })
        self.uncached = uncached
    }

    /// The cached object, or the API server's for a resource without an informer.
    public func object(_ resource: ResourceRef, _ key: ObjectKey) async throws(KubeError) -> JSONValue? {
        if let informer = informers[resource] { return informer.get(key) }
        return try await uncached?.object(resource, key)
    }

    /// The cached objects of a namespace (none for a resource without an informer).
    public func objects(_ resource: ResourceRef, namespace: String) async throws(KubeError) -> [JSONValue] {
        (lists[resource] ?? informers[resource])?.list(namespace: namespace) ?? []
    }

    /// The cached objects of a namespace an index finds: a lookup when the informer keeps the
    /// index, else its list filtered.
    public func objects(_ resource: ResourceRef, namespace: String, indexedBy index: ObjectIndex, value: String) async throws(KubeError) -> [JSONValue] {
        guard let informer = lists[resource] ?? informers[resource] else { return [] }
        guard informer.hasIndex(index.name) else { return informer.list(namespace: namespace).filter { index.values($0).contains(value) } }
        return informer.objects(namespace: namespace, index: index.name, value: value)
    }

    /// The `Scale`, from the API server.
    public func scale(_ resource: ResourceRef, _ key: ObjectKey) async throws(KubeError) -> JSONValue? {
        try await uncached?.scale(resource, key)
    }

    /// The kind's resource, by discovery once, then from memory.
    public func resource(for kind: WorkloadKind) async throws(KubeError) -> ScalableResource? {
        if let known = kinds.withLock({ $0[kind] }) { return known }
        guard let found = try await uncached?.resource(for: kind) else { return nil }
        kinds.withLock { $0[kind] = found }
        return found
    }
}
