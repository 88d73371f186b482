import Foundation
import HTTPKit
import HTTPKitTLS
import JSON
import Locking
import TestSupport
import Testing
@testable import KubeEmulator

/// A webhook under the test's control, over TLS with the shared test CA's certificate for
/// 127.0.0.1: it records each AdmissionReview and answers what `answer` says.
final class ScriptedWebhook: @unchecked Sendable {
    let server: HTTPServer
    let reviews = Locked<[(path: String, review: JSONValue)]>([])
    /// The `response` to send for a request (its uid is filled in unless the script sets one).
    let answer: Locked<@Sendable (JSONValue) -> JSONObject> = Locked({ _ in ["allowed": true] })
    let delay = Locked(0.0)

    init(certificate: String = TestCertificates.shared.serverCertificate, key: String = TestCertificates.shared.serverKey) throws {
        let tls = try TLSServerContext(certificateFile: certificate, keyFile: key)
        let reviews = self.reviews, answer = self.answer, delay = self.delay
        server = try HTTPServer(host: "127.0.0.1", port: 0, tls: tls) { request, writer in
            let review = (try? JSONValue(parsing: request.body)) ?? .null
            let query = request.query.map { "\($0.key)=\($0.value)" }.sorted().joined(separator: "&")
            reviews.withLock { $0.append((request.path + (query.isEmpty ? "" : "?" + query), review)) }
            Thread.sleep(forTimeInterval: delay.withLock { $0 })
            var response = answer.withLock { $0 }(review["request"] ?? .null)
            if response["uid"] == nil { response["uid"] = review["request"]?["uid"] ?? "" }
            let body: JSONValue = ["apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "response": .object(response)]
            writer.send(status: 200, headers: [("Content-Type", "application/json")], body: Array(body.compactText.utf8))
        }
    }

    deinit { server.stop() }

    var url: String { "https://127.0.0.1:\(server.port)/validate" }
    var requests: [JSONValue] { reviews.withLock { $0 }.map { $0.review["request"] ?? .null } }

    static var caBundle: String { (try? Data(contentsOf: URL(fileURLWithPath: TestCertificates.shared.ca)).base64EncodedString()) ?? "" }
}

@Suite("Validating admission webhooks", .serialized, .runsOnOwnThreads)
struct ValidatingWebhookTests {
    /// A configuration of one webhook for configmaps (and deployments), at `clientConfig`.
    func register(_ c: TestCluster, _ clientConfig: JSONValue, policy: String = "Fail", timeout: Int = 10,
                  resources: JSONValue = ["configmaps", "deployments"], objectSelector: JSONValue? = nil, namespaceSelector: JSONValue? = nil) {
        var webhook: JSONObject = ["name": "check.example.com", "admissionReviewVersions": ["v1"], "sideEffects": "None",
                                   "failurePolicy": .string(policy), "timeoutSeconds": .integer(timeout), "clientConfig": clientConfig,
                                   "rules": [["apiGroups": ["", "apps"], "apiVersions": ["v1"], "operations": ["CREATE", "UPDATE"], "resources": resources]]]
        if let objectSelector { webhook["objectSelector"] = objectSelector }
        if let namespaceSelector { webhook["namespaceSelector"] = namespaceSelector }
        _ = c.request("DELETE", "/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/check")
        let created = c.post("/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations",
                             ["apiVersion": "admissionregistration.k8s.io/v1", "kind": "ValidatingWebhookConfiguration",
                              "metadata": ["name": "check"], "webhooks": [.object(webhook)]])
        #expect(created.status == 201, "\(created.text)")
    }

    func configMap(_ name: String, labels: JSONValue = [:]) -> JSONValue {
        ["apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": .string(name), "labels": labels], "data": ["a": "1"]]
    }

    @Test func theReviewIsTheAPIServersAdmissionReviewV1() throws {
        let c = try TestCluster()
        let webhook = try ScriptedWebhook()
        register(c, ["url": .string(webhook.url), "caBundle": .string(ScriptedWebhook.caBundle)])
        #expect(c.post("/api/v1/namespaces/default/configmaps", configMap("one")).status == 201)
        let create = try #require(webhook.requests.first)
        #expect(webhook.reviews.withLock { $0.first?.path } == "/validate?timeout=10s", "the API server tells the webhook its deadline")
        #expect(create["kind"] == ["group": "", "version": "v1", "kind": "ConfigMap"])
        #expect(create["resource"] == ["group": "", "version": "v1", "resource": "configmaps"])
        #expect(create["operation"] == "CREATE" && create["namespace"] == "default" && create["name"] == "one")
        #expect(create["object"]?["data"] == ["a": "1"] && create["oldObject"] == .null && create["dryRun"] == false)
        #expect(create["uid"]?.stringValue?.count == 36)
        #expect(create["userInfo"]?["username"] == "kubernetes-admin" && create["options"]?["kind"] == "CreateOptions")
        let patched = c.request("PATCH", "/api/v1/namespaces/default/configmaps/one", ["data": ["a": "2"]], contentType: "application/merge-patch+json")
        #expect(patched.status == 200)
        let update = try #require(webhook.requests.last)
        #expect(update["operation"] == "UPDATE" && update["object"]?["data"] == ["a": "2"] && update["oldObject"]?["data"] == ["a": "1"])
    }

    @Test func onlyMatchingWritesCallIt() throws {
        let c = try TestCluster()
        let webhook = try ScriptedWebhook()
        register(c, ["url": .string(webhook.url), "caBundle": .string(ScriptedWebhook.caBundle)], objectSelector: ["matchLabels": ["checked": "yes"]])
        #expect(c.post("/api/v1/namespaces/default/configmaps", configMap("plain")).status == 201)
        #expect(webhook.requests.isEmpty, "the object selector leaves it out")
        #expect(c.post("/api/v1/namespaces/default/configmaps", configMap("labelled", labels: ["checked": "yes"])).status == 201)
        #expect(webhook.requests.count == 1)
        // Other resources, reads, and the status subresource (the rules name the main resource only) call nothing.
        register(c, ["url": .string(webhook.url), "caBundle": .string(ScriptedWebhook.caBundle)])
        let before = webhook.requests.count
        _ = c.post("/api/v1/namespaces/default/secrets", ["apiVersion": "v1", "kind": "Secret", "metadata": ["name": "s"]])
        _ = c.get("/api/v1/namespaces/default/configmaps/plain")
        c.createDeployment("web")
        let afterCreate = webhook.requests.count
        #expect(afterCreate == before + 1, "the Deployment's create only")
        _ = c.request("PATCH", "/apis/apps/v1/namespaces/default/deployments/web/status", ["status": ["replicas": 2]], contentType: "application/merge-patch+json")
        #expect(webhook.requests.count == afterCreate)
        // A namespace selector reads the namespace's labels.
        register(c, ["url": .string(webhook.url), "caBundle": .string(ScriptedWebhook.caBundle)],
                 namespaceSelector: ["matchExpressions": [["key": "kubernetes.io/metadata.name", "operator": "In", "values": ["kube-system"]]]])
        _ = c.post("/api/v1/namespaces/default/configmaps", configMap("unlabelled-namespace"))
        #expect(webhook.requests.count == afterCreate)
    }

    @Test func refusalsAndWarningsReachTheClientAsTheAPIServerFramesThem() throws {
        let c = try TestCluster()
        let webhook = try ScriptedWebhook()
        register(c, ["url": .string(webhook.url), "caBundle": .string(ScriptedWebhook.caBundle)])
        webhook.answer.withLock { $0 = { _ in ["allowed": false, "status": ["code": 403, "reason": "Forbidden", "message": "not today"], "warnings": ["think \"twice\""]] } }
        let refused = c.post("/api/v1/namespaces/default/configmaps", configMap("no"))
        #expect(refused.status == 403)
        #expect(refused.json["message"] == #"configmaps "no" is forbidden: admission webhook "check.example.com" denied the request: not today"#)
        #expect(refused.json["reason"] == "Forbidden" && refused.json["details"]?["name"] == "no")
        #expect(refused.headers["warning"] == #"299 - "think \"twice\"""#)
        #expect(c.get("/api/v1/namespaces/default/configmaps/no").status == 404)
        // Allowed with a warning: the write goes through and the warning comes with it.
        webhook.answer.withLock { $0 = { _ in ["allowed": true, "warnings": ["fine, but"]] } }
        let warned = c.post("/api/v1/namespaces/default/configmaps", configMap("yes"))
        #expect(warned.status == 201 && warned.headers["warning"] == #"299 - "fine, but""#)
        // A dry run is reviewed as one (v1 webhooks declare sideEffects None or NoneOnDryRun, so every
        // one of them is called for dry runs), and stores nothing.
        let dryRun = c.post("/api/v1/namespaces/default/configmaps?dryRun=All", configMap("dry"))
        #expect(dryRun.status == 201 && webhook.requests.last?["dryRun"] == true)
        #expect(c.get("/api/v1/namespaces/default/configmaps/dry").status == 404)
    }

    @Test func aWebhookThatCannotAnswerFailsTheWriteOrIsIgnored() throws {
        let c = try TestCluster()
        let webhook = try ScriptedWebhook()
        // Too slow for its timeoutSeconds.
        webhook.delay.withLock { $0 = 2 }
        register(c, ["url": .string(webhook.url), "caBundle": .string(ScriptedWebhook.caBundle)], timeout: 1)
        let slow = c.post("/api/v1/namespaces/default/configmaps", configMap("slow"))
        #expect(slow.status == 500 && slow.json["reason"] == "InternalError")
        #expect(slow.json["message"]?.stringValue?.hasPrefix(#"Internal error occurred: failed calling webhook "check.example.com": failed to call webhook: Post "\#(webhook.url)?timeout=1s""#) == true,
                "\(slow.json)")
        register(c, ["url": .string(webhook.url), "caBundle": .string(ScriptedWebhook.caBundle)], policy: "Ignore", timeout: 1)
        #expect(c.post("/api/v1/namespaces/default/configmaps", configMap("slow")).status == 201)
        webhook.delay.withLock { $0 = 0 }
        // An answer for another request.
        webhook.answer.withLock { $0 = { _ in ["allowed": true, "uid": "someone-else"] } }
        register(c, ["url": .string(webhook.url), "caBundle": .string(ScriptedWebhook.caBundle)])
        let stray = c.post("/api/v1/namespaces/default/configmaps", configMap("stray"))
        #expect(stray.status == 500 && stray.json["message"]?.stringValue?.contains(#"expected response.uid="#) == true, "\(stray.json)")
        // A certificate the caBundle does not vouch for.
        webhook.answer.withLock { $0 = { _ in ["allowed": true] } }
        let otherCA = try Data(contentsOf: URL(fileURLWithPath: TestCertificates.shared.otherCA)).base64EncodedString()
        register(c, ["url": .string(webhook.url), "caBundle": .string(otherCA)])
        #expect(c.post("/api/v1/namespaces/default/configmaps", configMap("untrusted")).status == 500)
    }

    /// The `service` form: NAME.NAMESPACE.svc, reached through the Service's Endpoints (the port of
    /// the same name) and verified for that name.
    @Test func aServiceIsReachedThroughItsEndpoints() throws {
        let c = try TestCluster()
        let webhook = try ScriptedWebhook()
        register(c, ["service": ["name": "checker", "namespace": "default", "path": "/validate", "port": 443], "caBundle": .string(ScriptedWebhook.caBundle)])
        let noService = c.post("/api/v1/namespaces/default/configmaps", configMap("a"))
        #expect(noService.json["message"]?.stringValue?.contains(#"failed to call webhook: service "checker" not found"#) == true, "\(noService.json)")
        _ = c.post("/api/v1/namespaces/default/services", ["apiVersion": "v1", "kind": "Service", "metadata": ["name": "checker"],
                                                           "spec": ["ports": [["name": "https", "port": 443, "targetPort": 9443]]]])
        let noEndpoints = c.post("/api/v1/namespaces/default/configmaps", configMap("b"))
        #expect(noEndpoints.json["message"]?.stringValue?.contains(#"endpoints "checker" not found"#) == true, "\(noEndpoints.json)")
        _ = c.post("/api/v1/namespaces/default/endpoints", ["apiVersion": "v1", "kind": "Endpoints", "metadata": ["name": "checker"],
                                                            "subsets": [["addresses": [["ip": "127.0.0.1"]], "ports": [["name": "https", "port": .integer(webhook.server.port)]]]]])
        // The test certificate names 127.0.0.1 and localhost, not checker.default.svc: refused as a real client refuses it.
        let wrongName = c.post("/api/v1/namespaces/default/configmaps", configMap("c"))
        #expect(wrongName.status == 500 && webhook.requests.isEmpty, "\(wrongName.json)")
        // One for checker.default.svc (the quick-start script's, for this Service), behind the same Endpoints.
        let directory = NSTemporaryDirectory() + "checker-certs-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let made = run("/usr/bin/env", ["NAMESPACE=default", "SERVICE=checker", "DAYS=2", "bash", repositoryRoot + "/scripts/webhook-certs.sh", "--out", directory])
        #expect(made.status == 0, "\(made.stderr)")
        let named = try ScriptedWebhook(certificate: directory + "/tls.crt", key: directory + "/tls.key")
        let bundle = try Data(contentsOf: URL(fileURLWithPath: directory + "/ca.crt")).base64EncodedString()
        register(c, ["service": ["name": "checker", "namespace": "default", "path": "/validate", "port": 443], "caBundle": .string(bundle)])
        _ = c.request("PUT", "/api/v1/namespaces/default/endpoints/checker", ["apiVersion": "v1", "kind": "Endpoints", "metadata": ["name": "checker"],
                                                                            "subsets": [["addresses": [["ip": "127.0.0.1"]], "ports": [["name": "https", "port": .integer(named.server.port)]]]]])
        #expect(c.post("/api/v1/namespaces/default/configmaps", configMap("d")).status == 201)
        #expect(named.reviews.withLock { $0.first?.path } == "/validate?timeout=10s")
    }
}
