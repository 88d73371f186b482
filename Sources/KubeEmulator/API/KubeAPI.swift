import HTTPKit
import Dispatch
import Foundation
import JSON
import Locking

/// The API server's request handling, independent of the transport: authentication, injected faults,
/// routing, the verbs, subresources, watches and discovery. The store holds the objects.
final class KubeAPI: Sendable {
    let store: ObjectStore
    private let types = Locked<[ResourceType]>(ResourceType.builtIn)
    private let authenticator: TokenAuthenticator?
    private let faults = Locked<[Fault]>([])
    private let log = Locked<[RecordedRequest]>([])
    let bookmarkInterval: Double
    let serverAddress: Locked<String> = Locked("127.0.0.1:0")

    init(store: ObjectStore, tokenFile: String?, bookmarkInterval: Double) {
        self.store = store
        self.authenticator = tokenFile.map(TokenAuthenticator.init(path:))
        self.bookmarkInterval = bookmarkInterval
    }

    // MARK: Registry

    var servedTypes: [ResourceType] { types.withLock { $0 } }

    func type(group: String, version: String, plural: String) -> ResourceType? {
        types.withLock { $0.first { $0.group == group && $0.version == version && $0.plural == plural } }
    }

    func serve(_ type: ResourceType) {
        types.withLock { all in
            all.removeAll { $0.group == type.group && $0.version == type.version && $0.plural == type.plural }
            all.append(type)
        }
    }

    func stopServing(group: String, plural: String) {
        types.withLock { $0.removeAll { $0.group == group && $0.plural == plural } }
    }

    // MARK: Controls

    func inject(_ fault: Fault) { faults.withLock { $0.append(fault) } }
    var requests: [RecordedRequest] { log.withLock { $0 } }
    func clearRequests() { log.withLock { $0.removeAll() } }

    // MARK: Handling

    func handle(_ request: HTTPRequest, _ writer: HTTPResponseWriter) {
        let route = Route.resolve(request.path) { type(group: $0, version: $1, plural: $2) }
        let verb = Self.verb(request, route)
        // Every request is logged before its response (or stream) starts, so a client that has its
        // answer finds its request in the log.
        func record(_ status: Int) {
            let entry = RecordedRequest(verb: verb, method: request.method, path: request.path, query: request.query,
                                        contentType: request.header("content-type"), status: status, userAgent: request.header("user-agent"))
            log.withLock { $0.append(entry) }
        }
        func fail(_ error: APIError) {
            record(error.code)
            var headers = [("Content-Type", "application/json"), ("Cache-Control", "no-cache, private")]
            if let seconds = error.retryAfterSeconds { headers.append(("Retry-After", String(seconds))) }
            writer.send(status: error.code, headers: headers, body: Array(error.status.compactText.utf8))
        }
        // Authenticated by a listed bearer token, or by a client certificate the client CA verified.
        if let authenticator, request.clientCertificateName == nil, !authenticator.allows(request.header("authorization")) {
            return fail(.unauthorized)
        }
        if let fault = takeFault(verb: verb, path: request.path) {
            if fault.delaySeconds > 0 { Thread.sleep(forTimeInterval: fault.delaySeconds) }
            if let code = fault.status {
                let reason = code == 429 ? "TooManyRequests" : code == 503 ? "ServiceUnavailable" : code == 504 ? "Timeout" : "InternalError"
                return fail(APIError(code: code, reason: reason, message: "injected fault: \(code)", retryAfterSeconds: fault.retryAfterSeconds))
            }
        }
        do throws(APIError) {
            let (code, body) = try dispatch(request, route, verb, writer, onStream: { record(200) })
            if let body {
                record(code)
                writer.send(status: code, headers: [("Content-Type", "application/json"), ("Cache-Control", "no-cache, private")],
                            body: Array(body.compactText.utf8))
            }
        } catch {
            fail(error)
        }
    }

    /// The Kubernetes verb of a request, as audit logs and RBAC name it.
    static func verb(_ request: HTTPRequest, _ route: Route) -> String {
        switch (request.method, route) {
        case ("GET", .collection): return ["true", "1"].contains(request.query["watch"] ?? "") ? "watch" : "list"
        case ("GET", _): return "get"
        case ("POST", _): return "create"
        case ("PUT", _): return "update"
        case ("PATCH", _): return "patch"
        case ("DELETE", .collection): return "deletecollection"
        case ("DELETE", _): return "delete"
        default: return request.method.lowercased()
        }
    }

    private func takeFault(verb: String, path: String) -> Fault? {
        faults.withLock { faults in
            guard let i = faults.firstIndex(where: { ($0.verb == nil || $0.verb == verb) && path.hasPrefix($0.pathPrefix) && $0.count > 0 }) else { return nil }
            faults[i].count -= 1
            let fault = faults[i]
            if faults[i].count == 0 { faults.remove(at: i) }
            return fault
        }
    }

    /// Serves the request; returns the status and body, or nil body when the response was streamed.
    private func dispatch(_ request: HTTPRequest, _ route: Route, _ verb: String, _ writer: HTTPResponseWriter,
                          onStream: () -> Void) throws(APIError) -> (Int, JSONValue?) {
        switch route {
        case .version: return (200, Discovery.version())
        case .healthz:
            onStream()
            writer.send(status: 200, headers: [("Content-Type", "text/plain")], body: Array("ok".utf8))
            return (200, nil)
        case .coreVersions: return (200, Discovery.coreVersions(serverAddress: serverAddress.withLock { $0 }))
        case .groups: return (200, Discovery.groups(servedTypes))
        case .resources(let group, let version):
            guard servedTypes.contains(where: { $0.group == group && $0.version == version }) else { throw APIError.pathNotFound(request.path) }
            return (200, Discovery.resources(group: group, version: version, servedTypes))
        case .openAPIIndex: return (200, Discovery.openAPIIndex(servedTypes))
        case .openAPIGroup(let group, let version):
            guard servedTypes.contains(where: { $0.group == group && $0.version == version }) else { throw APIError.pathNotFound(request.path) }
            return (200, Discovery.openAPIGroup(group: group, version: version, servedTypes))
        case .notFound:
            throw APIError.pathNotFound(request.path)
        case .collection(let type, let namespace):
            switch verb {
            case "list":
                let list = try list(type, namespace: namespace, request.query)
                guard TableConversion.wanted(request.header("accept")) else { return (200, list) }
                return (200, TableConversion.table(try listedObjects(type, namespace: namespace, request.query), columns: tableColumns(type),
                                                   resourceVersion: Int(list["metadata"]?["resourceVersion"]?.stringValue ?? "")))
            case "watch":
                try watch(type, namespace: namespace, request.query, writer,
                          asTable: TableConversion.wanted(request.header("accept")) ? tableColumns(type) : nil, onStart: onStream)
                return (200, nil)
            case "deletecollection":
                // Deletes each matching object in turn, as the API server does; answers the list of what it deleted.
                let victims = try listedObjects(type, namespace: namespace, request.query)
                for victim in victims {
                    let name = victim["metadata"]?["name"]?.stringValue ?? ""
                    let ns = victim["metadata"]?["namespace"]?.stringValue ?? ""
                    let single = HTTPRequest(method: "DELETE", path: request.path, query: request.query, headers: request.headers, body: [])
                    _ = try? delete(type, namespace: ns, name: name, request: single)
                }
                return (200, ["kind": .string(type.kind + "List"), "apiVersion": .string(type.apiVersion),
                              "metadata": ["resourceVersion": .string(String(store.revision))], "items": .array(victims.map(JSONValue.object))])
            case "create":
                return (201, .object(try create(type, namespace: namespace, body: try Self.object(request.body, contentType: request.header("content-type")), strict: request.query["fieldValidation"] == "Strict")))
            default: throw APIError.methodNotAllowed(request.method)
            }
        case .item(let type, let namespace, let name, let subresource):
            if let subresource {
                guard (subresource == "status" && type.hasStatus) || (subresource == "scale" && type.hasScale) else {
                    throw APIError.pathNotFound(request.path)
                }
            }
            switch (verb, subresource) {
            case ("get", "scale"): return (200, Scale.make(try store.get(type, namespace: namespace, name: name)))
            case ("get", _):
                let object = try store.get(type, namespace: namespace, name: name)
                guard TableConversion.wanted(request.header("accept")), subresource == nil else { return (200, .object(object)) }
                return (200, TableConversion.table([object], columns: tableColumns(type), resourceVersion: nil))
            case ("update", "scale"), ("patch", "scale"):
                return (200, try Scale.write(self, type, namespace: namespace, name: name, request: request))
            case ("update", _):
                return (200, .object(try update(type, namespace: namespace, name: name, subresource: subresource, body: try Self.object(request.body, contentType: request.header("content-type")),
                                                strict: request.query["fieldValidation"] == "Strict")))
            case ("patch", _):
                return try patch(type, namespace: namespace, name: name, subresource: subresource, request: request)
            case ("delete", nil):
                return try delete(type, namespace: namespace, name: name, request: request)
            default:
                throw APIError.methodNotAllowed(request.method)
            }
        }
    }

    /// The body of a create or update: JSON, or YAML as the API server also accepts. Protobuf (what
    /// kubectl's typed clients send for built-in types) is not spoken: 415, as for custom resources.
    static func object(_ body: [UInt8], contentType: String? = nil) throws(APIError) -> JSONObject {
        let media = contentType?.split(separator: ";").first?.trimmingSpaces().lowercased() ?? "application/json"
        let value: JSONValue
        switch media {
        case "application/json", "":
            do throws(JSONParseError) {
                value = try JSONValue(parsing: body)
            } catch {
                throw APIError.badRequest("couldn't get version/kind; json parse error: \(error.description)")
            }
        case "application/yaml":
            value = .object(try Patching.applyDocument(body))
        default:
            throw APIError.unsupportedMediaType(["application/json", "application/yaml"])
        }
        guard let object = value.objectValue else { throw APIError.badRequest("the request body is not a JSON object") }
        return object
    }

    // MARK: Verbs

    private func list(_ type: ResourceType, namespace: String?, _ query: [String: String]) throws(APIError) -> JSONValue {
        let labels = try LabelSelector.parse(query["labelSelector"])
        let fields = try FieldSelector.parse(query["fieldSelector"], for: type)
        let limit = Int(query["limit"] ?? "") ?? 0
        var after: ObjectKey?
        if let token = query["continue"], !token.isEmpty {
            guard let data = Data(base64Encoded: token), let value = try? JSONValue(parsing: [UInt8](data)),
                  let ns = value["ns"]?.stringValue, let name = value["name"]?.stringValue else {
                throw APIError.badRequest("continue key is not valid: illegal base64 data")
            }
            after = ObjectKey(namespace: ns, name: name)
        }
        let page = store.list(type, namespace: namespace, labels: labels, fields: fields, after: after, limit: limit)
        var metadata: JSONObject = ["resourceVersion": .string(String(page.revision))]
        if page.remaining > 0, let last = page.last {
            let token: JSONValue = ["ns": .string(last.namespace), "name": .string(last.name)]
            metadata["continue"] = .string(Data(token.compactText.utf8).base64EncodedString())
            metadata["remainingItemCount"] = .integer(page.remaining)
        }
        let items: [JSONValue] = page.items.map { item in
            guard !type.listItemsCarryTypeMeta else { return .object(item) }
            var bare = item
            bare["apiVersion"] = nil
            bare["kind"] = nil
            return .object(bare)
        }
        return ["kind": .string(type.kind + "List"), "apiVersion": .string(type.apiVersion), "metadata": .object(metadata), "items": .array(items)]
    }

    /// The columns `kubectl get` prints for `type`.
    private func tableColumns(_ type: ResourceType) -> [TableConversion.Column] {
        var crd: JSONObject?
        if type.isCustom, let crdType = self.type(group: "apiextensions.k8s.io", version: "v1", plural: "customresourcedefinitions") {
            crd = try? store.get(crdType, namespace: "", name: "\(type.plural).\(type.group)")
        }
        return TableConversion.columns(for: type, crd: crd)
    }

    /// The objects of a list request, whole (for tables).
    private func listedObjects(_ type: ResourceType, namespace: String?, _ query: [String: String]) throws(APIError) -> [JSONObject] {
        let page = store.list(type, namespace: namespace, labels: try LabelSelector.parse(query["labelSelector"]),
                              fields: try FieldSelector.parse(query["fieldSelector"], for: type), after: nil, limit: 0)
        return page.items
    }

    func create(_ type: ResourceType, namespace: String?, body: JSONObject, strict: Bool = false) throws(APIError) -> JSONObject {
        var object = try ObjectSemantics.prepareCreate(type, body, namespace: namespace)
        if type.isCustom {
            object = try CustomResourceSchema.admit(type, object, strict: strict)
        }
        if type.namespaced, let ns = object["metadata"]?["namespace"]?.stringValue, type.plural != "namespaces",
           let namespaces = self.type(group: "", version: "v1", plural: "namespaces"),
           (try? store.get(namespaces, namespace: "", name: ns)) == nil {
            throw APIError(code: 404, reason: "NotFound", message: "namespaces \"\(ns)\" not found", details: ["name": .string(ns), "kind": "namespaces"])
        }
        let created = try store.create(type, object)
        if type.plural == "customresourcedefinitions" { try establish(created) }
        return created
    }

    func update(_ type: ResourceType, namespace: String, name: String, subresource: String?, body: JSONObject, strict: Bool = false) throws(APIError) -> JSONObject {
        try write(type, namespace: namespace, name: name, strict: strict) { current throws(APIError) in
            try ObjectSemantics.merge(type, current: current, incoming: body, subresource: subresource)
        }
    }

    /// Read-modify-write through the store, with custom-resource admission and final removal of an
    /// object whose deletion waited for finalizers that are now gone.
    func write(_ type: ResourceType, namespace: String, name: String, strict: Bool = false,
               _ change: (JSONObject) throws(APIError) -> JSONObject) throws(APIError) -> JSONObject {
        let (object, deleted) = try store.update(type, namespace: namespace, name: name) { current throws(APIError) -> JSONObject? in
            var next = try change(current)
            if type.isCustom { next = try CustomResourceSchema.admit(type, next, strict: strict) }
            return ObjectSemantics.readyToRemove(next) ? nil : next
        }
        if deleted { collectDependents(of: object, propagation: "Background") }
        return object
    }

    private func patch(_ type: ResourceType, namespace: String, name: String, subresource: String?, request: HTTPRequest) throws(APIError) -> (Int, JSONValue?) {
        guard let patchType = PatchType(contentType: request.header("content-type")), PatchType.accepted(by: type).contains(patchType) else {
            throw APIError.unsupportedMediaType(PatchType.accepted(by: type).map(\.rawValue))
        }
        if patchType == .apply {
            guard let manager = request.query["fieldManager"], !manager.isEmpty else {
                throw APIError.badRequest("PATCH requests with apply content type must set a field manager (fieldManager query parameter)")
            }
            return try ServerSideApply.apply(self, type, namespace: namespace, name: name, subresource: subresource,
                                             document: try Patching.applyDocument(request.body), manager: manager)
        }
        let object = try write(type, namespace: namespace, name: name, strict: request.query["fieldValidation"] == "Strict") { current throws(APIError) in
            let patched = try Patching.apply(patchType, body: request.body, to: current)
            return try ObjectSemantics.merge(type, current: current, incoming: patched, subresource: subresource)
        }
        return (200, .object(object))
    }

    private func delete(_ type: ResourceType, namespace: String, name: String, request: HTTPRequest) throws(APIError) -> (Int, JSONValue?) {
        let options = (try? JSONValue(parsing: request.body)) ?? .null
        let propagation = request.query["propagationPolicy"] ?? options["propagationPolicy"]?.stringValue ?? "Background"
        guard ["Background", "Foreground", "Orphan"].contains(propagation) else {
            throw APIError.badRequest("propagationPolicy must be Background, Foreground or Orphan, not \(propagation)")
        }
        let current = try store.get(type, namespace: namespace, name: name)
        if let uid = options["preconditions"]?["uid"]?.stringValue, uid != current["metadata"]?["uid"]?.stringValue {
            throw APIError(code: 409, reason: "Conflict", message: "Precondition failed: UID in precondition: \(uid), UID in object meta: \(current["metadata"]?["uid"]?.stringValue ?? "")")
        }
        if let rv = options["preconditions"]?["resourceVersion"]?.stringValue, rv != current["metadata"]?["resourceVersion"]?.stringValue {
            throw APIError(code: 409, reason: "Conflict", message: "Precondition failed: ResourceVersion in precondition: \(rv), ResourceVersion in object meta: \(current["metadata"]?["resourceVersion"]?.stringValue ?? "")")
        }
        if !(current["metadata"]?["finalizers"]?.arrayValue ?? []).isEmpty {
            // Finalizers hold the object: mark it and answer 202 with it.
            let marked = try write(type, namespace: namespace, name: name) { object throws(APIError) in
                var o = object
                var metadata = o["metadata"]?.objectValue ?? JSONObject()
                if metadata["deletionTimestamp"] == nil {
                    metadata["deletionTimestamp"] = .string(ObjectSemantics.now())
                    metadata["deletionGracePeriodSeconds"] = 0
                }
                o["metadata"] = .object(metadata)
                return o
            }
            return (202, .object(marked))
        }
        let removed = try store.remove(type, namespace: namespace, name: name)
        if type.plural == "customresourcedefinitions" { retire(removed) }
        collectDependents(of: removed, propagation: propagation)
        if type.returnsDeletedObject { return (200, .object(removed)) }
        var details = APIError.details(type, name)
        details["uid"] = removed["metadata"]?["uid"]
        return (200, ["kind": "Status", "apiVersion": "v1", "metadata": [:], "status": "Success", "details": .object(details)])
    }

    /// Garbage collection: dependents whose ownerReferences name the deleted object are deleted
    /// (Background, Foreground) or released (Orphan). Done at once, each as its own change.
    func collectDependents(of owner: JSONObject, propagation: String) {
        guard let uid = owner["metadata"]?["uid"]?.stringValue else { return }
        for (storageKey, key, object) in store.allObjects() {
            let references = object["metadata"]?["ownerReferences"]?.arrayValue ?? []
            guard references.contains(where: { $0["uid"]?.stringValue == uid }),
                  let type = servedTypes.first(where: { $0.storageKey == storageKey }) else { continue }
            if propagation == "Orphan" {
                _ = try? write(type, namespace: key.namespace, name: key.name) { current throws(APIError) in
                    var o = current
                    var metadata = o["metadata"]?.objectValue ?? JSONObject()
                    let kept = references.filter { $0["uid"]?.stringValue != uid }
                    metadata["ownerReferences"] = kept.isEmpty ? nil : .array(kept)
                    o["metadata"] = .object(metadata)
                    return o
                }
            } else {
                let request = HTTPRequest(method: "DELETE", path: "", query: ["propagationPolicy": "Background"], headers: [:], body: [])
                _ = try? delete(type, namespace: key.namespace, name: key.name, request: request)
            }
        }
    }

    // MARK: Watch

    private func watch(_ type: ResourceType, namespace: String?, _ query: [String: String], _ writer: HTTPResponseWriter,
                       asTable columns: [TableConversion.Column]?, onStart: () -> Void) throws(APIError) {
        let labels = try LabelSelector.parse(query["labelSelector"])
        let fields = try FieldSelector.parse(query["fieldSelector"], for: type)
        let rvText = query["resourceVersion"] ?? ""
        var from: Int?
        if !rvText.isEmpty && rvText != "0" {
            guard let rv = Int(rvText) else { throw APIError.badRequest("invalid resource version: \(rvText)") }
            from = rv
        }
        let bookmarks = query["allowWatchBookmarks"] == "true"
        // Without timeoutSeconds the real server picks 30–60 minutes; so do we.
        let timeout = Double(query["timeoutSeconds"] ?? "") ?? Double.random(in: 1800...3600)
        let subscription = try store.watch(type, namespace: namespace, labels: labels, fields: fields, from: from)
        defer { store.endWatch(subscription) }
        onStart()
        guard writer.startStream(status: 200, headers: [("Content-Type", "application/json"), ("Cache-Control", "no-cache, private")]) else { return }
        let deadline = DispatchTime.now() + timeout
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
        func bookmark(_ revision: Int) -> JSONValue {
            ["type": "BOOKMARK", "object": ["kind": .string(type.kind), "apiVersion": .string(type.apiVersion),
                                             "metadata": ["resourceVersion": .string(String(revision)), "creationTimestamp": .null]]]
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

    // MARK: CustomResourceDefinitions

    /// A created CRD is served at once: its versions become resources, and its status says so.
    private func establish(_ crd: JSONObject) throws(APIError) {
        for type in CustomResourceSchema.types(of: crd) { serve(type) }
        let name = crd["metadata"]?["name"]?.stringValue ?? ""
        guard let crdType = self.type(group: "apiextensions.k8s.io", version: "v1", plural: "customresourcedefinitions") else { return }
        _ = try write(crdType, namespace: "", name: name) { current throws(APIError) in
            var o = current
            let time = JSONValue.string(ObjectSemantics.now())
            o["status"] = [
                "acceptedNames": current["spec"]?["names"] ?? [:],
                "storedVersions": .array((current["spec"]?["versions"]?.arrayValue ?? []).filter { $0["storage"] == true }.compactMap { $0["name"] }),
                "conditions": [
                    ["type": "NamesAccepted", "status": "True", "reason": "NoConflicts", "message": "no conflicts found", "lastTransitionTime": time],
                    ["type": "Established", "status": "True", "reason": "InitialNamesAccepted", "message": "the initial names have been accepted", "lastTransitionTime": time],
                ],
            ]
            return o
        }
    }

    /// A deleted CRD stops being served, and its objects go with it.
    private func retire(_ crd: JSONObject) {
        for type in CustomResourceSchema.types(of: crd) {
            for (_, key, _) in store.allObjects().filter({ $0.storageKey == type.storageKey }) {
                _ = try? store.remove(type, namespace: key.namespace, name: key.name)
            }
            stopServing(group: type.group, plural: type.plural)
        }
    }
}
