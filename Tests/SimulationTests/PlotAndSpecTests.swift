import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import LoadModel
import Testing
import TestSupport
@testable import Simulation

@Suite("The comparison plot", .runsOnOwnThreads)
struct ComparisonPlotTests {
    func runs() throws -> ([ScalerRun], SimulationSettings) {
        let (pool, policy) = try standardPool()
        let settings = SimulationSettings(initialReplicas: 2)
        let trace = BuiltinTrace.spike.trace(seed: 1)
        let scalers: [any Scaler] = [EngineScaler(pool: pool, policy: policy),
                                     HorizontalPodAutoscaler(name: "hpa <&> \"util\"", metric: .gpuUtilisation(target: 0.5), minReplicas: 2, maxReplicas: 40),
                                     KnativePodAutoscaler(minReplicas: 2, maxReplicas: 40)]
        return (scalers.map { Simulator.run($0, trace: trace, settings: settings) }, settings)
    }

    /// Collects the elements and attributes an XML parser sees.
    final class Collector: NSObject, XMLParserDelegate {
        var elements: [(name: String, attributes: [String: String])] = []
        var texts: [String] = []
        func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String] = [:]) {
            elements.append((name, attributes))
        }
        func parser(_ parser: XMLParser, foundCharacters string: String) { texts.append(string) }
    }

    @Test func theSVGIsWellFormedXMLWithOnePanelPerScaler() throws {
        let (runs, settings) = try runs()
        let svg = ComparisonPlot(title: "a & b <pool>", subtitle: "cold start 10s", runs: runs, settings: settings).svg
        let parser = XMLParser(data: Data(svg.utf8))
        let collector = Collector()
        parser.delegate = collector
        #expect(parser.parse(), "not well-formed: \(parser.parserError.map { "\($0)" } ?? "")")
        let root = try #require(collector.elements.first)
        #expect(root.name == "svg" && root.attributes["xmlns"] == "http://www.w3.org/2000/svg")
        let panels = collector.elements.filter { $0.name == "g" && $0.attributes["class"] == "panel" }
        #expect(panels.map { $0.attributes["data-scaler"] } == ["eip-operator", "hpa <&> \"util\"", "kpa"])
        #expect(collector.texts.joined().contains("a & b <pool>"))
        // Per panel: demand, ready capacity, replicas asked for, P90; and the SLO line.
        #expect(collector.elements.filter { $0.name == "path" }.count == 4 * runs.count)
        #expect(svg.utf8.count < 400_000, "a browser-sized file: \(svg.utf8.count) bytes")
    }

    @Test func violationBandsAreRunsOfSecondsOverTheSLO() {
        let p90 = [0.1, 0.3, 0.4, 0.1, 0.1, 0.1, 0.5, 0.1, 0.6]
        #expect(ComparisonPlot.bands(p90, over: 0.2, mergeWithin: 1) == [1..<3, 6..<7, 8..<9])
        #expect(ComparisonPlot.bands(p90, over: 0.2, mergeWithin: 3) == [1..<7, 8..<9])
    }

    @Test func stepPathsHaveAPointOnlyWhereTheValueChanges() {
        let path = ComparisonPlot.steps([2, 2, 2, 6, 6, 2], x: { $0 * 10 }, y: { $0 })
        #expect(path == "M0,2 H30 V6 H50 V2 H60")
    }

    @Test func scalesUseNiceSteps() {
        #expect(LoadScale.niceStep(37_000) == 50_000)
        #expect(LoadScale.niceStep(20_000) == 20_000)
        #expect(LoadScale.niceStep(3.2) == 5)
        #expect(ComparisonPlot.timeTicks(1_800) == [0, 300, 600, 900, 1_200, 1_500, 1_800])
        #expect(ComparisonPlot.timeLabel(5_400, step: 900) == "90 min")
        #expect(ComparisonPlot.timeLabel(5_400, step: 3_600) == "1 h 30")
    }
}

@Suite("--compare entries")
struct AnchorSpecTests {
    @Test func theIssuesListParses() throws {
        let specs = try AnchorSpec.parseList("hpa-util=70,keda-p90=200ms,kpa").get()
        #expect(specs.map(\.text) == ["hpa-util=70", "keda-p90=200ms", "kpa"])
        #expect(specs.map(\.target) == [0.7, 0.2, nil])
        #expect(try AnchorSpec.parse("hpa-util=55%").get().target == 0.55)
        #expect(try AnchorSpec.parse("keda-p90-value=0.5s").get().text == "keda-p90-value=500ms")
        #expect(try AnchorSpec.parse("kpa=100").get().target == 100)
    }

    @Test(arguments: [
        ("hpa-utl=70", "unknown anchor 'hpa-utl'; did you mean 'hpa-util'? (known: hpa-util=PERCENT, keda-p90=TIME, keda-p90-value=TIME, kpa[=CONCURRENCY])"),
        ("hpa-util", "hpa-util: expected a GPU utilisation target from 1 to 100 (%), as in hpa-util=70"),
        ("hpa-util=170", "hpa-util: expected a GPU utilisation target from 1 to 100 (%), as in hpa-util=70"),
        ("keda-p90=200", "keda-p90: expected a latency target with a unit, as in keda-p90=200ms"),
        ("kpa=-1", "kpa: expected a target concurrency per pod, as in kpa=70"),
        ("kpa,kpa", "'kpa' is listed twice"),
        (",", "expected anchors such as hpa-util=70,keda-p90=200ms,kpa"),
    ])
    func badEntriesSayWhatWasExpected(text: String, message: String) {
        switch AnchorSpec.parseList(text) {
        case .success(let specs): Issue.record("accepted \(specs)")
        case .failure(let error): #expect(error.message == message)
        }
    }
}
