import HTTPKit
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
    /// How a new watch from an expired resourceVersion is answered (a test control).
    let expiredWatchAnswer: Locked<KubeEmulator.ExpiredWatchAnswer>
    let serverAddress: Locked<String> = Locked("127.0.0.1:0")

    init(store: ObjectStore, tokenFile: String?, bookmarkInterval: Double, expiredWatchAnswer: KubeEmulator.ExpiredWatchAnswer = .errorEvent) {
        self.store = store
        self.authenticator = tokenFile.map(TokenAuthenticator.init(path:))
        self.bookmarkInterval = bookmarkInterval
        self.expiredWatchAnswer = Locked(expiredWatchAnswer)
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
    /// Removes every fault not yet used up.
    func clearFaults() { faults.withLock { $0.removeAll() } }
    /// Set when the emulator stops: requests held by a hanging fault are let go.
    let stopped = Locked(false)

    /// `CLOCK_MONOTONIC`, in seconds.
    static func monotonicSeconds() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }
    var requests: [RecordedRequest] { log.withLock { $0 } }
    func clearRequests() { log.withLock { $0.removeAll() } }

    // MARK: Handling

    func handle(_ request: HTTPRequest, _ writer: HTTPResponseWriter) {
        let arrived = Self.monotonicSeconds()
        let route = Route.resolve(request.path) { type(group: $0, version: $1, plural: $2) }
        let verb = Self.verb(request, route)
        // Every request is logged before its response (or stream) starts, so a client that has its
        // answer finds its request in the log.
        func record(_ status: Int) {
            let entry = RecordedRequest(verb: verb, method: request.method, path: request.path, query: request.query,
                                        contentType: request.header("content-type"), status: status, userAgent: request.header("user-agent"),
                                        time: arrived)
            log.withLock { $0.append(entry) }
        }
        // Who asks, for admission; its warnings go out as `Warning` headers, refused or not.
        let admission = AdmissionRequestInfo(username: request.clientCertificateName
            ?? (authenticator == nil ? "system:anonymous" : "kubernetes-admin"))
        func warningHeaders() -> [(String, String)] { admission.headerValues.map { ("Warning", $0) } }
        func fail(_ error: APIError) {
            record(error.code)
            var headers = [("Content-Type", "application/json"), ("Cache-Control", "no-cache, private")] + warningHeaders()
            if let seconds = error.retryAfterSeconds { headers.append(("Retry-After", String(seconds))) }
            writer.send(status: error.code, headers: headers, body: Array(error.status.compactText.utf8))
        }
        // Authenticated by a listed bearer token, or by a client certificate the client CA verified.
        if let authenticator, request.clientCertificateName == nil, !authenticator.allows(request.header("authorization")) {
            return fail(.unauthorized)
        }
        if let fault = takeFault(verb: verb, path: request.path, userAgent: request.header("user-agent")) {
            if fault.hang {
                // Held unanswered until the client gives up or the emulator stops; then closed, never served.
                while !writer.stream.clientLeft() && !stopped.withLock({ $0 }) { Thread.sleep(forTimeInterval: 0.05) }
                writer.closeAfterResponse()
                return
            }
            if fault.delaySeconds > 0 { Thread.sleep(forTimeInterval: fault.delaySeconds) }
            if let code = fault.status {
                return fail(APIError(code: code, reason: Fault.reason(code), message: fault.message ?? "injected fault: \(code)",
                                     retryAfterSeconds: fault.retryAfterSeconds))
            }
        }
        do throws(APIError) {
            let (code, body) = try dispatch(request, route, verb, writer, admission: admission, onStream: { record(200) })
            if let body {
                record(code)
                writer.send(status: code, headers: [("Content-Type", "application/json"), ("Cache-Control", "no-cache, private")] + warningHeaders(),
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

    private func takeFault(verb: String, path: String, userAgent: String?) -> Fault? {
        faults.withLock { faults in
            guard let i = faults.firstIndex(where: { ($0.verb == nil || $0.verb == verb) && path.hasPrefix($0.pathPrefix) && $0.count > 0
                && ($0.userAgent == nil || $0.userAgent == userAgent) }) else { return nil }
            faults[i].count -= 1
            let fault = faults[i]
            if faults[i].count == 0 { faults.remove(at: i) }
            return fault
        }
    }

    /// Serves the request; returns the status and body, or nil body when the response was streamed.
    private func dispatch(_ request: HTTPRequest, _ route: Route, _ verb: String, _ writer: HTTPResponseWriter,
                          admission: AdmissionRequestInfo, onStream: () -> Void) throws(APIError) -> (Int, JSONValue?) {
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
                if request.query["sendInitialEvents"] != nil {
                    throw APIError.invalidOptions("ListOptions", [.init(reason: "FieldValueForbidden", field: "sendInitialEvents",
                                                                        message: "Forbidden: sendInitialEvents is forbidden for list")])
                }
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
                let options = try DeleteOptions(request)
                let victims = try listedObjects(type, namespace: namespace, request.query)
                for victim in victims {
                    let name = victim["metadata"]?["name"]?.stringValue ?? ""
                    let ns = victim["metadata"]?["namespace"]?.stringValue ?? ""
                    _ = try? delete(type, namespace: ns, name: name, options: options)
                }
                return (200, ["kind": .string(type.kind + "List"), "apiVersion": .string(type.apiVersion),
                              "metadata": ["resourceVersion": .string(String(store.revision))], "items": .array(victims.map(JSONValue.object))])
            case "create":
                let options = try WriteOptions(request, kind: "CreateOptions", admission: admission, subresource: nil)
                return (201, .object(try create(type, namespace: namespace, body: try Self.object(request.body, contentType: request.header("content-type")), options: options)))
            default: throw APIError.methodNotAllowed(request.method)
            }
        case .item(let type, let namespace, let name, let subresource):
            if let subresource {
                guard (subresource == "status" && type.hasStatus) || (subresource == "scale" && type.hasScale) else {
                    throw APIError.pathNotFound(request.path)
                }
            }
            switch (verb, subresource) {
            case ("get", "scale"): return (200, Scale.make(try store.get(type, namespace: namespace, name: name), type))
            case ("get", _):
                let object = try store.get(type, namespace: namespace, name: name)
                guard TableConversion.wanted(request.header("accept")), subresource == nil else { return (200, .object(object)) }
                return (200, TableConversion.table([object], columns: tableColumns(type), resourceVersion: nil))
            case ("update", "scale"), ("patch", "scale"):
                let options = try WriteOptions(request, kind: verb == "update" ? "UpdateOptions" : "PatchOptions", admission: admission, subresource: "scale")
                return (200, try Scale.write(self, type, namespace: namespace, name: name, request: request, options: options))
            case ("update", _):
                let options = try WriteOptions(request, kind: "UpdateOptions", admission: admission, subresource: subresource)
                return (200, .object(try update(type, namespace: namespace, name: name, subresource: subresource, body: try Self.object(request.body, contentType: request.header("content-type")),
                                                options: options)))
            case ("patch", _):
                let options = try WriteOptions(request, kind: "PatchOptions", admission: admission, subresource: subresource)
                return try patch(type, namespace: namespace, name: name, subresource: subresource, request: request, options: options)
            case ("delete", nil):
                return try delete(type, namespace: namespace, name: name, options: try DeleteOptions(request))
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

    func create(_ type: ResourceType, namespace: String?, body: JSONObject, options: WriteOptions = WriteOptions()) throws(APIError) -> JSONObject {
        var object = try ObjectSemantics.prepareCreate(type, body, namespace: namespace)
        if let manager = options.manager { object = ManagedFields.recordUpdate(type, old: nil, new: object, by: manager, at: ObjectSemantics.now()) }
        object = try Admission.admit(self, type, .create, object, old: nil, options: options)
        if type.namespaced, let ns = object["metadata"]?["namespace"]?.stringValue, type.plural != "namespaces",
           let namespaces = self.type(group: "", version: "v1", plural: "namespaces"),
           (try? store.get(namespaces, namespace: "", name: ns)) == nil {
            throw APIError(code: 404, reason: "NotFound", message: "namespaces \"\(ns)\" not found", details: ["name": .string(ns), "kind": "namespaces"])
        }
        if type.isCustom, definition(of: type)?["metadata"]?["deletionTimestamp"] != nil {
            throw APIError.terminating(type, verb: "create")
        }
        let created = try store.create(type, object, dryRun: options.dryRun)
        if type.isDefinition, !options.dryRun { try establish(created) }
        return created
    }

    func update(_ type: ResourceType, namespace: String, name: String, subresource: String?, body: JSONObject,
                options: WriteOptions = WriteOptions()) throws(APIError) -> JSONObject {
        try write(type, namespace: namespace, name: name, options: options) { current throws(APIError) in
            try ObjectSemantics.merge(type, current: current, incoming: body, subresource: subresource)
        }
    }

    /// Read-modify-write through the store, with admission and final removal of an object whose
    /// deletion waited for finalizers that are now gone. A dry run answers what would be stored.
    ///
    /// As the API server's `GuaranteedUpdate`: the change and admission run on the object as read,
    /// outside the store's lock (a webhook may take seconds, and may read the API itself), and the
    /// result is stored only if the object is still at the version read; if another write came in
    /// between, it starts over from the new version. `change` may so run more than once.
    func write(_ type: ResourceType, namespace: String, name: String, options: WriteOptions = WriteOptions(),
               _ change: (JSONObject) throws(APIError) -> JSONObject) throws(APIError) -> JSONObject {
        while true {
            let current = try store.get(type, namespace: namespace, name: name)
            var changed = try change(current)
            if let manager = options.manager {
                changed = ManagedFields.recordUpdate(type, old: current, new: changed, by: manager, at: ObjectSemantics.now())
            }
            let next = try Admission.admit(self, type, .update, changed, old: current, options: options)
            let version = current["metadata"]?["resourceVersion"]
            let outcome: (object: JSONObject, deleted: Bool)
            do throws(APIError) {
                outcome = try store.update(type, namespace: namespace, name: name, dryRun: options.dryRun) { stored throws(APIError) -> JSONObject? in
                    guard stored["metadata"]?["resourceVersion"] == version else { throw APIError.storageConflict }
                    return ObjectSemantics.readyToRemove(next) ? nil : next
                }
            } catch where error == .storageConflict {
                continue
            }
            if outcome.deleted {
                if options.dryRun { return next }
                removed(type, outcome.object, propagation: "Background")
            }
            return outcome.object
        }
    }

    private func patch(_ type: ResourceType, namespace: String, name: String, subresource: String?, request: HTTPRequest,
                       options: WriteOptions) throws(APIError) -> (Int, JSONValue?) {
        guard let patchType = PatchType(contentType: request.header("content-type")), PatchType.accepted(by: type).contains(patchType) else {
            throw APIError.unsupportedMediaType(PatchType.accepted(by: type).map(\.rawValue))
        }
        if patchType == .apply {
            guard let manager = request.query["fieldManager"], !manager.isEmpty else {
                throw APIError.badRequest("PATCH requests with apply content type must set a field manager (fieldManager query parameter)")
            }
            return try ServerSideApply.apply(self, type, namespace: namespace, name: name, subresource: subresource,
                                             document: try Patching.applyDocument(request.body), manager: manager,
                                             force: request.query["force"] == "true", options: options)
        }
        let object = try write(type, namespace: namespace, name: name, options: options) { current throws(APIError) in
            let patched = try Patching.apply(patchType, body: request.body, to: current)
            return try ObjectSemantics.merge(type, current: current, incoming: patched, subresource: subresource)
        }
        return (200, .object(object))
    }

    /// DELETE of one object: preconditions, then removal now, or, while finalizers hold it, a
    /// deletionTimestamp (answered 200 with the object, or 202 when `orphanDependents=false` asked for
    /// cascading: `handlers/delete.go`). A CustomResourceDefinition is finalized first (``deleteDefinition``).
    func delete(_ type: ResourceType, namespace: String, name: String, options: DeleteOptions) throws(APIError) -> (Int, JSONValue?) {
        let current = try store.get(type, namespace: namespace, name: name)
        if let uid = options.uid, uid != current["metadata"]?["uid"]?.stringValue {
            throw APIError(code: 409, reason: "Conflict", message: "Precondition failed: UID in precondition: \(uid), UID in object meta: \(current["metadata"]?["uid"]?.stringValue ?? "")")
        }
        if let rv = options.resourceVersion, rv != current["metadata"]?["resourceVersion"]?.stringValue {
            throw APIError(code: 409, reason: "Conflict", message: "Precondition failed: ResourceVersion in precondition: \(rv), ResourceVersion in object meta: \(current["metadata"]?["resourceVersion"]?.stringValue ?? "")")
        }
        let pending = options.cascadeRequested ? 202 : 200
        if type.isDefinition, current["metadata"]?["deletionTimestamp"] == nil {
            return (pending, .object(try deleteDefinition(name: name, options: options.write)))
        }
        if !(current["metadata"]?["finalizers"]?.arrayValue ?? []).isEmpty {
            // Finalizers hold the object: mark it and answer with it.
            let marked = try write(type, namespace: namespace, name: name, options: options.write) { object throws(APIError) in
                var o = object
                var metadata = o["metadata"]?.objectValue ?? JSONObject()
                if metadata["deletionTimestamp"] == nil {
                    metadata["deletionTimestamp"] = .string(ObjectSemantics.now())
                    metadata["deletionGracePeriodSeconds"] = 0
                }
                o["metadata"] = .object(metadata)
                return o
            }
            return (pending, .object(marked))
        }
        let gone = try store.remove(type, namespace: namespace, name: name, dryRun: options.write.dryRun)
        if !options.write.dryRun { removed(type, gone, propagation: options.propagation) }
        if type.returnsDeletedObject { return (200, .object(gone)) }
        var details = APIError.details(type, name)
        details["uid"] = gone["metadata"]?["uid"]
        return (200, ["kind": "Status", "apiVersion": "v1", "metadata": [:], "status": "Success", "details": .object(details)])
    }

    /// What follows an object's removal from storage: a removed CRD stops being served, dependents
    /// are garbage-collected, and a terminating CRD whose last object went is finalized.
    private func removed(_ type: ResourceType, _ object: JSONObject, propagation: String) {
        if type.isDefinition { retire(object) }
        collectDependents(of: object, propagation: propagation)
        if type.isCustom { finishTerminating(type) }
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
                _ = try? delete(type, namespace: key.namespace, name: key.name, options: DeleteOptions())
            }
        }
    }

}
