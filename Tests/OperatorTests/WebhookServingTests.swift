import Foundation
import HTTPKit
import HTTPKitTLS
import JSON
import TestSupport
import Testing
@testable import Operator

/// The webhook's listener: its certificate read again when the files rotate (controller-runtime's
/// certwatcher), and its answers to what is not a good AdmissionReview (controller-runtime's).
@Suite("The webhook's listener", .serialized, .runsOnOwnThreads)
struct WebhookServingTests {
    let certificates = TestCertificates.shared

    func curl(_ port: Int, ca: String, _ extra: [String] = []) -> (status: Int32, stdout: String, stderr: String) {
        run("/usr/bin/curl", ["-sS", "--max-time", "10", "--cacert", ca] + extra + ["https://127.0.0.1:\(port)/"])
    }

    @Test func aRotatedCertificateIsUsedFromTheNextHandshakeWithoutARestart() throws {
        let directory = NSTemporaryDirectory() + "rotation-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try FileManager.default.copyItem(atPath: certificates.serverCertificate, toPath: directory + "/tls.crt")
        try FileManager.default.copyItem(atPath: certificates.serverKey, toPath: directory + "/tls.key")
        let context = try RotatingTLSServerContext(certificateFile: directory + "/tls.crt", keyFile: directory + "/tls.key")
        let server = try HTTPServer(host: "127.0.0.1", port: 0, tls: context) { _, writer in
            writer.send(status: 200, headers: [("Content-Type", "text/plain")], body: Array("ok".utf8))
        }
        defer { server.stop() }
        #expect(curl(server.port, ca: certificates.ca).stdout == "ok")
        #expect(curl(server.port, ca: certificates.otherCA).status != 0)

        // The renewed pair, from another CA, swapped in as the kubelet swaps a Secret's files (rename).
        let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        run("/usr/bin/openssl", ["req"] + ec + ["-keyout", directory + "/new.key", "-out", directory + "/new.csr", "-subj", "/CN=127.0.0.1"])
        try "subjectAltName=IP:127.0.0.1\n".write(toFile: directory + "/ext.cnf", atomically: true, encoding: .utf8)
        run("/usr/bin/openssl", ["x509", "-req", "-in", directory + "/new.csr", "-CA", certificates.otherCA, "-CAkey", certificates.directory + "/other-ca.key",
                                 "-CAcreateserial", "-CAserial", directory + "/serial", "-out", directory + "/new.crt", "-days", "2", "-extfile", directory + "/ext.cnf"])
        _ = rename(directory + "/new.key", directory + "/tls.key")
        _ = rename(directory + "/new.crt", directory + "/tls.crt")
        #expect(curl(server.port, ca: certificates.otherCA).stdout == "ok", "the new pair")
        #expect(curl(server.port, ca: certificates.ca).status != 0, "the old one is gone")
        #expect(context.reloads == 1)

        // Half a rotation (a key that does not match the certificate): the last good pair stays in use.
        try FileManager.default.removeItem(atPath: directory + "/tls.key")
        try FileManager.default.copyItem(atPath: certificates.serverKey, toPath: directory + "/tls.key")
        #expect(curl(server.port, ca: certificates.otherCA).stdout == "ok")
        #expect(context.lastReloadError?.contains("key values mismatch") == true, "\(context.lastReloadError ?? "")")
    }

    /// What is not a good review is answered in a review, with code 400, as controller-runtime answers it.
    @Test func malformedReviewsAreAnsweredWithCode400() throws {
        let webhook = PoolAdmissionWebhook(pools: { _ in [] })
        let server = try HTTPServer(host: "127.0.0.1", port: 0, tls: nil) { request, writer in webhook.handle(request, writer) }
        defer { server.stop() }
        let url = "http://127.0.0.1:\(server.port)\(PoolAdmissionWebhook.path)"
        func post(_ body: String, contentType: String = "application/json") -> JSONValue {
            let r = run("/usr/bin/curl", ["-sS", "-X", "POST", "-H", "Content-Type: \(contentType)", "--data-binary", "@-", url], stdin: body)
            return (try? JSONValue(parsing: r.stdout)) ?? .null
        }
        let text = post("{}", contentType: "text/plain")
        #expect(text["response"]?["allowed"] == false && text["response"]?["status"]?["code"] == 400)
        #expect(text["response"]?["status"]?["message"] == "contentType=text/plain, expected application/json")
        #expect(post("not json")["response"]?["status"]?["code"] == 400)
        #expect(post(#"{"kind":"AdmissionReview","apiVersion":"admission.k8s.io/v2"}"#)["response"]?["status"]?["message"] == "unsupported AdmissionReview apiVersion admission.k8s.io/v2")
        // v1beta1 is answered in v1beta1; an operation it is not registered for is let through.
        let beta = post(#"{"kind":"AdmissionReview","apiVersion":"admission.k8s.io/v1beta1","request":{"uid":"u1","operation":"DELETE","namespace":"default","name":"p"}}"#)
        #expect(beta == ["kind": "AdmissionReview", "apiVersion": "admission.k8s.io/v1beta1", "response": ["uid": "u1", "allowed": true]])
        #expect(run("/usr/bin/curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", "http://127.0.0.1:\(server.port)/other"]).stdout == "404")
        #expect(run("/usr/bin/curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", url]).stdout == "405")
        #expect(webhook.counts["errored"] == 3 && webhook.counts["allowed"] == 1)
    }
}
