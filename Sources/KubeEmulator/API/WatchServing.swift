import Dispatch
import HTTPKit
import JSON

/// A watch request's options, as the API server reads them (`k8s.io/apimachinery/pkg/apis/meta/internalversion`):
/// `SetListOptionsDefaults` first (with the WatchList feature on, as in current servers: a watch from
/// resourceVersion `""` or `"0"` that names neither `sendInitialEvents` nor `resourceVersionMatch`
/// is a streaming list), then `validateWatchOptions`.
struct WatchRequest {
    let start: ObjectStore.WatchStart
    let bookmarks: Bool
    /// Seconds until the server ends the stream (with a last bookmark when bookmarks are allowed).
    let timeout: Double

    init(_ query: [String: String]) throws(APIError) {
        let resourceVersion = query["resourceVersion"] ?? ""
        var match = query["resourceVersionMatch"] ?? ""
        var sendInitialEvents = try query["sendInitialEvents"].map { value throws(APIError) in try Self.bool(value, "sendInitialEvents") }
        bookmarks = try query["allowWatchBookmarks"].map { value throws(APIError) in try Self.bool(value, "allowWatchBookmarks") } ?? false
        if sendInitialEvents == nil, match.isEmpty, resourceVersion == "" || resourceVersion == "0" {
            sendInitialEvents = true
            match = "NotOlderThan"
        }
        var causes: [APIError.Cause] = []
        if sendInitialEvents != nil, match != "NotOlderThan" {
            causes.append(.init(reason: "FieldValueForbidden", field: "resourceVersionMatch",
                                message: "Forbidden: sendInitialEvents requires setting resourceVersionMatch to NotOlderThan"))
        }
        if !match.isEmpty {
            if sendInitialEvents == nil {
                causes.append(.init(reason: "FieldValueForbidden", field: "resourceVersionMatch",
                                    message: "Forbidden: resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided"))
            }
            if match != "NotOlderThan" {
                causes.append(.init(reason: "FieldValueNotSupported", field: "resourceVersionMatch",
                                    message: "Unsupported value: \"\(match)\": supported values: \"NotOlderThan\""))
            }
            if !(query["continue"] ?? "").isEmpty {
                causes.append(.init(reason: "FieldValueForbidden", field: "resourceVersionMatch",
                                    message: "Forbidden: resourceVersionMatch is forbidden when continue is provided"))
            }
        }
        guard causes.isEmpty else { throw APIError.invalidOptions("ListOptions", causes) }
        var from: Int?
        if resourceVersion != "" && resourceVersion != "0" {
            guard let rv = Int(resourceVersion) else { throw APIError.badRequest("invalid resource version: \(resourceVersion)") }
            from = rv
        }
        if sendInitialEvents == true {
            // The current state, whatever resourceVersion was named (the watch cache first waits until
            // it is at least that fresh), then an end bookmark if bookmarks are allowed (cacher.go).
            start = .currentState(endBookmark: bookmarks)
        } else if let from {
            start = .after(from)
        } else {
            start = .now  // sendInitialEvents=false from "" or "0": changes from now on
        }
        // Without timeoutSeconds the real server picks 30–60 minutes; so do we.
        timeout = Double(query["timeoutSeconds"] ?? "") ?? Double.random(in: 1800...3600)
    }

    /// Go's `strconv.ParseBool`, as query parameters are decoded.
    private static func bool(_ text: String, _ name: String) throws(APIError) -> Bool {
        switch text {
        case "1", "t", "T", "true", "TRUE", "True": return true
        case "0", "f", "F", "false", "FALSE", "False": return false
        default: throw APIError.badRequest("\(name): invalid value \"\(text)\": must be a boolean")
        }
    }
}

extension KubeAPI {
    /// Serves `?watch=true`: one JSON event per chunk, flushed at once; bookmarks when allowed
    /// (periodic, the streaming list's end, and one before a timeout closes the stream). A watch
    /// from a resourceVersion the history no longer holds is answered as `expiredWatchAnswer` says:
    /// by default HTTP 200 and one `ERROR` event with the 410 `Status`, as the watch cache answers it
    /// (`cacher.go`: "once we have … successfully parsed a resource version, other errors must fail
    /// with a watch event of type ERROR"), or HTTP 410.
    func watch(_ type: ResourceType, namespace: String?, _ query: [String: String], _ writer: HTTPResponseWriter,
               asTable columns: [TableConversion.Column]?, onStart: () -> Void) throws(APIError) {
        let labels = try LabelSelector.parse(query["labelSelector"])
        let fields = try FieldSelector.parse(query["fieldSelector"], for: type)
        let options = try WatchRequest(query)
        let headers = [("Content-Type", "application/json"), ("Cache-Control", "no-cache, private")]
        let subscription: WatchSubscription
        do throws(APIError) {
            subscription = try store.watch(type, namespace: namespace, labels: labels, fields: fields, start: options.start)
        } catch {
            guard error.code == 410, expiredWatchAnswer.withLock({ $0 }) == .errorEvent else { throw error }
            onStart()
            guard writer.startStream(status: 200, headers: headers) else { return }
            let event: JSONValue = ["type": "ERROR", "object": error.status]
            _ = writer.writeChunk(Array((event.compactText + "\n").utf8))
            writer.finishStream()
            return
        }
        defer { store.endWatch(subscription) }
        onStart()
        guard writer.startStream(status: 200, headers: headers) else { return }
        let bookmarks = options.bookmarks
        let deadline = DispatchTime.now() + options.timeout
        var nextBookmark = DispatchTime.now() + bookmarkInterval
        func send(_ event: JSONValue) -> Bool {
            var event = event
            // kubectl get -w asks for tables: each event carries a one-row Table.
            if let columns, event["type"] != "BOOKMARK", event["type"] != "ERROR", let object = event["object"]?.objectValue, var e = event.objectValue {
                e["object"] = TableConversion.table([object], columns: columns, resourceVersion: nil)
                event = .object(e)
            }
            return writer.writeChunk(Array((event.compactText + "\n").utf8))
        }
        func bookmark(_ revision: Int, initialEventsEnd: Bool = false) -> JSONValue {
            var metadata: JSONObject = ["resourceVersion": .string(String(revision)), "creationTimestamp": .null]
            // metav1.InitialEventsAnnotationKey: what a streaming list's client waits for before it is synced.
            if initialEventsEnd { metadata["annotations"] = ["k8s.io/initial-events-end": "true"] }
            return ["type": "BOOKMARK", "object": ["kind": .string(type.kind), "apiVersion": .string(type.apiVersion), "metadata": .object(metadata)]]
        }
        while true {
            // Wake at least every half second to notice a client that went away, as Go's server
            // notices through the request context.
            let wake = min(bookmarks ? min(deadline, nextBookmark) : deadline, DispatchTime.now() + 0.5)
            guard let item = subscription.next(before: wake) else {
                if writer.stream.clientLeft() { return }
                if DispatchTime.now() >= deadline {
                    // Before the stream closes: what is queued, then a bookmark at the current revision.
                    while let item = subscription.next(before: .now()) {
                        if case .event(let kind, let object) = item, !send(["type": .string(kind), "object": .object(object)]) { return }
                    }
                    if bookmarks { _ = send(bookmark(store.revision)) }
                    writer.finishStream()
                    return
                }
                if bookmarks && DispatchTime.now() >= nextBookmark {
                    store.bookmark(subscription)
                    nextBookmark = DispatchTime.now() + bookmarkInterval
                }
                continue
            }
            switch item {
            case .event(let kind, let object):
                guard send(["type": .string(kind), "object": .object(object)]) else { return }
            case .bookmark(let revision):
                if bookmarks { guard send(bookmark(revision)) else { return } }
            case .initialEventsEnd(let revision):
                guard send(bookmark(revision, initialEventsEnd: true)) else { return }
            case .error(let error):
                _ = send(["type": "ERROR", "object": error.status])
                writer.finishStream()
                return
            case .close:
                writer.finishStream()
                return
            }
        }
    }
}
