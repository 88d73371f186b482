import HTTPKit
import JSON

/// The query parameters every write (create, update, patch, delete) shares.
struct WriteOptions: Sendable {
    /// `dryRun=All`: the request is decoded, defaulted, admitted and validated, and answered as the
    /// write would be, but nothing is stored, no resourceVersion is used and no watch sees it
    /// (`k8s.io/apiserver/pkg/registry/generic/registry/dryrun.go`). A dry-run create answers without
    /// a resourceVersion; a dry-run update keeps the stored one. Default: a real write.
    var dryRun = false
    /// `fieldValidation=Strict`: a field the schema would prune is a 400 instead. Default: prune quietly.
    var strict = false
    /// The client's request, for validating webhooks; nil for the emulator's own writes (the fake
    /// kubelet, garbage collection, a CRD's establishment), which call none.
    var admission: AdmissionRequestInfo?
    /// Who writes (`fieldManager`, else the `User-Agent`'s first word): the fields it changes become
    /// its own in `metadata.managedFields` (an `Update` entry). Nil for the emulator's own writes.
    var manager: FieldManager?

    init(dryRun: Bool = false, strict: Bool = false) {
        self.dryRun = dryRun
        self.strict = strict
    }

    /// From a request's query. `dryRun` accepts only `All`, as `ValidateCreateOptions` and its
    /// siblings do (422 otherwise); `kind` names the options in the message (`CreateOptions`, …).
    init(query: [String: String], kind: String) throws(APIError) {
        if let value = query["dryRun"] {
            guard value == "All" else {
                throw APIError.invalidOptions(kind, [.init(reason: "FieldValueNotSupported", field: "dryRun",
                                                           message: "Unsupported value: []string{\"\(value)\"}: supported values: \"All\"")])
            }
            dryRun = true
        }
        strict = query["fieldValidation"] == "Strict"
    }

    /// A client's write through `subresource`: options from its query, admission as `admission`
    /// on that subresource, its field manager from `fieldManager` or its `User-Agent`.
    init(_ request: HTTPRequest, kind: String, admission: AdmissionRequestInfo, subresource: String?) throws(APIError) {
        try self.init(query: request.query, kind: kind)
        self.admission = admission.on(subresource)
        manager = FieldManager(fieldManager: request.query["fieldManager"], userAgent: request.header("user-agent"), subresource: subresource)
    }
}

/// A DELETE's options, from the query and from the body (client-go sends `DeleteOptions` as the body).
struct DeleteOptions: Sendable {
    var write = WriteOptions()
    /// Background (the default), Foreground (treated as Background) or Orphan.
    var propagation = "Background"
    /// Preconditions: the object must still have this uid / resourceVersion (409 otherwise).
    var uid: String?
    var resourceVersion: String?
    /// `orphanDependents=false`: the legacy way to ask for cascading; a deletion that finalizers hold
    /// is then answered 202 instead of 200.
    var cascadeRequested = false

    init() {}

    init(_ request: HTTPRequest) throws(APIError) {
        let body = (try? JSONValue(parsing: request.body)) ?? .null
        var query = request.query
        if query["dryRun"] == nil, let values = body["dryRun"]?.arrayValue {
            query["dryRun"] = values.compactMap(\.stringValue).joined(separator: ",")
        }
        write = try WriteOptions(query: query, kind: "DeleteOptions")
        let orphan = request.query["orphanDependents"].map { $0 == "true" } ?? body["orphanDependents"]?.boolValue
        cascadeRequested = orphan == false
        propagation = request.query["propagationPolicy"] ?? body["propagationPolicy"]?.stringValue ?? (orphan == true ? "Orphan" : "Background")
        guard ["Background", "Foreground", "Orphan"].contains(propagation) else {
            throw APIError.badRequest("propagationPolicy must be Background, Foreground or Orphan, not \(propagation)")
        }
        uid = body["preconditions"]?["uid"]?.stringValue
        resourceVersion = body["preconditions"]?["resourceVersion"]?.stringValue
    }
}
