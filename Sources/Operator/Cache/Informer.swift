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
/// reflector and informer do: the first list starts the cache (``hasSynced``), a resuming watch keeps
/// it current from the list's resourceVersion (bookmarks requested, a silent watch restarted, dropped
/// connections resumed), a 410 relists (the differences reach the handlers as events), and other
/// failures back off 800 ms → 30 s.
public final class Informer: Sendable {
    /// What it lists and watches.
    public let resource: ResourceRef
    let client: KubeClient
    let namespace: String?
    let labelSelector: String?
    /// Applied to each object before it is cached (pods keep only what the scrape needs).
    let transform: (@Sendable (JSONValue) -> JSONValue)?
    /// For a resource that may not be served (a CRD that is not installed, such as KEDA's): while
    /// its list answers 404 the cache is empty and counts as synced, and the list is tried again
    /// after this long (real time). Nil: a 404 is a failure like any other, retried with backoff.
    let absentRelistInterval: Duration?
    /// By namespace ("" for cluster-scoped objects), then name: a reconcile lists its own
    /// namespace's objects without walking every other namespace's pods.
    private let cache = Locked<[String: [String: JSONValue]]>([:])
    private let synced = Locked(false)
    private let handlers = Locked<[@Sendable (InformerEvent) -> Void]>([])
    private let restarts = Locked(0)
    private let task = Locked<Task<Void, Never>?>(nil)

    /// An informer of `resource` in `namespace` (nil: all), optionally by label; `transform` trims
    /// each object before it is cached. Nothing happens until ``start()``.
    /// `absentRelistInterval`: set it for a resource that may not be served (see the property).
    public init(client: KubeClient, resource: ResourceRef, namespace: String? = nil, labelSelector: String? = nil,
                transform: (@Sendable (JSONValue) -> JSONValue)? = nil, absentRelistInterval: Duration? = nil) {
        self.client = client
        self.resource = resource
        self.namespace = namespace
        self.labelSelector = labelSelector
        self.transform = transform
        self.absentRelistInterval = absentRelistInterval
    }


    /// Called, in order, for every change (on the informer's task: keep it short; enqueue work).
    public func addHandler(_ handler: @escaping @Sendable (InformerEvent) -> Void) {
        handlers.withLock { $0.append(handler) }
    }

    /// The first list is in the cache.
    public var hasSynced: Bool { synced.withLock { $0 } }
    /// Watches restarted after a failure or a 410 (for the operator's metrics).
    public var watchRestarts: Int { restarts.withLock { $0 } }

    /// The cached object, nil when there is none.
    public func get(namespace: String?, name: String) -> JSONValue? {
        cache.withLock { $0[namespace ?? ""]?[name] }
    }

    /// The cached object of a key ("" namespace: a cluster-scoped object).
    public func get(_ key: ObjectKey) -> JSONValue? { get(namespace: key.namespace, name: key.name) }

    /// The cached objects, of one namespace or all.
    public func list(namespace: String? = nil) -> [JSONValue] {
        cache.withLock { c in
            guard let namespace else { return c.values.flatMap(\.values) }
            return c[namespace].map { Array($0.values) } ?? []
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

    private func run() async {
        var backoff = Backoff()
        while !Task.isCancelled {
            do {
                let list = try await client.list(resource, namespace: namespace, labelSelector: labelSelector)
                replace(with: transform.map { list.items.map($0) } ?? list.items)
                synced.withLock { $0 = true }
                backoff.reset()
                // The server's own timeout, 5–10 minutes, as client-go picks it.
                let events = client.resumingWatch(resource, namespace: namespace, from: list.resourceVersion, labelSelector: labelSelector,
                                                  timeoutSeconds: Int.random(in: 300...600))
                for try await event in events { apply(event) }
            } catch let error as KubeError where error.kind == .notFound && absentRelistInterval != nil {
                // Not served (yet): no objects of it exist, which is what a synced empty cache says.
                replace(with: [])
                synced.withLock { $0 = true }
                try? await Task.sleep(for: absentRelistInterval ?? .seconds(60))
            } catch let error as KubeError where error.kind == .gone {
                restarts.withLock { $0 += 1 }  // relist at once
            } catch {
                if Task.isCancelled { return }
                restarts.withLock { $0 += 1 }
                // Real time whatever the controller's clock: a list or watch failure is the network's.
                try? await Task.sleep(for: backoff.next())
            }
        }
    }

    private func apply(_ event: WatchEvent) {
        let object = transform?(event.object) ?? event.object
        let key = ObjectKey(of: object)
        let (namespace, name) = (key.namespace, key.name)
        let change: InformerEvent?
        switch event.type {
        case .bookmark:
            change = nil
        case .added, .modified:
            let old = cache.withLock { c -> JSONValue? in
                defer { c[namespace, default: [:]][name] = object }
                return c[namespace]?[name]
            }
            change = old.map { .updated(old: $0, new: object) } ?? .added(object)
        case .deleted:
            let old = cache.withLock { c -> JSONValue? in
                defer { if c[namespace]?.isEmpty == true { c[namespace] = nil } }
                return c[namespace]?.removeValue(forKey: name)
            }
            change = .deleted(old ?? object)
        }
        if let change { notify(change) }
    }

    /// A fresh list replaces the cache; what differs reaches the handlers.
    private func replace(with items: [JSONValue]) {
        var changes: [InformerEvent] = []
        cache.withLock { c in
            var next: [String: [String: JSONValue]] = [:]
            for item in items {
                let key = ObjectKey(of: item)
                let (namespace, name) = (key.namespace, key.name)
                next[namespace, default: [:]][name] = item
                if let old = c[namespace]?[name] {
                    if old["metadata"]?["resourceVersion"] != item["metadata"]?["resourceVersion"] { changes.append(.updated(old: old, new: item)) }
                } else {
                    changes.append(.added(item))
                }
            }
            for (namespace, objects) in c {
                for (name, old) in objects where next[namespace]?[name] == nil { changes.append(.deleted(old)) }
            }
            c = next
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

    private func notify(_ change: InformerEvent) {
        for handler in handlers.withLock({ $0 }) { handler(change) }
    }
}

/// Reads from the informers' caches: the operator's ``ObjectReader``, one informer per resource.
/// A resource without an informer reads as empty.
public struct CacheReader: ObjectReader {
    let informers: [ResourceRef: Informer]

    /// A reader over `informers`, one per resource.
    public init(_ informers: [Informer]) {
        self.informers = Dictionary(informers.map { ($0.resource, $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// The cached object; never throws.
    public func object(_ resource: ResourceRef, _ key: ObjectKey) async throws(KubeError) -> JSONValue? {
        informers[resource]?.get(key)
    }

    /// The cached objects of a namespace; never throws.
    public func objects(_ resource: ResourceRef, namespace: String) async throws(KubeError) -> [JSONValue] {
        informers[resource]?.list(namespace: namespace) ?? []
    }
}
