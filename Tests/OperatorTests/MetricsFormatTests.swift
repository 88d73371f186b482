import Foundation
import TestSupport
import Testing
@testable import Operator
import PrometheusText

let promtool = ["/usr/bin/promtool", "/usr/local/bin/promtool"].first { FileManager.default.isExecutableFile(atPath: $0) }

@Suite("The operator's metrics format")
struct MetricsFormatTests {
    @Test func histogramBucketsAreCumulative() {
        var h = Histogram()
        for v in [0.001, 0.02, 0.3, 7.0, 20.0] { h.observe(v) }
        #expect(h.count == 5)
        #expect(h.counts == [1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4])
        #expect(abs(h.sum - 27.321) < 1e-9)
    }

    /// The parser rejects a `# TYPE` after its samples; a sample outside every declared family
    /// comes back as an untyped family of its own.
    @Test func everyFamilyHasHelpAndTypeBeforeItsSamples() throws {
        let text = OperatorMetrics.render(controller: nil, isLeader: true, leaseName: "eip-operator.aiops.example.com")
        let families = try ExpositionParser.parse(text)
        #expect(!families.isEmpty)
        for family in families {
            #expect(family.kind != .untyped, "\(family.name) has no TYPE line")
            #expect(family.help != nil, "\(family.name) has no HELP line")
        }
        let leader = families.first { $0.name == "leader_election_master_status" }?.samples.first
        #expect(leader?.labels == ["name": "eip-operator.aiops.example.com"])
        #expect(leader?.value == 1)
    }

    @Test(.enabled(if: promtool != nil, "promtool not installed (Debian's prometheus package)"))
    func promtoolAcceptsTheOutput() throws {
        let text = OperatorMetrics.render(controller: nil, isLeader: false, leaseName: "eip-operator.aiops.example.com")
        let result = run(promtool ?? "", ["check", "metrics"], stdin: text)
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
    }
}
