import Dispatch
import JSON
import Locking

/// One open watch: the store pushes items under its lock (so they arrive in revision order) and
/// the connection's thread takes them off and writes them.
final class WatchSubscription: Sendable {
    enum Item: Sendable {
        case event(type: String, object: JSONObject)
        case bookmark(revision: Int)
        /// The BOOKMARK that ends a streaming list's initial events (annotated `k8s.io/initial-events-end`).
        case initialEventsEnd(revision: Int)
        /// An `ERROR` event (410 Expired when history was compacted under the watcher), then the end.
        case error(APIError)
        /// The server ends the stream (dropped watches, shutdown).
        case close
    }

    let id: Int
    let type: ResourceType
    let namespace: String?
    let labels: LabelSelector
    let fields: FieldSelector
    private let queue = Locked<[Item]>([])
    private let available = DispatchSemaphore(value: 0)

    init(id: Int, type: ResourceType, namespace: String?, labels: LabelSelector, fields: FieldSelector) {
        self.id = id
        self.type = type
        self.namespace = namespace
        self.labels = labels
        self.fields = fields
    }

    func matches(_ object: JSONObject) -> Bool {
        if let namespace, object["metadata"]?["namespace"]?.stringValue != namespace { return false }
        return labels.matches(object) && fields.matches(object)
    }

    func push(_ item: Item) {
        queue.withLock { $0.append(item) }
        available.signal()
    }

    /// The next item, or nil if none arrives before `deadline`.
    func next(before deadline: DispatchTime) -> Item? {
        guard available.wait(timeout: deadline) == .success else { return nil }
        return queue.withLock { $0.isEmpty ? nil : $0.removeFirst() }
    }
}
