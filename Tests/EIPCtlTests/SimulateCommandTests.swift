import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import JSON
import Testing
import TestSupport

/// `eipctl simulate`, run as a user runs it.
@Suite("eipctl simulate end to end", .runsOnOwnThreads, .serialized)
struct SimulateCommandTests {
    static let bert = "Manifests/samples/bert-triton-pool.yaml"
    static let standard = "docs/simulate/standard-pool.yaml"

    @Test func theIssuesCommandPrintsTheComparisonAndWritesThePlot() throws {
        let dir = try TemporaryDirectory()
        let plot = dir.url.appendingPathComponent("spike.svg").path
        let r = try Eipctl.run(["simulate", "-f", Self.bert, "--trace", "builtin:spike", "--cold-start", "120s",
                                "--compare", "hpa-util=70,keda-p90=200ms,kpa", "--plot", plot])
        #expect(r.status == 0, "\(r.stderr)")
        let lines = r.stdout.split(separator: "\n").map(String.init)
        let header = try #require(lines.first(where: { $0.hasPrefix("SCALER") }))
        for column in ["SLO-VIOLATION", "REPLICA-SECONDS", "GPU-HOURS", "SCALE EVENTS", "DROPPED", "PEAK"] {
            #expect(header.contains(column))
        }
        let rows = lines.drop { !$0.hasPrefix("SCALER") }.dropFirst().prefix { !$0.isEmpty && !$0.hasPrefix("Plot") }
        #expect(rows.map { String($0.split(separator: " ")[0]) } == ["eip-operator", "hpa-util=70", "keda-p90=200ms", "kpa"])
        // The host-bound server never reaches 70 % GPU utilisation: HPA never scales (LOADMODEL.md's 677 s).
        #expect(rows.contains { $0.hasPrefix("hpa-util=70") && $0.contains(" 677 s ") && $0.contains(" 3,600 ") })
        #expect(r.stdout.contains("cold start 120s"))
        #expect(r.stdout.contains("Plot      \(plot)"))

        let svg = try String(contentsOfFile: plot, encoding: .utf8)
        #expect(svg.hasPrefix("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\""))
        #expect(svg.hasSuffix("</svg>\n"))
        let panels = PanelCollector()
        let parser = XMLParser(data: Data(svg.utf8))
        parser.delegate = panels
        #expect(parser.parse(), "the plot is not well-formed XML: \(parser.parserError.map { "\($0)" } ?? "")")
        #expect(panels.scalers == ["eip-operator", "hpa-util=70", "keda-p90=200ms", "kpa"])
    }

    /// The `data-scaler` of each `<g class="panel">`, as an XML parser reads them.
    final class PanelCollector: NSObject, XMLParserDelegate {
        var scalers: [String] = []
        func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String] = [:]) {
            if name == "g", attributes["class"] == "panel" { scalers.append(attributes["data-scaler"] ?? "?") }
        }
    }

    @Test func thePoolsEngineCanReadThroughPrometheusInstead() throws {
        let r = try Eipctl.run(["simulate", "-f", Self.standard, "--trace", "builtin:spike", "--metrics-source", "prometheus"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("Metrics   eip-operator reads Prometheus (60s windows, 15s late)\n"))
    }

    @Test func jsonCarriesTheScoresEventsAndPerSecondSeries() throws {
        let r = try Eipctl.run(["simulate", "-f", Self.standard, "--trace", "builtin:spike", "--compare", "kpa", "--seed", "3", "-o", "json"])
        #expect(r.status == 0, "\(r.stderr)")
        let json = try JSONValue(parsing: r.stdout)
        #expect(json["trace"]?["seconds"]?.intValue == 1_800)
        #expect(json["trace"]?["seed"]?.intValue == 3)
        #expect(json["demand"]?.arrayValue?.count == 1_800)
        let scalers = try #require(json["scalers"]?.arrayValue)
        #expect(scalers.map { $0["name"]?.stringValue } == ["eip-operator", "kpa"])
        for scaler in scalers {
            let series = try #require(scaler["series"]?["replicas"]?.arrayValue)
            let replicas = series.compactMap(\.intValue)
            #expect(replicas.count == 1_800)
            #expect(scaler["replicaSeconds"]?.intValue == replicas.reduce(0, +))
            #expect(scaler["scaleEvents"]?.intValue == scaler["events"]?.arrayValue?.count)
            #expect(scaler["series"]?["p90Seconds"]?.arrayValue?.count == 1_800)
        }
        // The engine's events carry the engine's reasons.
        #expect(scalers[0]["events"]?.arrayValue?.first?["reason"]?.stringValue == "ScaleUpRule")
    }

    @Test func theSameSeedGivesTheSameFiguresAndAnotherSeedOthers() throws {
        let args = ["simulate", "-f", Self.standard, "--trace", "builtin:diurnal", "--compare", "kpa"]
        let a = try Eipctl.run(args + ["--seed", "5"]), b = try Eipctl.run(args + ["--seed", "5"]), c = try Eipctl.run(args + ["--seed", "6"])
        #expect(a.status == 0 && a.stdout == b.stdout)
        #expect(a.stdout != c.stdout)
    }

    @Test func aCSVTraceAndAProfileFileAreRead() throws {
        let dir = try TemporaryDirectory()
        var csv = "time,qps\n"
        for t in stride(from: 0, through: 600, by: 60) { csv += "\(1_700_000_000 + t),\(t < 300 ? 2_000 : 30_000)\n" }
        let trace = try dir.file(csv, name: "trace.csv")
        let profile = try dir.file("name: l4-small\ncapacity: 4000\nbaseLatency: 15ms\ncoldStart: 30s\n", name: "profile.yaml")
        let r = try Eipctl.run(["simulate", "-f", Self.standard, "--trace", trace, "--profile", profile, "--compare", "hpa-util=50"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("Traffic   \(trace): 601 s, mean"))
        #expect(r.stdout.contains("Server    l4-small: 4,000 req/s per ready replica, P90 15ms at low load, cold start 30s"))
    }

    @Test func badInputIsAClearErrorNamingTheLine() throws {
        let dir = try TemporaryDirectory()
        let trace = try dir.file("time,qps\n0,100\n1,lots\n", name: "bad.csv")
        let r = try Eipctl.run(["simulate", "-f", Self.standard, "--trace", trace])
        #expect(r.status == 1)
        #expect(r.stderr == "\(trace):3: error: qps 'lots' is not a number\n")

        let profile = try dir.file("capacity: 100\nbaseLatency: 10ms\ncoldstart: 5s\n", name: "profile.yaml")
        let p = try Eipctl.run(["simulate", "-f", Self.standard, "--trace", "builtin:spike", "--profile", profile])
        #expect(p.status == 1)
        #expect(p.stderr.hasPrefix("\(profile): error: coldstart: unknown field; did you mean \"coldStart\"?"))

        let pool = try dir.file("""
        apiVersion: aiops.example.com/v1alpha2
        kind: ElasticInferencePool
        metadata: {name: p99}
        spec: {modelRef: m, maxReplicas: 4, scaleUpThreshold: "P99 > 1s", scaleDownThreshold: "P90 < 50ms"}
        """)
        let q = try Eipctl.run(["simulate", "-f", pool, "--trace", "builtin:spike"])
        #expect(q.status == 1)
        #expect(q.stderr.contains("the pool's rules read P99, which the load model does not give"))
    }

    @Test(arguments: [
        (["--trace", "builtin:spike", "--compare", "hpa-utl=70"], "error: --compare: unknown anchor 'hpa-utl'; did you mean 'hpa-util'?"),
        (["--compare", "kpa"], "error: simulate needs a trace: --trace FILE"),
        (["--trace", "builtin:spike", "--cold-start", "soon"], "error: --cold-start: expected a duration such as 120s, not 'soon'"),
        (["--trace", "builtin:spike", "--seed", "-1"], "error: --seed: expected a whole number"),
        (["--trace", "builtin:spike", "-o", "yaml"], "error: unknown output format 'yaml'; use text or json"),
    ])
    func usageErrorsExitTwo(arguments: [String], message: String) throws {
        let r = try Eipctl.run(["simulate", "-f", Self.standard] + arguments)
        #expect(r.status == 2)
        #expect(r.stderr.hasPrefix(message), "\(r.stderr)")
    }

    @Test func anUnknownBuiltinListsTheBuiltins() throws {
        let r = try Eipctl.run(["simulate", "-f", Self.standard, "--trace", "builtin:weekly"])
        #expect(r.status == 1)
        #expect(r.stderr == "error: --trace: no built-in trace 'weekly'; the built-ins are builtin:spike, builtin:diurnal, builtin:step, builtin:bursts, builtin:ramp, builtin:idle, builtin:walk\n")
    }

    @Test func helpDescribesTheCommand() throws {
        let r = try Eipctl.run(["simulate", "--help"])
        #expect(r.status == 0)
        for option in ["--trace", "--profile", "--cold-start", "--slo", "--compare", "--seed", "--plot", "-o, --output"] {
            #expect(r.stdout.contains(option))
        }
        let overview = try Eipctl.run(["--help"])
        #expect(overview.stdout.contains("simulate    What-if"))
    }
}
