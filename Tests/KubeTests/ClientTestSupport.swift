import Foundation
import JSON
import KubeEmulator
import TestSupport
@testable import Kube

/// An emulator on TLS with a token file, and a client for it.
final class ClientFixture: @unchecked Sendable {
    let emulator: KubeEmulator
    let tokenFile: String
    let certificates = TestCertificates.shared

    init(bookmarkInterval: Double = 60, historyLimit: Int = 10_000, token: String = "client-token", clientCA: Bool = false,
         expiredWatchAnswer: KubeEmulator.ExpiredWatchAnswer = .errorEvent) throws {
        tokenFile = NSTemporaryDirectory() + "kube-client-token-\(UUID().uuidString)"
        try token.write(toFile: tokenFile, atomically: true, encoding: .utf8)
        var configuration = KubeEmulator.Configuration()
        configuration.tlsCertificateFile = certificates.serverCertificate
        configuration.tlsKeyFile = certificates.serverKey
        configuration.tokenFile = tokenFile
        configuration.bookmarkIntervalSeconds = bookmarkInterval
        configuration.historyLimit = historyLimit
        configuration.podStartDelaySeconds = nil
        configuration.expiredWatchAnswer = expiredWatchAnswer
        if clientCA { configuration.clientCAFile = certificates.ca }
        emulator = try KubeEmulator(configuration)
    }

    deinit {
        emulator.stop()
        try? FileManager.default.removeItem(atPath: tokenFile)
    }

    func transportConfiguration() -> TransportConfiguration {
        var c = TransportConfiguration(server: emulator.url)
        c.certificateAuthority = .file(certificates.ca)
        return c
    }

    func client(_ configure: (inout TransportConfiguration) -> Void = { _ in }, credentials: (any CredentialSource)? = nil) -> KubeClient {
        var c = transportConfiguration()
        configure(&c)
        return KubeClient(transport: HTTPTransport(c, credentials: credentials ?? StaticToken("client-token")))
    }
}

func configMap(_ name: String, data: JSONValue = .object([:]), labels: JSONValue = .object([:])) -> JSONValue {
    ["apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": .string(name), "labels": labels], "data": data]
}

func deployment(_ name: String, replicas: Int = 2) -> JSONValue {
    ["apiVersion": "apps/v1", "kind": "Deployment", "metadata": ["name": .string(name)],
     "spec": ["replicas": .integer(replicas), "selector": ["matchLabels": ["app": .string(name)]],
              "template": ["metadata": ["labels": ["app": .string(name)]], "spec": ["containers": [["name": "server", "image": "triton:24.01"]]]]]]
}

/// The error a throwing async call throws, as a KubeError.
func kubeError(_ body: () async throws -> Void) async -> KubeError? {
    await thrownError(KubeError.self, other: { KubeError(.transport, $0) }, body)
}
