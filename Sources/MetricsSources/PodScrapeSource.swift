import Autoscaling
import Foundation
import JSON
import HTTPClient
import Locking
import PrometheusText

/// Direct scrape (SPEC §6): the target's Ready pods, `http://podIP:port/path` each, all at once,
/// each with its own timeout; their expositions parsed and added up by ``ScrapeHistory``. Pods
/// not Ready yet are warming (SPEC §5) and are left out, as are pods being deleted. A pod that is
/// slow or answers garbage is left out of this read and named in the source text; when no pod
/// answers, the read fails (hold), never zeros.
public final class PodScrapeSource: MetricsSource {
    /// Per-scrape timeout, seconds.
    let timeout: Double
    private let transport: HTTPTransport
    private let histories = Locked<[ObjectKey: ScrapeHistory]>([:])

    /// `timeout`: seconds each pod has to answer (default 2).
    public init(timeout: Double = Defaults.scrapeTimeoutSeconds) {
        self.timeout = timeout
        var configuration = TransportConfiguration(server: "")  // each request names its pod's full URL
        configuration.connectTimeout = timeout
        configuration.requestTimeout = timeout
        configuration.userAgent = "eip-operator/0.1 (scrape)"
        configuration.maximumResponseBytes = Defaults.metricsResponseMaximumBytes  // a pod cannot make the operator hold a gigabyte
        transport = HTTPTransport(configuration)
    }

    public var kind: String { "podscrape" }
    public func wantsPods(_ pool: ElasticInferencePool) -> Bool { true }

    /// Scrapes the query's Ready pods, all at once, and adds the answers to the pool's history.
    public func read(_ query: MetricsQuery) async -> MetricSample {
        let port = query.pool.spec.metrics?.scrapePort ?? Defaults.scrapePort
        let path = query.pool.spec.metrics?.scrapePath ?? Defaults.scrapePath
        let ready = query.pods.compactMap(ReadyPod.init)
        let warming = query.pods.count - ready.count
        let warmingText = warming > 0 ? ", \(warming) warming" : ""
        guard !ready.isEmpty else {
            return MetricSample(failure: "no Ready pods of \(query.target.kind.kind) \(query.target.name) to scrape\(warmingText)", source: "PodScrape 0 pods\(warmingText)")
        }

        // Every Ready pod at once; each answer (or its failure) comes back with its pod.
        let model = query.pool.spec.modelMatch
        let custom = query.pool.spec.metrics?.custom ?? []
        let results = await withTaskGroup(of: (ReadyPod, Result<PodMetricsReading, ScrapeFailure>).self) { group in
            for pod in ready {
                group.addTask { [self] in (pod, await scrape(pod, port: port, path: path, model: model, custom: custom, now: query.now)) }
            }
            var all: [(ReadyPod, Result<PodMetricsReading, ScrapeFailure>)] = []
            for await result in group { all.append(result) }
            return all.sorted { $0.0.name < $1.0.name }
        }

        // Keep the answers in the pool's history; aggregate what answered now.
        let window = max(query.pool.spec.metrics?.scrapeRateWindowSeconds ?? Defaults.scrapeRateWindowSeconds,
                         4 * query.pool.spec.behavior.pollIntervalSeconds)
        var answered: [String] = []
        var failures: [String] = []
        let aggregate = histories.withLock { histories in
            var history = histories[query.poolKey] ?? ScrapeHistory()
            for (pod, result) in results {
                switch result {
                case .success(let reading):
                    history.record(pod: pod.uid, reading, window: window)
                    answered.append(pod.uid)
                case .failure(let failure):
                    failures.append("\(pod.name): \(failure.message)")
                }
            }
            history.forgetPods(notScrapedSince: query.now.adding(seconds: -window))
            if histories.count > 10_000 { histories.removeAll() }  // deleted pools' histories: a bound, as the reconciler's memos
            histories[query.poolKey] = history
            return history.aggregate(current: answered, at: query.now, model: model, custom: custom)
        }
        let source = "PodScrape \(answered.count)/\(ready.count) pods\(warmingText)"
        guard !answered.isEmpty else {
            return MetricSample(failure: "no pod answered: " + failures.joined(separator: "; "), source: source)
        }
        let failed = failures.isEmpty ? "" : " (failed: \(failures.joined(separator: "; ")))"
        return MetricSample(readings: aggregate.readings, unknownReasons: aggregate.unknown, source: source + failed, idle: aggregate.idle,
                            demand: aggregate.demand.map { MetricReading(value: $0, sampledAt: query.now) })
    }

    private func scrape(_ pod: ReadyPod, port: Int, path: String, model: ModelMatch, custom: [CustomMetric],
                        now: Timestamp) async -> Result<PodMetricsReading, ScrapeFailure> {
        let host = pod.ip.contains(":") ? "[\(pod.ip)]" : pod.ip  // IPv6 pod IPs
        let response: HTTPResponse
        do throws(HTTPClientError) {
            response = try await transport.send(method: "GET", path: "http://\(host):\(port)\(path)",
                                                headers: [("Accept", "text/plain;version=0.0.4;q=1,*/*;q=0.1")])
        } catch {
            return .failure(ScrapeFailure(message: error.kind == .timedOut ? "timed out after \(Self.seconds(timeout))" : error.message))
        }
        guard response.statusCode == 200 else { return .failure(ScrapeFailure(message: "HTTP \(response.statusCode)")) }
        do throws(ExpositionError) {
            let families = try ExpositionParser.parse(String(decoding: response.body, as: UTF8.self))
            return .success(PodMetricsReading(time: now, families: families, model: model, custom: custom))
        } catch {
            return .failure(ScrapeFailure(message: "bad exposition at \(error.description)"))
        }
    }

    static func seconds(_ value: Double) -> String { value == value.rounded() ? "\(Int(value))s" : "\(value)s" }
}

/// Why one pod's scrape gave nothing.
struct ScrapeFailure: Error, Sendable {
    let message: String
}

/// A pod that may be scraped: Ready (and not being deleted), with an IP.
struct ReadyPod: Sendable {
    let name: String
    let uid: String
    let ip: String

    init?(_ object: JSONValue) {
        let pod = PodView(object)
        guard pod.isReady, let ip = pod.podIP else { return nil }
        name = pod.meta.name.isEmpty ? ip : pod.meta.name
        uid = pod.meta.uid ?? name
        self.ip = ip
    }
}
