import Foundation
import JSON
import KubeEmulator
import TestSupport
import Testing
@testable import Kube

@Suite("Client verbs against the emulator over TLS", .runsOnOwnThreads)
struct ClientVerbTests {
    @Test func createGetReplacePatchDelete() async throws {
        let f = try ClientFixture()
        let client = f.client()
        let created = try await client.create(.configMaps, namespace: "default", configMap("a", data: ["k": "1"]))
        #expect(created["metadata"]?["uid"] != nil)
        var object = try await client.get(.configMaps, namespace: "default", name: "a").objectValue ?? [:]
        object["data"] = ["k": "2"]
        let replaced = try await client.replace(.configMaps, namespace: "default", name: "a", .object(object))
        #expect(replaced["data"]?["k"] == "2")
        let merged = try await client.patch(.configMaps, namespace: "default", name: "a", .merge(["data": ["m": "3"]]))
        #expect(merged["data"] == ["k": "2", "m": "3"])
        let jsonPatched = try await client.patch(.configMaps, namespace: "default", name: "a", .json([["op": "remove", "path": "/data/k"]]))
        #expect(jsonPatched["data"] == ["m": "3"])
        let applied = try await client.patch(.configMaps, namespace: "default", name: "a",
                                             .apply(configMap("a", data: ["s": "4"]), fieldManager: "client-test"))
        #expect(applied["data"]?["s"] == "4")
        let status = try await client.delete(.configMaps, namespace: "default", name: "a")
        #expect(status["status"] == "Success")
        #expect(await kubeError { _ = try await client.get(.configMaps, namespace: "default", name: "a") }?.kind == .notFound)
    }

    @Test func strategicMergeStatusAndScale() async throws {
        let f = try ClientFixture()
        let client = f.client()
        _ = try await client.create(.deployments, namespace: "default", deployment("web"))
        let patched = try await client.patch(.deployments, namespace: "default", name: "web",
                                             .strategicMerge(["spec": ["template": ["spec": ["containers": [["name": "server", "env": [["name": "A", "value": "1"]]]]]]]]))
        #expect(patched["spec"]?["template"]?["spec"]?["containers"]?.arrayValue?.first?["image"] == "triton:24.01")
        let status = try await client.patch(.deployments, namespace: "default", name: "web", .merge(["status": ["readyReplicas": 2]]), subresource: "status")
        #expect(status["status"]?["readyReplicas"] == 2)
        try await client.setReplicas(.deployments, namespace: "default", name: "web", to: 5)
        #expect(try await client.scale(.deployments, namespace: "default", name: "web")["spec"]?["replicas"] == 5)
        #expect(f.emulator.requests.last { $0.verb == "patch" }?.contentType == "application/merge-patch+json")
    }

    @Test func listFollowsContinueTokensAndReturnsTheListResourceVersion() async throws {
        let f = try ClientFixture()
        let client = f.client()
        for i in 0..<7 { _ = try await client.create(.configMaps, namespace: "default", configMap("c\(i)")) }
        let list = try await client.list(.configMaps, namespace: "default", limit: 3)
        #expect(list.items.count == 7)
        #expect(Int(list.resourceVersion) == f.emulator.resourceVersion)
        #expect(f.emulator.requests.filter { $0.verb == "list" }.count == 3, "\(f.emulator.requests.filter { $0.verb == "list" }.map(\.query))")
        let selected = try await client.list(.configMaps, namespace: "default", fieldSelector: "metadata.name=c3")
        #expect(selected.items.count == 1)
    }

    @Test func errorsAreTypedAndKeepTheStatus() async throws {
        let f = try ClientFixture()
        let client = f.client()
        _ = try await client.create(.configMaps, namespace: "default", configMap("a"))
        let exists = await kubeError { _ = try await client.create(.configMaps, namespace: "default", configMap("a")) }
        #expect(exists?.kind == .alreadyExists)
        #expect(exists?.statusCode == 409)
        #expect(exists?.status?["reason"] == "AlreadyExists")
        let stale = try await client.get(.configMaps, namespace: "default", name: "a")
        _ = try await client.patch(.configMaps, namespace: "default", name: "a", .merge(["data": ["x": "1"]]))
        #expect(await kubeError { _ = try await client.replace(.configMaps, namespace: "default", name: "a", stale) }?.kind == .conflict)
        let invalid = await kubeError {
            _ = try await client.patch(.configMaps, namespace: "default", name: "a", .json([["op": "test", "path": "/data/x", "value": "2"]]))
        }
        #expect(invalid?.kind == .invalid)
        #expect(await kubeError { _ = try await client.get(.configMaps, namespace: "nowhere", name: "a") }?.kind == .notFound)
    }

    @Test func retryAfterAndServerErrorsAreTyped() async throws {
        let f = try ClientFixture()
        let client = f.client()
        f.emulator.inject(Fault(verb: "get", pathPrefix: "/api/v1", status: 429, retryAfterSeconds: 2))
        let throttled = await kubeError { _ = try await client.get(.namespaces, namespace: nil, name: "default") }
        #expect(throttled?.kind == .tooManyRequests)
        #expect(throttled?.retryAfter == 2)
        #expect(throttled?.isRetryable == true)
        f.emulator.inject(Fault(verb: "get", pathPrefix: "/api/v1", status: 503))
        #expect(await kubeError { _ = try await client.get(.namespaces, namespace: nil, name: "default") }?.kind == .serviceUnavailable)
        f.emulator.inject(Fault(verb: "get", pathPrefix: "/api/v1", status: 500))
        #expect(await kubeError { _ = try await client.get(.namespaces, namespace: nil, name: "default") }?.kind == .internalError)
        #expect(try await client.get(.namespaces, namespace: nil, name: "default")["metadata"]?["name"] == "default")
    }

    @Test func connectionsAreReused() async throws {
        let f = try ClientFixture()
        let client = f.client()
        for _ in 0..<5 { _ = try await client.get(.namespaces, namespace: nil, name: "default") }
        #expect(f.emulator.openConnections == 1)
    }
}

@Suite("Client transport: TLS, tokens, failures, timeouts, cancellation", .runsOnOwnThreads)
struct ClientTransportTests {
    @Test func aWrongCAIsRefused() async throws {
        let f = try ClientFixture()
        let client = f.client { $0.certificateAuthority = .file(f.certificates.otherCA) }
        let error = await kubeError { _ = try await client.get(.namespaces, namespace: nil, name: "default") }
        #expect(error?.kind == .tlsVerification, "\(String(describing: error))")
    }

    @Test func theCAMayBeGivenInMemory() async throws {
        let f = try ClientFixture()
        let pem = try [UInt8](Data(contentsOf: URL(fileURLWithPath: f.certificates.ca)))
        let client = f.client { $0.certificateAuthority = .data(pem) }
        #expect(try await client.get(.namespaces, namespace: nil, name: "default")["kind"] == "Namespace")
    }

    @Test func insecureSkipVerifyOnlyWhenAsked() async throws {
        let f = try ClientFixture()
        let client = f.client {
            $0.certificateAuthority = nil
            $0.insecureSkipTLSVerify = true
        }
        #expect(try await client.get(.namespaces, namespace: nil, name: "default")["kind"] == "Namespace")
        let verifying = f.client { $0.certificateAuthority = nil }
        #expect(await kubeError { _ = try await verifying.get(.namespaces, namespace: nil, name: "default") }?.kind == .tlsVerification)
    }

    @Test func unauthorizedIsTyped() async throws {
        let f = try ClientFixture()
        let client = f.client(credentials: StaticToken("wrong"))
        let error = await kubeError { _ = try await client.get(.namespaces, namespace: nil, name: "default") }
        #expect(error?.kind == .unauthorized)
        #expect(error?.statusCode == 401)
    }

    @Test func aRotatedTokenFileIsPickedUp() async throws {
        let f = try ClientFixture()
        let clientTokens = NSTemporaryDirectory() + "client-tokens-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: clientTokens) }
        try "client-token".write(toFile: clientTokens, atomically: true, encoding: .utf8)
        let client = f.client(credentials: TokenFile(path: clientTokens, maximumAge: 3600))
        _ = try await client.get(.namespaces, namespace: nil, name: "default")
        // The server now accepts only a new token, and the client's file holds it.
        try "rotated-token".write(toFile: f.tokenFile, atomically: true, encoding: .utf8)
        try "rotated-token".write(toFile: clientTokens, atomically: true, encoding: .utf8)
        #expect(try await client.get(.namespaces, namespace: nil, name: "default")["kind"] == "Namespace")
        let sent = f.emulator.requests.suffix(2).map(\.status)
        #expect(sent.allSatisfy { $0 == 200 }, "the new token was used: \(sent)")
    }

    @Test func connectionRefusedIsTyped() async throws {
        var c = TransportConfiguration(server: "https://127.0.0.1:1")
        c.connectTimeout = 2
        let client = KubeClient(transport: HTTPTransport(c))
        #expect(await kubeError { _ = try await client.get(.namespaces, namespace: nil, name: "default") }?.kind == .connectionFailed)
    }

    @Test func requestTimeout() async throws {
        let f = try ClientFixture()
        f.emulator.inject(Fault(verb: "get", pathPrefix: "/api/v1/namespaces/default", delaySeconds: 2))
        let client = f.client { $0.requestTimeout = 0.5 }
        let error = await kubeError { _ = try await client.get(.namespaces, namespace: nil, name: "default") }
        #expect(error?.kind == .timedOut)
    }

    @Test func cancellingAnInFlightRequestStopsItWithinASecond() async throws {
        let f = try ClientFixture()
        // An answer 60 s late: past the client's 30 s request timeout, so only a working cancel ends it
        // as `.cancelled` (a timeout would say `.timedOut`).
        f.emulator.inject(Fault(verb: "get", pathPrefix: "/api/v1/namespaces/default", delaySeconds: 60))
        let client = f.client()
        let start = Date()
        let task = Task { try await client.get(.namespaces, namespace: nil, name: "default") }
        try await Task.sleep(nanoseconds: 200_000_000)
        task.cancel()
        let error = await kubeError { _ = try await task.value }
        #expect(error?.kind == .cancelled)
        // Within a second of the cancel, as the progress callback polls; the slack is for a loaded
        // machine, where this task itself may wait seconds for a thread.
        #expect(Date().timeIntervalSince(start) < 20)
    }
}

@Suite("Client certificates (x509 authentication)", .runsOnOwnThreads)
struct ClientCertificateTests {
    @Test func aClientCertificateFromFilesAuthenticatesWithoutAToken() async throws {
        let f = try ClientFixture(clientCA: true)
        let client = KubeClient(transport: HTTPTransport({
            var c = f.transportConfiguration()
            c.clientCertificate = .file(f.certificates.clientCertificate)
            c.clientKey = .file(f.certificates.clientKey)
            return c
        }()))
        #expect(try await client.get(.namespaces, namespace: nil, name: "default")["kind"] == "Namespace")
        let anonymous = KubeClient(transport: HTTPTransport(f.transportConfiguration()))
        #expect(await kubeError { _ = try await anonymous.get(.namespaces, namespace: nil, name: "default") }?.kind == .unauthorized)
    }

    @Test func aClientCertificateInMemoryToo() async throws {
        let f = try ClientFixture(clientCA: true)
        let certificate = try [UInt8](Data(contentsOf: URL(fileURLWithPath: f.certificates.clientCertificate)))
        let key = try [UInt8](Data(contentsOf: URL(fileURLWithPath: f.certificates.clientKey)))
        let client = KubeClient(transport: HTTPTransport({
            var c = f.transportConfiguration()
            c.clientCertificate = .data(certificate)
            c.clientKey = .data(key)
            return c
        }()))
        #expect(try await client.get(.namespaces, namespace: nil, name: "default")["kind"] == "Namespace")
    }

    @Test func aCertificateFromAnotherCAIsRefused() async throws {
        let f = try ClientFixture(clientCA: true)
        let client = KubeClient(transport: HTTPTransport({
            var c = f.transportConfiguration()
            c.clientCertificate = .file(f.certificates.strangerCertificate)
            c.clientKey = .file(f.certificates.strangerKey)
            return c
        }()))
        let error = await kubeError { _ = try await client.get(.namespaces, namespace: nil, name: "default") }
        #expect(error?.kind == .connectionFailed || error?.kind == .tlsVerification, "\(String(describing: error))")
    }
}

@Suite("Client lists", .runsOnOwnThreads)
struct ClientListTests {
    @Test func listItemsGetTheirKindAndAPIVersion() async throws {
        let f = try ClientFixture()
        let client = f.client()
        _ = try await client.create(.deployments, namespace: "default", deployment("web"))
        let raw = try await client.call("GET", ResourceRef.deployments.path(namespace: "default"))
        #expect(raw["items"]?.arrayValue?.first?["kind"] == nil, "the server leaves them out, as the real one does")
        let item = try #require(try await client.list(.deployments, namespace: "default").items.first)
        #expect(item["kind"] == "Deployment")
        #expect(item["apiVersion"] == "apps/v1")
    }
}
