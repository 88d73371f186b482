import Autoscaling
import Foundation
import HTTPKit
import HTTPKitTLS
import JSON
import Testing
import TestSupport
@testable import MetricsSources
@testable import Operator

/// A stand-in Prometheus API answering every query with 0.25, to check what the source sends:
/// credentials, TLS, the query text.
func cannedPrometheus(tls: TLSServerContext? = nil) throws -> TestExporter {
    let server = try TestExporter(tls: tls)
    server.otherPaths.withLock {
        $0["/api/v1/query"] = (200, #"{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1700000000.5,"0.25"]}]}}"#)
    }
    return server
}

/// `poolAddress`: the pool's own `metrics.prometheus.address` (default: the connection's; "" for none).
func readP90(_ connection: PrometheusConnection, poolAddress: String? = nil) async throws -> MetricSample {
    let source = PrometheusQuerySource(connection: connection, templates: [.p90: #"max(p90{namespace="{{namespace}}",pool="{{pool}}",model="{{model}}",target="{{target}}"})"#])
    let address = poolAddress ?? connection.address
    let prometheus: JSONValue = address.isEmpty ? [:] : ["address": .string(address)]
    let pool = try #require(ElasticInferencePool.check(poolObject(port: 1, source: "Prometheus", prometheus: prometheus), cache: ThresholdExpressionCache()).pool)
    let target = try #require(DeploymentView(["apiVersion": "apps/v1", "kind": "Deployment", "metadata": ["name": "model"]]))
    return await source.read(MetricsQuery(pool: pool, target: target, metrics: [.p90], now: Timestamp(secondsSinceEpoch: 0)))
}

func temporaryFile(_ text: String) throws -> String {
    let path = NSTemporaryDirectory() + "eip-secret-\(UUID().uuidString.prefix(8))"
    try text.write(toFile: path, atomically: true, encoding: .utf8)
    return path
}

@Suite("Prometheus connection: query text, credentials, TLS", .serialized)
struct PrometheusConnectionTests {
    @Test func theQueryIsTheTemplateWithThePoolsNamesAndItsTimeComesBack() async throws {
        let server = try cannedPrometheus()
        defer { server.stop() }
        let sample = try await readP90(PrometheusConnection(address: server.url))
        // The value and Prometheus' own evaluation time; freshness is judged by when the operator read it.
        #expect(sample.readings[.p90]?.value == 0.25)
        #expect(sample.readings[.p90]?.sampledAt == Timestamp(secondsSinceEpoch: 1700000000.5))
        #expect(server.lastHeaders.withLock { $0["authorization"] } == nil)
    }

    @Test func templatesFillAndEscapeTheirPlaceholders() throws {
        let values = ["namespace": "ml", "pool": "p", "model": #"a"b\c"#, "target": "t"]
        #expect(try QueryTemplates.render(#"x{model="{{model}}",ns="{{ namespace }}"}"#, values).get() == #"x{model="a\"b\\c",ns="ml"}"#)
        #expect(throws: TemplateError.self) { try QueryTemplates.render("x{{{nope}}}", values).get() }
        #expect((try? QueryTemplates.render("{{pool", values).get()) == nil)
        #expect(try QueryTemplates.combined(["triton", "dcgm"]).get()[.gpuUtil]?.contains("DCGM_FI_DEV_GPU_UTIL") == true)
        #expect(try QueryTemplates.combined(["triton", "dcgm"]).get()[.p90]?.contains("histogram_quantile(0.9") == true)
        #expect((try? QueryTemplates.combined(["tritn"]).get()) == nil)
        #expect(try QueryTemplates.combined(list: " triton , dcgm").get() == QueryTemplates.combined(["triton", "dcgm"]).get(), "a flag's list, spaces and all")
    }

    @Test func aBearerTokenIsReadFromItsFile() async throws {
        let server = try cannedPrometheus()
        defer { server.stop() }
        var connection = PrometheusConnection(address: server.url)
        connection.bearerTokenFile = try temporaryFile("s3cret\n")
        defer { try? FileManager.default.removeItem(atPath: connection.bearerTokenFile ?? "") }
        #expect(try await readP90(connection).readings[.p90] != nil)
        #expect(server.lastHeaders.withLock { $0["authorization"] } == "Bearer s3cret")
    }

    @Test func basicAuthSendsUserAndPassword() async throws {
        let server = try cannedPrometheus()
        defer { server.stop() }
        var connection = PrometheusConnection(address: server.url)
        connection.basicAuthUsername = "eip"
        connection.basicAuthPasswordFile = try temporaryFile("pa:ss\n")
        defer { try? FileManager.default.removeItem(atPath: connection.basicAuthPasswordFile ?? "") }
        #expect(try await readP90(connection).readings[.p90] != nil)
        #expect(server.lastHeaders.withLock { $0["authorization"] } == "Basic " + Data("eip:pa:ss".utf8).base64EncodedString())
    }

    @Test func theOperatorsTokenGoesOnlyToTheOperatorsPrometheus() async throws {
        let own = try cannedPrometheus()
        let foreign = try cannedPrometheus()
        defer { own.stop(); foreign.stop() }
        var connection = PrometheusConnection(address: own.url)
        connection.bearerTokenFile = try temporaryFile("s3cret")
        defer { try? FileManager.default.removeItem(atPath: connection.bearerTokenFile ?? "") }
        #expect(try await readP90(connection, poolAddress: foreign.url).readings[.p90] != nil)
        #expect(foreign.requests.withLock { $0 } == 1)
        #expect(foreign.lastHeaders.withLock { $0["authorization"] } == nil)
        #expect(try await readP90(connection, poolAddress: own.url + "/").readings[.p90] != nil)
        #expect(own.lastHeaders.withLock { $0["authorization"] } == "Bearer s3cret")
    }

    @Test func aPoolThatNamesNoAddressUsesTheOperatorsPrometheusWithItsToken() async throws {
        let server = try cannedPrometheus()
        defer { server.stop() }
        var connection = PrometheusConnection(address: server.url)
        connection.bearerTokenFile = try temporaryFile("s3cret")
        defer { try? FileManager.default.removeItem(atPath: connection.bearerTokenFile ?? "") }
        #expect(try await readP90(connection, poolAddress: "").readings[.p90]?.value == 0.25)
        #expect(server.lastHeaders.withLock { $0["authorization"] } == "Bearer s3cret")
        // Without an operator-wide Prometheus either, the read fails and says where to set one.
        let nowhere = PrometheusQuerySource(connection: nil)
        let pool = try #require(ElasticInferencePool.check(poolObject(port: 1, source: "Prometheus"), cache: ThresholdExpressionCache()).pool)
        let target = try #require(DeploymentView(["apiVersion": "apps/v1", "kind": "Deployment", "metadata": ["name": "model"]]))
        let sample = await nowhere.read(MetricsQuery(pool: pool, target: target, metrics: [.p90], now: Timestamp(secondsSinceEpoch: 0)))
        #expect(sample.failure?.hasPrefix("no Prometheus address") == true)
    }

    @Test func httpsIsVerifiedAgainstTheGivenCAAndRefusedWithAnother() async throws {
        let certificates = TestCertificates.shared
        let server = try cannedPrometheus(tls: try TLSServerContext(certificateFile: certificates.serverCertificate, keyFile: certificates.serverKey))
        defer { server.stop() }
        var connection = PrometheusConnection(address: "https://127.0.0.1:\(server.port)")
        connection.caFile = certificates.ca
        #expect(try await readP90(connection).readings[.p90]?.value == 0.25)
        connection.caFile = certificates.otherCA
        let refused = try await readP90(connection)
        #expect(refused.readings.isEmpty)
        #expect(refused.failure?.isEmpty == false, "an unknown CA is refused, never skipped")
    }

    @Test func aQueryThatOutlastsTheTimeoutIsAFailureNotAWait() async throws {
        let server = try cannedPrometheus()
        defer { server.stop() }
        server.behaviour.withLock { $0 = .slow(3) }  // it would answer 0.25, three seconds late
        var connection = PrometheusConnection(address: server.url)
        connection.timeout = 1
        let sample = try await readP90(connection)
        #expect(sample.readings.isEmpty)
        #expect(sample.failure?.contains("timed out") == true, "\(sample.failure ?? "")")
        #expect(server.requests.withLock { $0 } == 1, "it was asked, and did not answer in time")
    }

    @Test func anErrorStatusIsUnknownWithPrometheusOwnWords() async throws {
        let server = try TestExporter()
        defer { server.stop() }
        server.otherPaths.withLock {
            $0["/api/v1/query"] = (422, #"{"status":"error","errorType":"execution","error":"query processing would load too many samples"}"#)
        }
        let sample = try await readP90(PrometheusConnection(address: server.url))
        #expect(sample.readings.isEmpty)
        #expect(sample.failure == nil, "Prometheus answered: the query failed, not the source")
        #expect(sample.unknownReasons[.p90]?.hasPrefix("execution: query processing would load too many samples (query max(p90{namespace=\"default\",pool=\"pool\",model=\"bert\",target=\"model\"}))") == true,
                "\(sample.unknownReasons)")
    }
}
