import Foundation
import JSON
import KubeEmulator
import Locking
import TestSupport
import Testing
@testable import Kube

@Suite("Retry helpers", .runsOnOwnThreads)
struct RetryTests {
    @Test func retryAfterIsHonoured() async throws {
        let f = try ClientFixture()
        let client = f.client()
        f.emulator.inject(Fault(verb: "get", pathPrefix: "/api/v1/namespaces/default", status: 429, retryAfterSeconds: 1, count: 1))
        let start = Date()
        let namespace = try await Retry.onRetryable { () async throws(KubeError) -> JSONValue in
            try await client.get(.namespaces, namespace: nil, name: "default")
        }
        #expect(namespace["kind"] == "Namespace")
        #expect(Date().timeIntervalSince(start) >= 1, "waited as the server asked")
        #expect(f.emulator.requests.filter { $0.verb == "get" }.map(\.status) == [429, 200])
    }

    @Test func retryableErrorsBackOffThenGiveUp() async throws {
        let f = try ClientFixture()
        let client = f.client()
        f.emulator.inject(Fault(verb: "get", pathPrefix: "/api/v1", status: 503, count: 3))
        let attempts = Locked(0)
        let error = await kubeError {
            _ = try await Retry.onRetryable(attempts: 3, backoff: Backoff(initial: .milliseconds(10), maximum: .milliseconds(50))) { () async throws(KubeError) -> JSONValue in
                attempts.withLock { $0 += 1 }
                return try await client.get(.namespaces, namespace: nil, name: "default")
            }
        }
        #expect(error?.kind == .serviceUnavailable)
        #expect(attempts.withLock { $0 } == 3)
        let notRetried = await kubeError {
            _ = try await Retry.onRetryable { () async throws(KubeError) -> JSONValue in try await client.get(.namespaces, namespace: nil, name: "nope") }
        }
        #expect(notRetried?.kind == .notFound)
    }

    @Test func readModifyWriteSurvivesAConcurrentEdit() async throws {
        let f = try ClientFixture()
        let client = f.client()
        _ = try await client.create(.configMaps, namespace: "default", configMap("shared", data: ["count": "0"]))
        let interfered = Locked(false)
        try await Retry.onConflict { () async throws(KubeError) -> Void in
            var object = try await client.get(.configMaps, namespace: "default", name: "shared").objectValue ?? [:]
            if !interfered.withLock({ $0 }) {
                // Someone else writes between our read and our write, once.
                interfered.withLock { $0 = true }
                _ = try await client.patch(.configMaps, namespace: "default", name: "shared", .merge(["data": ["other": "x"]]))
            }
            object["data"] = object["data"].map { $0.applyingMergePatch(["count": "1"]) }
            _ = try await client.replace(.configMaps, namespace: "default", name: "shared", .object(object))
        }
        let final = try await client.get(.configMaps, namespace: "default", name: "shared")
        #expect(final["data"] == ["count": "1", "other": "x"], "neither write was lost")
        #expect(f.emulator.requests.filter { $0.verb == "update" }.map(\.status) == [409, 200])
    }

    /// Retry-After in its delay-seconds form (an HTTP-date is not read), or a `Status`'s
    /// `details.retryAfterSeconds` when the header is missing (client-go's SuggestsClientDelay).
    @Test func retryAfterFromTheHeaderOrTheStatus() {
        #expect(KubeError.retryAfterSeconds(" 3 ") == 3)
        #expect(KubeError.retryAfterSeconds("Wed, 21 Oct 2015 07:28:00 GMT") == nil)
        #expect(KubeError.retryAfterSeconds("-1") == nil)
        let status = #"{"kind":"Status","apiVersion":"v1","status":"Failure","message":"too many requests","reason":"TooManyRequests","details":{"retryAfterSeconds":7},"code":429}"#
        let fromStatus = KubeError.fromResponse(statusCode: 429, body: Array(status.utf8), retryAfter: nil)
        #expect(fromStatus.kind == .tooManyRequests && fromStatus.retryAfter == 7 && fromStatus.retryAfterDuration == .seconds(7))
        #expect(KubeError.fromResponse(statusCode: 429, body: Array(status.utf8), retryAfter: 2).retryAfter == 2, "the header wins")
    }
}
