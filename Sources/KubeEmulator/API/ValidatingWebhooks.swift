import Foundation
import HTTPClient
import JSON
import Locking

/// Who sent a write and where its warnings go: what admission needs to know of the request beyond
/// the object (the API server's `admission.Attributes` and its warning recorder). Internal writes
/// (the fake kubelet, garbage collection, a CRD's establishment) have none, and call no webhooks.
final class AdmissionRequestInfo: Sendable {
    /// `status`, `scale`, or nil for the main resource.
    let subresource: String?
    /// `userInfo.username`: the client certificate's common name, else `kubernetes-admin` for a
    /// token (the emulator's tokens name no user), `system:anonymous` without authentication.
    let username: String
    /// The `Warning:` headers of the response (`299 - "text"`), in order, without repeats.
    let warnings: Locked<[String]>

    init(subresource: String? = nil, username: String, warnings: Locked<[String]> = Locked([])) {
        self.subresource = subresource
        self.username = username
        self.warnings = warnings
    }

    /// The same request, writing `subresource`.
    func on(_ subresource: String?) -> AdmissionRequestInfo {
        AdmissionRequestInfo(subresource: subresource, username: username, warnings: warnings)
    }

    /// Adds a warning once (the API server's recorder drops repeats of the same text).
    func warn(_ text: String) {
        guard !text.isEmpty else { return }
        warnings.withLock { if !$0.contains(text) { $0.append(text) } }
    }

    /// The `Warning` header values: `299 - "text"`, `"` and `\` escaped (`net.NewWarningHeader`).
    var headerValues: [String] {
        warnings.withLock { $0 }.map { text in
            var quoted = "\""
            for c in text {
                if c == "\"" || c == "\\" { quoted.append("\\") }
                quoted.append(c == "\n" ? " " : c)
            }
            return "299 - " + quoted + "\""
        }
    }
}

/// The API server's `ValidatingAdmissionWebhook` plugin (`k8s.io/apiserver/pkg/admission/plugin/webhook`):
/// each `ValidatingWebhookConfiguration` (by name) and each of its webhooks (in order) whose rules
/// (operations, API groups and versions, resources and subresources, scope), `namespaceSelector` and
/// `objectSelector` match the write is called with an `admission.k8s.io/v1` AdmissionReview:
/// - at `clientConfig.url`, or at `https://NAME.NAMESPACE.svc:PORT/PATH` for a `service`, reached
///   through the Service's Endpoints (as `--enable-aggregator-routing` resolves it: a port of the
///   Service, the endpoint port of the same name, an address of the subsets) and verified for that
///   DNS name, since the emulator has no cluster DNS;
/// - trusting only `caBundle` (none: the system's roots), within `timeoutSeconds` (`?timeout=Ns`);
/// - for dry runs only when `sideEffects` is `None` or `NoneOnDryRun` (otherwise 400 "does not
///   support dry run"), with `request.dryRun` set.
/// A refusal is the webhook's status, prefixed as `ToStatusErr` prefixes it (`… "NAME" is forbidden:
/// admission webhook "W" denied the request: …`, 403 unless the webhook said otherwise). A webhook
/// that cannot be called, or answers what is not a review for this request, fails the write (500,
/// "failed calling webhook") under `failurePolicy: Fail` and is passed over under `Ignore`. Each
/// webhook's `warnings` go to the client as `Warning` headers, refused or not. `matchConditions`
/// (CEL) are not evaluated: a webhook that has them is called as if they held.
struct ValidatingWebhooks {
    let api: KubeAPI

    /// Calls every matching webhook; throws the first refusal or failure (in configuration order).
    func validate(_ type: ResourceType, _ operation: Admission.Operation, object: JSONObject, old: JSONObject?, request: AdmissionRequestInfo,
                  dryRun: Bool) throws(APIError) {
        guard let configurationType = api.type(group: "admissionregistration.k8s.io", version: "v1", plural: "validatingwebhookconfigurations") else { return }
        let configurations = api.store.list(configurationType, namespace: nil, labels: .everything, fields: .everything, after: nil, limit: 0).items
            .sorted { ($0["metadata"]?["name"]?.stringValue ?? "") < ($1["metadata"]?["name"]?.stringValue ?? "") }
        var firstError: APIError?
        for configuration in configurations {
            for webhook in configuration["webhooks"]?.arrayValue ?? [] where matches(webhook, type, operation, object: object, old: old, request: request) {
                do throws(APIError) {
                    try call(webhook, type, operation, object: object, old: old, request: request, dryRun: dryRun)
                } catch {
                    if firstError == nil { firstError = error }
                }
            }
        }
        if let firstError { throw firstError }
    }

    // MARK: Matching

    /// `rules.Matcher` and the selectors: does the webhook want this write?
    private func matches(_ webhook: JSONValue, _ type: ResourceType, _ operation: Admission.Operation, object: JSONObject, old: JSONObject?,
                         request: AdmissionRequestInfo) -> Bool {
        let resource = request.subresource.map { "\(type.plural)/\($0)" } ?? type.plural
        let ruleMatches = (webhook["rules"]?.arrayValue ?? []).contains { rule in
            func listed(_ key: String, _ value: String) -> Bool {
                (rule[key]?.arrayValue ?? []).contains { $0.stringValue == "*" || $0.stringValue == value }
            }
            let resources = (rule["resources"]?.arrayValue ?? []).compactMap(\.stringValue)
            let resourceMatches = resources.contains { pattern in
                if pattern == "*/*" || pattern == resource { return true }
                let (patternResource, patternSub) = split(pattern)
                if request.subresource == nil { return pattern == "*" }
                return (patternResource == "*" || patternResource == type.plural) && (patternSub == "*" || patternSub == request.subresource)
            }
            let scope = rule["scope"]?.stringValue ?? "*"
            let scopeMatches = scope == "*" || (scope == "Namespaced") == type.namespaced
            return listed("operations", operation.rawValue) && listed("apiGroups", type.group) && listed("apiVersions", type.version)
                && resourceMatches && scopeMatches
        }
        guard ruleMatches else { return false }
        // objectSelector: the new object's labels, or the old one's.
        if let selector = webhook["objectSelector"], !LabelSelector(selector).matches(object), !(old.map(LabelSelector(selector).matches) ?? false) {
            return false
        }
        // namespaceSelector: the namespace's labels (a Namespace's own); cluster-scoped objects always match.
        if let selector = webhook["namespaceSelector"], type.namespaced || type.plural == "namespaces" {
            let namespaceObject: JSONObject?
            if type.plural == "namespaces" {
                namespaceObject = object
            } else if let namespaces = api.type(group: "", version: "v1", plural: "namespaces") {
                namespaceObject = try? api.store.get(namespaces, namespace: "", name: object["metadata"]?["namespace"]?.stringValue ?? "")
            } else {
                namespaceObject = nil
            }
            if !LabelSelector(selector).matches(namespaceObject ?? [:]) { return false }
        }
        return true
    }

    private func split(_ pattern: String) -> (String, String?) {
        guard let slash = pattern.firstIndex(of: "/") else { return (pattern, nil) }
        return (String(pattern[..<slash]), String(pattern[pattern.index(after: slash)...]))
    }

    // MARK: Calling

    /// Why a webhook could not be called (`webhookutil.ErrCallingWebhook`): subject to failurePolicy.
    private struct CallFailure: Error {
        let reason: String
    }

    private func call(_ webhook: JSONValue, _ type: ResourceType, _ operation: Admission.Operation, object: JSONObject, old: JSONObject?,
                      request: AdmissionRequestInfo, dryRun: Bool) throws(APIError) {
        let name = webhook["name"]?.stringValue ?? ""
        if dryRun, !["None", "NoneOnDryRun"].contains(webhook["sideEffects"]?.stringValue ?? "") {
            throw APIError.badRequest("admission webhook \"\(name)\" does not support dry run")
        }
        let uid = UUID().uuidString.lowercased()
        let result: JSONValue
        do throws(CallFailure) {
            result = try send(webhook, review: review(uid: uid, type, operation, object: object, old: old, request: request, dryRun: dryRun))
        } catch {
            // failurePolicy is defaulted to Fail on storage.
            if webhook["failurePolicy"]?.stringValue == "Ignore" { return }
            let message = "failed calling webhook \"\(name)\": \(error.reason)"
            throw APIError(code: 500, reason: "InternalError", message: "Internal error occurred: \(message)",
                           details: ["causes": [["message": .string(message)]]])
        }
        for warning in result["warnings"]?.arrayValue ?? [] { request.warn(warning.stringValue ?? "") }
        guard result["allowed"]?.boolValue != true else { return }
        throw refusal(name, result["status"], type, object: object)
    }

    /// The AdmissionReview sent (`request.CreateAdmissionObjects`).
    private func review(uid: String, _ type: ResourceType, _ operation: Admission.Operation, object: JSONObject, old: JSONObject?,
                        request: AdmissionRequestInfo, dryRun: Bool) -> JSONValue {
        let gvk: JSONValue = ["group": .string(type.group), "version": .string(type.version), "kind": .string(type.kind)]
        let gvr: JSONValue = ["group": .string(type.group), "version": .string(type.version), "resource": .string(type.plural)]
        var body: JSONObject = ["uid": .string(uid), "kind": gvk, "resource": gvr]
        if let sub = request.subresource { body["subResource"] = .string(sub) }
        body["requestKind"] = gvk
        body["requestResource"] = gvr
        if let sub = request.subresource { body["requestSubResource"] = .string(sub) }
        body["name"] = object["metadata"]?["name"] ?? ""
        if type.namespaced { body["namespace"] = object["metadata"]?["namespace"] ?? "" }
        body["operation"] = .string(operation.rawValue)
        body["userInfo"] = ["username": .string(request.username),
                            "groups": request.username == "system:anonymous" ? ["system:unauthenticated"] : ["system:masters", "system:authenticated"]]
        body["object"] = .object(object)
        body["oldObject"] = old.map(JSONValue.object) ?? .null
        body["dryRun"] = .bool(dryRun)
        body["options"] = ["kind": .string(operation == .create ? "CreateOptions" : "UpdateOptions"), "apiVersion": "meta.k8s.io/v1"]
        return ["kind": "AdmissionReview", "apiVersion": "admission.k8s.io/v1", "request": .object(body)]
    }

    /// POSTs the review and returns its verified `response` (`request.VerifyAdmissionResponse`).
    private func send(_ webhook: JSONValue, review: JSONValue) throws(CallFailure) -> JSONValue {
        let timeout = Double(webhook["timeoutSeconds"]?.intValue ?? 10)
        let client = webhook["clientConfig"] ?? .null
        let target = try endpoint(client)
        var configuration = TransportConfiguration(server: target.server)
        configuration.requestTimeout = timeout
        configuration.connectTimeout = timeout
        configuration.userAgent = "kube-apiserver-admission"
        configuration.connectTo = target.connectTo
        configuration.maximumResponseBytes = 3 * 1024 * 1024
        if let bundle = client["caBundle"]?.stringValue, !bundle.isEmpty {
            guard let pem = Data(base64Encoded: bundle, options: .ignoreUnknownCharacters) else {
                throw CallFailure(reason: "could not get REST client: caBundle is not valid base64")
            }
            configuration.certificateAuthority = .data([UInt8](pem))
        }
        let path = target.path + (target.path.contains("?") ? "&" : "?") + "timeout=\(Int(timeout))s"
        let url = target.server + path
        let body = Array(review.compactText.utf8)
        let transport = HTTPTransport(configuration)
        let outcome = awaitBlocking { () async -> Result<HTTPResponse, HTTPClientError> in
            do throws(HTTPClientError) {
                return .success(try await transport.send(method: "POST", path: path, headers: [("Content-Type", "application/json")], body: body))
            } catch {
                return .failure(error)
            }
        }
        let response: HTTPResponse
        switch outcome {
        case .failure(let error): throw CallFailure(reason: "failed to call webhook: Post \"\(url)\": \(error.message)")
        case .success(let answer): response = answer
        }
        guard (200..<300).contains(response.statusCode) else {
            throw CallFailure(reason: "failed to call webhook: the server responded with the status code \(response.statusCode) but did not return more information")
        }
        guard let answer = try? JSONValue(parsing: response.body) else {
            throw CallFailure(reason: "failed to call webhook: the response is not JSON")
        }
        let kind = "\(answer["apiVersion"]?.stringValue ?? ""), Kind=\(answer["kind"]?.stringValue ?? "")"
        guard kind == "admission.k8s.io/v1, Kind=AdmissionReview" else {
            throw CallFailure(reason: "expected webhook response of admission.k8s.io/v1, Kind=AdmissionReview, got \(kind)")
        }
        guard let result = answer["response"], result.objectValue != nil else { throw CallFailure(reason: "webhook response was absent") }
        let sent = review["request"]?["uid"]?.stringValue ?? ""
        guard result["uid"]?.stringValue == sent else {
            throw CallFailure(reason: "expected response.uid=\"\(sent)\", got \"\(result["uid"]?.stringValue ?? "")\"")
        }
        if result["patch"] != nil || result["patchType"] != nil { throw CallFailure(reason: "validating webhooks may not return patches") }
        return result
    }

    /// Where to send: `clientConfig.url`, or the Service's DNS name reached through its Endpoints.
    private func endpoint(_ client: JSONValue) throws(CallFailure) -> (server: String, path: String, connectTo: [String]) {
        if let url = client["url"]?.stringValue {
            guard let components = URLComponents(string: url), let scheme = components.scheme, let host = components.host else {
                throw CallFailure(reason: "could not get REST client: invalid url \(url)")
            }
            let port = components.port.map { ":\($0)" } ?? ""
            let query = components.percentEncodedQuery.map { "?\($0)" } ?? ""
            return ("\(scheme)://\(host)\(port)", (components.percentEncodedPath.isEmpty ? "/" : components.percentEncodedPath) + query, [])
        }
        guard let service = client["service"], let name = service["name"]?.stringValue, let namespace = service["namespace"]?.stringValue else {
            throw CallFailure(reason: "could not get REST client: neither url nor service is set")
        }
        let port = service["port"]?.intValue ?? 443
        let host = "\(name).\(namespace).svc"
        let path = service["path"]?.stringValue ?? "/"
        guard let services = api.type(group: "", version: "v1", plural: "services"), let svc = try? api.store.get(services, namespace: namespace, name: name) else {
            throw CallFailure(reason: "failed to call webhook: service \"\(name)\" not found")
        }
        guard let servicePort = (svc["spec"]?["ports"]?.arrayValue ?? []).first(where: { $0["port"]?.intValue == port }) else {
            throw CallFailure(reason: "failed to call webhook: no service port \(port) found for service \"\(name)\"")
        }
        let portName = servicePort["name"]?.stringValue ?? ""
        guard let endpointsType = api.type(group: "", version: "v1", plural: "endpoints"),
              let endpoints = try? api.store.get(endpointsType, namespace: namespace, name: name) else {
            throw CallFailure(reason: "failed to call webhook: endpoints \"\(name)\" not found")
        }
        for subset in endpoints["subsets"]?.arrayValue ?? [] {
            guard let address = subset["addresses"]?.arrayValue?.randomElement()?["ip"]?.stringValue,
                  let target = (subset["ports"]?.arrayValue ?? []).first(where: { ($0["name"]?.stringValue ?? "") == portName })?["port"]?.intValue else { continue }
            return ("https://\(host):\(port)", path, ["\(host):\(port):\(address):\(target)"])
        }
        throw CallFailure(reason: "failed to call webhook: no endpoints available for service \"\(name)\"")
    }

    /// The webhook's refusal as the client sees it (`webhook/errors.ToStatusErr`).
    private func refusal(_ webhook: String, _ status: JSONValue?, _ type: ResourceType, object: JSONObject) -> APIError {
        let name = (object["metadata"]?["name"]?.stringValue).flatMap { $0.isEmpty ? nil : $0 } ?? "Unknown"
        let code = status?["code"]?.intValue.flatMap { $0 == 0 ? nil : $0 } ?? 403
        let deniedBy = "admission webhook \"\(webhook)\" denied the request"
        var message: String
        if let text = status?["message"]?.stringValue, !text.isEmpty {
            message = "\(deniedBy): \(text)"
        } else if let reason = status?["reason"]?.stringValue, !reason.isEmpty {
            message = "\(deniedBy): \(reason)"
        } else {
            message = "\(deniedBy) without explanation"
        }
        var details = status?["details"]?.objectValue
        if details == nil {
            details = code == 500 ? ["causes": [["message": .string(message)]]] : APIError.details(type, name)
        }
        message = (code == 500 ? "Internal error occurred" : "\(type.qualifiedName) \"\(name)\" is forbidden") + ": " + message
        let reason = status?["reason"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 } ?? (code == 500 ? "InternalError" : "Forbidden")
        return APIError(code: code, reason: reason, message: message, details: details)
    }
}

extension LabelSelector {
    /// A `metav1.LabelSelector` (`matchLabels`, `matchExpressions` with In, NotIn, Exists,
    /// DoesNotExist). An empty one selects everything.
    init(_ selector: JSONValue) {
        var requirements: [Requirement] = []
        for (key, value) in selector["matchLabels"]?.objectValue ?? [:] {
            requirements.append(.equals(key, value.stringValue ?? ""))
        }
        for expression in selector["matchExpressions"]?.arrayValue ?? [] {
            let key = expression["key"]?.stringValue ?? ""
            let values = Set((expression["values"]?.arrayValue ?? []).compactMap(\.stringValue))
            switch expression["operator"]?.stringValue {
            case "In": requirements.append(.isIn(key, values))
            case "NotIn": requirements.append(.notIn(key, values))
            case "Exists": requirements.append(.exists(key))
            case "DoesNotExist": requirements.append(.doesNotExist(key))
            default: requirements.append(.isIn(key, []))  // an unknown operator selects nothing (validation refuses it)
            }
        }
        self.init(requirements: requirements)
    }
}
