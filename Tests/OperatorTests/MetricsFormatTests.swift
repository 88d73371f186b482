import Foundation
import TestSupport
import Testing
@testable import Operator

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

    @Test func everyFamilyHasHelpAndTypeBeforeItsSamples() {
        let text = OperatorMetrics.render(controller: nil, isLeader: true, leaseName: "eip-operator.aiops.example.com")
        var declared: Set<String> = []
        for line in text.split(separator: "\n") {
            if line.hasPrefix("# TYPE ") { declared.insert(String(line.split(separator: " ")[2])) }
            if line.hasPrefix("#") { continue }
            let name = String(line.prefix { $0 != "{" && $0 != " " })
            let family = ["_bucket", "_sum", "_count"].reduce(name) { $0.hasSuffix($1) ? String($0.dropLast($1.count)) : $0 }
            #expect(declared.contains(family) || declared.contains(name), "\(name) has no TYPE line")
        }
        #expect(text.contains("leader_election_master_status{name=\"eip-operator.aiops.example.com\"} 1"))
    }

    @Test(.enabled(if: promtool != nil, "promtool not installed (Debian's prometheus package)"))
    func promtoolAcceptsTheOutput() throws {
        let text = OperatorMetrics.render(controller: nil, isLeader: false, leaseName: "eip-operator.aiops.example.com")
        let result = run(promtool ?? "", ["check", "metrics"], stdin: text)
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
    }
}
