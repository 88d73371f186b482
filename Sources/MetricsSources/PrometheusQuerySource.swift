import Autoscaling
import Foundation
import JSON
import HTTPClient
import Locking

/// How to reach a Prometheus server: its address, credentials and CA, and how long a query may take.
public struct PrometheusConnection: Sendable, Equatable {
    /// `http://prometheus.monitoring:9090` (a path prefix such as `/prometheus` is kept).
    public var address: String
    /// A bearer token, re-read from this file as it rotates.
    public var bearerTokenFile: String?
    /// Basic auth: the user name (with ``basicAuthPasswordFile``).
    public var basicAuthUsername: String?
    /// Basic auth: a file holding the password, re-read for every request (a rotated Secret works).
    public var basicAuthPasswordFile: String?
    /// A PEM CA bundle to verify an `https://` address against (else the system's).
    public var caFile: String?
    /// Seconds a query may take.
    public var timeout = Defaults.prometheusQueryTimeoutSeconds

    /// A connection to `address`, without credentials.
    public init(address: String) { self.address = address }
}

/// The Prometheus HTTP API source (SPEC §6): one instant query (`/api/v1/query`) per metric, from
/// the templates with the pool's names filled in, all at once. An empty result, NaN, several series
/// or an error make that metric unknown with the reason — never zero. The operator's credentials go
/// only to the operator's own Prometheus: a pool naming another address gets no token (a pool author
/// could otherwise collect it with a server of their own).
public final class PrometheusQuerySource: MetricsSource {
    let connection: PrometheusConnection?
    let templates: [MetricName: String]
    /// Query timeout for pools that name a Prometheus of their own.
    let timeout: Double
    private let transports = Locked<[String: HTTPTransport]>([:])

    /// `connection`: the operator-wide Prometheus (nil: only pools that name one can use this source).
    public init(connection: PrometheusConnection?, templates: [MetricName: String] = QueryTemplates.triton,
                timeout: Double = Defaults.prometheusQueryTimeoutSeconds) {
        self.connection = connection
        self.templates = templates
        self.timeout = connection?.timeout ?? timeout
    }

    public var kind: String { "prometheus" }

    /// One instant query per metric the rules read, all at once.
    public func read(_ query: MetricsQuery) async -> MetricSample {
        guard let connection = connection(for: query.pool) else {
            return MetricSample(failure: "no Prometheus address: set the pool's metrics.prometheus.address or the operator's --prometheus-address",
                                source: "Prometheus")
        }
        let source = "Prometheus \(connection.address)"
        let templates = QueryTemplates.templates(for: query.pool, base: self.templates)
        let values = QueryTemplate.values(for: query.pool, target: query.target.name)

        // Only the metrics the rules read, and qps where a template gives it (the engine sizes the
        // pool from it and tells idle from failing by it): each is a query on every poll of every
        // pool, and a Prometheus serving a thousand pools feels each extra one.
        var wanted = query.metrics
        if !wanted.contains(.qps), templates[.qps] != nil { wanted.append(.qps) }
        var unknown: [MetricName: String] = [:]
        var promql: [(MetricName, String)] = []
        for metric in wanted {
            guard let template = templates[metric] else {
                unknown[metric] = metric.isBuiltIn ? "no query template for \(metric.rawValue): add metrics.prometheus.queries.\(metric.rawValue)"
                    : "no query for \(metric.rawValue): add its prometheus.query in metrics.custom, or metrics.prometheus.queries.\(metric.rawValue)"
                continue
            }
            switch QueryTemplates.render(template, values) {
            case .success(let text): promql.append((metric, text))
            case .failure(let error): unknown[metric] = error.description
            }
        }

        let transport = transport(for: connection)
        let answers = await withTaskGroup(of: (MetricName, Result<MetricReading, QueryFailure>).self) { group in
            for (metric, text) in promql {
                group.addTask { (metric, await Self.instantQuery(text, transport: transport, timeout: connection.timeout)) }
            }
            var all: [(MetricName, Result<MetricReading, QueryFailure>)] = []
            for await answer in group { all.append(answer) }
            return all
        }
        var readings: [MetricName: MetricReading] = [:]
        var failures: [String] = []
        let units = query.pool.spec.metrics
        for (metric, answer) in answers {
            switch answer {
            case .success(var reading):
                // Fresh by when the operator read it; the server's own time stays as sampledAt (skew is reported).
                reading.readAt = query.now
                // A pool's own metric is queried in its declared unit (a percentage, milliseconds, …).
                if let unit = units?.definition(of: metric)?.unit { reading.value /= unit.perCanonical }
                readings[metric] = reading
            case .failure(let failure):
                unknown[metric] = failure.message
                if failure.isTransport { failures.append(failure.message) }
            }
        }
        // Prometheus itself unreachable (every query failed to get through): the source failed.
        if readings.isEmpty, !promql.isEmpty, failures.count == promql.count {
            return MetricSample(failure: failures[0], unknownReasons: unknown, source: source)
        }
        // A query without series may name a model Prometheus does not have: say which it has.
        let empty = answers.compactMap { metric, answer -> MetricName? in
            if case .failure(let failure) = answer, failure.noSeries { return metric }
            return nil
        }
        if !empty.isEmpty, let hint = await Self.otherModels(of: query.pool, transport: transport, timeout: connection.timeout) {
            for metric in empty { unknown[metric] = (unknown[metric] ?? "") + "; " + hint }
        }
        // Idle: a request rate of exactly zero (latency queries over no requests answer NaN).
        let idle = readings[.qps]?.value == 0
        return MetricSample(readings: readings, unknownReasons: unknown, source: source, idle: idle)
    }

    /// When the pool's model is not among the models Prometheus has series of in the pool's
    /// namespace (on the model's labels), which ones it has: `no series in namespace serving has
    /// model_name="llama-70b"; Prometheus has llama-8b, qwen-7b`. Nil when it has the model, has no
    /// labelled series there, or cannot say.
    static func otherModels(of pool: ElasticInferencePool, transport: HTTPTransport, timeout: Double) async -> String? {
        let match = pool.spec.modelMatch
        let namespace = QueryTemplate.escaped(pool.namespace)
        for label in match.labels {
            let promql = "count by (\(label)) ({namespace=\"\(namespace)\",\(label)!=\"\"})"
            let path = "/api/v1/query" + HTTPTransport.query([("query", promql), ("timeout", "\(Int(max(1, timeout.rounded(.down))))s")])
            guard let response = try? await transport.send(method: "GET", path: path), response.statusCode == 200,
                  let body = try? JSONValue(parsing: response.body) else { return nil }
            let series: [JSONValue] = body["data"]?["result"]?.arrayValue ?? []
            let models = Set(series.compactMap { $0["metric"]?[label]?.stringValue })
            guard !models.isEmpty else { continue }
            if !models.isDisjoint(with: match.names) { return nil }
            let wanted = match.names.map { "\"\($0)\"" }.joined(separator: " or ")
            return "no series in namespace \(pool.namespace) has \(label)=\(wanted); Prometheus has \(models.sorted().joined(separator: ", "))"
        }
        return nil
    }

    /// The pool's own Prometheus when it names one (credentials only when it is the operator's), else the operator's.
    func connection(for pool: ElasticInferencePool) -> PrometheusConnection? {
        guard let address = pool.spec.metrics?.prometheusAddress, !address.isEmpty else { return connection }
        if let connection, Self.sameServer(connection.address, address) { return connection }
        var own = PrometheusConnection(address: address)
        own.caFile = connection?.caFile
        own.timeout = timeout
        return own
    }

    static func sameServer(_ a: String, _ b: String) -> Bool {
        func trimmed(_ s: String) -> String { s.hasSuffix("/") ? String(s.dropLast()) : s }
        return trimmed(a) == trimmed(b)
    }

    private func transport(for connection: PrometheusConnection) -> HTTPTransport {
        transports.withLock { transports in
            let key = "\(connection.address)|\(connection.bearerTokenFile ?? "")|\(connection.basicAuthUsername ?? "")|\(connection.caFile ?? "")"
            if let existing = transports[key] { return existing }
            var configuration = TransportConfiguration(server: connection.address.hasSuffix("/") ? String(connection.address.dropLast()) : connection.address)
            configuration.connectTimeout = connection.timeout
            configuration.requestTimeout = connection.timeout
            configuration.certificateAuthority = connection.caFile.map { .file($0) }
            configuration.maximumResponseBytes = Defaults.metricsResponseMaximumBytes
            let credentials: (any CredentialSource)?
            if let file = connection.bearerTokenFile {
                credentials = TokenFile(path: file)
            } else if let user = connection.basicAuthUsername, let file = connection.basicAuthPasswordFile {
                credentials = BasicAuthFile(username: user, passwordFile: file)
            } else {
                credentials = nil
            }
            let transport = HTTPTransport(configuration, credentials: credentials)
            transports[key] = transport
            return transport
        }
    }

    /// One instant query: its single number and the time Prometheus evaluated it at.
    static func instantQuery(_ promql: String, transport: HTTPTransport, timeout: Double) async -> Result<MetricReading, QueryFailure> {
        let path = "/api/v1/query" + HTTPTransport.query([("query", promql), ("timeout", "\(Int(max(1, timeout.rounded(.down))))s")])
        let response: HTTPResponse
        do throws(HTTPClientError) {
            response = try await transport.send(method: "GET", path: path)
        } catch {
            return .failure(QueryFailure(message: "\(error.message) (query \(promql))", isTransport: true))
        }
        guard let body = try? JSONValue(parsing: response.body) else {
            let isTransport = response.statusCode >= 500 || response.statusCode == 401 || response.statusCode == 403 || response.statusCode == 404
            return .failure(QueryFailure(message: "HTTP \(response.statusCode) with a body that is not the Prometheus API's JSON", isTransport: isTransport))
        }
        guard body["status"]?.stringValue == "success" else {
            let kind = body["errorType"]?.stringValue ?? "HTTP \(response.statusCode)"
            return .failure(QueryFailure(message: "\(kind): \(body["error"]?.stringValue ?? "no error text") (query \(promql))",
                                         isTransport: response.statusCode >= 500 || response.statusCode == 401 || response.statusCode == 403))
        }
        let data = body["data"]
        let pair: JSONValue?
        switch data?["resultType"]?.stringValue {
        case "scalar":
            pair = data?["result"]
        case "vector":
            let series = data?["result"]?.arrayValue ?? []
            guard !series.isEmpty else { return .failure(QueryFailure(message: "the query returned no series (query \(promql))", noSeries: true)) }
            guard series.count == 1 else {
                return .failure(QueryFailure(message: "the query returned \(series.count) series, not one: aggregate it, e.g. max(...) (query \(promql))"))
            }
            pair = series[0]["value"]
        default:
            return .failure(QueryFailure(message: "the query returned a \(data?["resultType"]?.stringValue ?? "missing") result, not a number (query \(promql))"))
        }
        guard let pair = pair?.arrayValue, pair.count == 2, let time = pair[0].doubleValue, let text = pair[1].stringValue,
              let value = Double(text) else {
            return .failure(QueryFailure(message: "the result has no [time, \"value\"] pair (query \(promql))"))
        }
        guard value.isFinite else { return .failure(QueryFailure(message: "the query returned \(text) (query \(promql))")) }
        return .success(MetricReading(value: value, sampledAt: Timestamp(secondsSinceEpoch: time)))
    }
}

/// Why one query gave no number; `isTransport` when Prometheus could not be asked at all,
/// `noSeries` when it answered with no series.
struct QueryFailure: Error, Sendable {
    let message: String
    var isTransport = false
    var noSeries = false
}

/// Basic auth for the Prometheus source: the password re-read from its file (a mounted Secret).
final class BasicAuthFile: CredentialSource {
    let username: String
    let passwordFile: String

    init(username: String, passwordFile: String) {
        self.username = username
        self.passwordFile = passwordFile
    }

    func bearerToken() throws(HTTPClientError) -> String? { nil }
    /// A 401 may follow a rotated password: the file is read for every request, so retry once.
    func refreshAfterUnauthorized() -> Bool { true }

    func authorizationHeader() throws(HTTPClientError) -> String? {
        guard let password = try? String(contentsOfFile: passwordFile, encoding: .utf8) else {
            throw HTTPClientError(.credentials, "cannot read the Prometheus password file \(passwordFile)")
        }
        let trimmed = password.trimmingCharacters(in: .newlines)
        return "Basic " + Data("\(username):\(trimmed)".utf8).base64EncodedString()
    }
}
