import Foundation
import JSON
import Locking

/// Where an object lives within its resource.
struct ObjectKey: Hashable, Comparable, Sendable {
    let namespace: String
    let name: String

    static func < (a: ObjectKey, b: ObjectKey) -> Bool { (a.namespace, a.name) < (b.namespace, b.name) }
}

/// One committed change, kept in a bounded history so that watches can resume from a resourceVersion.
struct StoredEvent: Sendable {
    let revision: Int
    let type: String  // ADDED, MODIFIED, DELETED
    let storageKey: String
    let object: JSONObject
    let previous: JSONObject?
}

/// The emulator's etcd: every object of every resource, one global revision counter (the
/// resourceVersion), a bounded event history, and the open watches. All changes happen under one
/// lock, so revisions, history and watch delivery agree on a single order.
final class ObjectStore: Sendable {
    struct State {
        var revision = 1
        var objects: [String: [ObjectKey: JSONObject]] = [:]
        var history: [StoredEvent] = []
        /// Events up to this revision are gone; a watch must start at or after it.
        var compactedThrough = 1
        var watchers: [Int: WatchSubscription] = [:]
        var nextWatcherID = 1
    }

    private let state = Locked(State())
    let historyLimit: Int
    /// Called (under the store lock, so it must only signal) with the storage key of every change.
    private let changeObserver = Locked<(@Sendable (String) -> Void)?>(nil)

    init(historyLimit: Int = 10_000) {
        self.historyLimit = historyLimit
    }

    /// Registers the one observer of changes (the fake kubelet).
    func observeChanges(_ observer: @escaping @Sendable (String) -> Void) {
        changeObserver.withLock { $0 = observer }
    }

    var revision: Int { state.withLock { $0.revision } }

    // MARK: Reads

    func get(_ type: ResourceType, namespace: String, name: String) throws(APIError) -> JSONObject {
        guard let object = state.withLock({ $0.objects[type.storageKey]?[ObjectKey(namespace: namespace, name: name)] }) else {
            throw APIError.notFound(type, name)
        }
        return object
    }

    /// Matching objects in key order from `after` on, at most `limit` (0: all), with the revision read at.
    func list(_ type: ResourceType, namespace: String?, labels: LabelSelector, fields: FieldSelector,
              after: ObjectKey?, limit: Int) -> (items: [JSONObject], revision: Int, last: ObjectKey?, remaining: Int) {
        state.withLock { s in
            let all = (s.objects[type.storageKey] ?? [:]).filter { key, object in
                (namespace == nil || key.namespace == namespace) && (after.map { key > $0 } ?? true)
                    && labels.matches(object) && fields.matches(object)
            }.sorted { $0.key < $1.key }
            let page = limit > 0 ? Array(all.prefix(limit)) : all
            return (page.map(\.value), s.revision, page.last?.key, all.count - page.count)
        }
    }

    /// Every object of every resource (for garbage collection and the fake kubelet).
    func allObjects() -> [(storageKey: String, key: ObjectKey, object: JSONObject)] {
        state.withLock { s in s.objects.flatMap { storage, objects in objects.map { (storage, $0.key, $0.value) } } }
    }

    // MARK: Writes

    /// Creates `object` (metadata already prepared by the caller, except the resourceVersion). A dry
    /// run checks for a clash and answers the object unstored, without a resourceVersion.
    func create(_ type: ResourceType, _ object: JSONObject, dryRun: Bool = false) throws(APIError) -> JSONObject {
        let key = Self.key(of: object)
        return try state.withLock { s throws(APIError) -> JSONObject in
            if s.objects[type.storageKey]?[key] != nil { throw APIError.alreadyExists(type, key.name) }
            if dryRun { return object }
            return commit(&s, type, key, new: object, old: nil)
        }
    }

    /// Reads the current object and writes what `change` makes of it, atomically. `change` throws to
    /// refuse (a conflict, a failed patch test). A result equal to the current object writes nothing and
    /// keeps the resourceVersion, as the API server does for no-op updates. A dry run stores nothing:
    /// it answers what `change` made (with the current resourceVersion), or the current object when
    /// the change would delete it.
    func update(_ type: ResourceType, namespace: String, name: String, dryRun: Bool = false,
                _ change: (JSONObject) throws(APIError) -> JSONObject?) throws(APIError) -> (object: JSONObject, deleted: Bool) {
        let key = ObjectKey(namespace: namespace, name: name)
        return try state.withLock { s throws(APIError) -> (JSONObject, Bool) in
            guard let current = s.objects[type.storageKey]?[key] else { throw APIError.notFound(type, name) }
            guard let changed = try change(current) else {
                // Deleted by the change (finalizers cleared on an object being deleted).
                if dryRun { return (current, true) }
                return (commit(&s, type, key, new: nil, old: current), true)
            }
            if changed == current || dryRun { return (changed, false) }
            return (commit(&s, type, key, new: changed, old: current), false)
        }
    }

    /// Removes an object now; its last state is returned with the deletion's revision (a dry run
    /// answers it as stored and removes nothing).
    func remove(_ type: ResourceType, namespace: String, name: String, dryRun: Bool = false) throws(APIError) -> JSONObject {
        let key = ObjectKey(namespace: namespace, name: name)
        return try state.withLock { s throws(APIError) -> JSONObject in
            guard let current = s.objects[type.storageKey]?[key] else { throw APIError.notFound(type, name) }
            if dryRun { return current }
            return commit(&s, type, key, new: nil, old: current)
        }
    }

    /// Stores the change under the next revision, records it, and hands it to the matching watches.
    private func commit(_ s: inout State, _ type: ResourceType, _ key: ObjectKey, new: JSONObject?, old: JSONObject?) -> JSONObject {
        s.revision += 1
        var stamped = new ?? old ?? JSONObject()
        var metadata = stamped["metadata"]?.objectValue ?? JSONObject()
        metadata["resourceVersion"] = .string(String(s.revision))
        stamped["metadata"] = .object(metadata)
        if new != nil {
            s.objects[type.storageKey, default: [:]][key] = stamped
        } else {
            s.objects[type.storageKey]?[key] = nil
        }
        let eventType = old == nil ? "ADDED" : new == nil ? "DELETED" : "MODIFIED"
        let event = StoredEvent(revision: s.revision, type: eventType, storageKey: type.storageKey, object: stamped, previous: old)
        s.history.append(event)
        if s.history.count > historyLimit {
            let dropped = s.history.count - historyLimit
            s.compactedThrough = s.history[dropped - 1].revision
            s.history.removeFirst(dropped)
        }
        for watcher in s.watchers.values where watcher.type.storageKey == type.storageKey {
            Self.deliver(event, to: watcher)
        }
        changeObserver.withLock { $0 }?(type.storageKey)
        return stamped
    }

    /// Sends `event` to `watcher` as the watcher's filter sees it: an object that starts or stops
    /// matching arrives as ADDED or DELETED, as from the API server's watch cache.
    private static func deliver(_ event: StoredEvent, to watcher: WatchSubscription) {
        let now = event.type != "DELETED" && watcher.matches(event.object)
        let before = event.previous.map(watcher.matches) ?? false
        switch (event.type, before, now) {
        case ("ADDED", _, true): watcher.push(.event(type: "ADDED", object: event.object))
        case ("MODIFIED", true, true): watcher.push(.event(type: "MODIFIED", object: event.object))
        case ("MODIFIED", false, true): watcher.push(.event(type: "ADDED", object: event.object))
        case ("MODIFIED", true, false): watcher.push(.event(type: "DELETED", object: event.object))
        case ("DELETED", true, _): watcher.push(.event(type: "DELETED", object: event.object))
        default: break
        }
    }

    // MARK: Watches

    /// Where a watch starts.
    enum WatchStart: Sendable {
        /// Changes from now on only.
        case now
        /// Every change after this resourceVersion (410 Expired when the history no longer reaches it).
        case after(Int)
        /// The current objects as ADDED (in key order), then, with `endBookmark`, a BOOKMARK marking
        /// the end of the initial events at the revision they were read at, then changes after it.
        case currentState(endBookmark: Bool)
    }

    /// Opens a watch: its first items are queued under the store lock, with the watcher registered
    /// in the same step, so no change falls between the initial events and the live ones.
    func watch(_ type: ResourceType, namespace: String?, labels: LabelSelector, fields: FieldSelector,
               start: WatchStart) throws(APIError) -> WatchSubscription {
        try state.withLock { s throws(APIError) -> WatchSubscription in
            let watcher = WatchSubscription(id: s.nextWatcherID, type: type, namespace: namespace, labels: labels, fields: fields)
            s.nextWatcherID += 1
            switch start {
            case .now:
                break
            case .after(let from):
                guard from >= s.compactedThrough else { throw APIError.expired(requested: from, oldest: s.compactedThrough) }
                for event in s.history where event.revision > from && event.storageKey == type.storageKey {
                    Self.deliver(event, to: watcher)
                }
            case .currentState(let endBookmark):
                for (_, object) in (s.objects[type.storageKey] ?? [:]).sorted(by: { $0.key < $1.key }) where watcher.matches(object) {
                    watcher.push(.event(type: "ADDED", object: object))
                }
                if endBookmark { watcher.push(.initialEventsEnd(revision: s.revision)) }
            }
            s.watchers[watcher.id] = watcher
            return watcher
        }
    }

    func endWatch(_ watcher: WatchSubscription) {
        _ = state.withLock { $0.watchers.removeValue(forKey: watcher.id) }
    }

    /// Queues a BOOKMARK at the current revision behind whatever the watcher has not yet sent.
    func bookmark(_ watcher: WatchSubscription) {
        state.withLock { s in watcher.push(.bookmark(revision: s.revision)) }
    }

    var watchCount: Int { state.withLock { $0.watchers.count } }

    /// Ends the open watches of one resource cleanly (its CustomResourceDefinition is gone).
    func endWatches(storageKey: String) {
        state.withLock { s in
            for (id, watcher) in s.watchers where watcher.type.storageKey == storageKey {
                watcher.push(.close)
                s.watchers[id] = nil
            }
        }
    }

    // MARK: Test controls

    /// How open watches end when the history is forgotten.
    enum OpenWatchEnding {
        /// An ERROR event with a 410 Status, then the end: the real server's answer to a watcher whose
        /// position its watch cache no longer holds.
        case expiredError
        /// The stream just ends, as when the API server restarts: the client resumes from the
        /// resourceVersion it had, which the new watch cache no longer reaches.
        case cleanly
    }

    /// Forgets the event history up to now, so a watch from an older resourceVersion is expired,
    /// and ends every open watch as `ending` says. One step under the lock: no watch can resume in between.
    func compact(ending: OpenWatchEnding) {
        state.withLock { s in
            s.compactedThrough = s.revision
            s.history.removeAll()
            for watcher in s.watchers.values {
                switch ending {
                case .expiredError:
                    watcher.push(.error(APIError(code: 410, reason: "Expired", message: "too old resource version: \(s.revision - 1) (\(s.revision))")))
                case .cleanly:
                    watcher.push(.close)
                }
            }
            s.watchers.removeAll()
        }
    }

    /// Ends every open watch stream cleanly (the client sees the stream close and must re-watch).
    func dropWatches() {
        state.withLock { s in
            for watcher in s.watchers.values { watcher.push(.close) }
            s.watchers.removeAll()
        }
    }

    static func key(of object: JSONObject) -> ObjectKey {
        ObjectKey(namespace: object["metadata"]?["namespace"]?.stringValue ?? "", name: object["metadata"]?["name"]?.stringValue ?? "")
    }
}
