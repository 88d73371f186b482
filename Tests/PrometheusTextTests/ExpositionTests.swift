import Foundation
import Testing
@testable import PrometheusText

func fixture(_ name: String) throws -> String {
    let url = try #require(Bundle.module.url(forResource: "Fixtures/\(name)", withExtension: nil))
    return try String(contentsOf: url, encoding: .utf8)
}

@Suite("Exposition format")
struct ExpositionParserTests {
    @Test func tritonMetrics() throws {
        let text = """
        # HELP nv_inference_request_success Number of successful inference requests, all batch sizes
        # TYPE nv_inference_request_success counter
        nv_inference_request_success{model="bert",version="1"} 5260
        # HELP nv_inference_request_duration_us Cumulative inference request duration in microseconds
        # TYPE nv_inference_request_duration_us counter
        nv_inference_request_duration_us{model="bert",version="1"} 5.8775077e+07
        # HELP nv_gpu_utilization GPU utilization rate [0.0 - 1.0)
        # TYPE nv_gpu_utilization gauge
        nv_gpu_utilization{gpu_uuid="GPU-9ec72081"} 0.56
        """
        let families = try ExpositionParser.parse(text)
        #expect(families.map(\.name) == ["nv_inference_request_success", "nv_inference_request_duration_us", "nv_gpu_utilization"])
        #expect(families[0].kind == .counter)
        #expect(families[1].samples.first?.value == 58_775_077)
        #expect(families[2].samples.first?.labels == ["gpu_uuid": "GPU-9ec72081"])
        #expect(families[0].help == "Number of successful inference requests, all batch sizes")
    }

    @Test func dcgmSummaryTimestampsEscapesAndSpecialValues() throws {
        let text = #"""
        # TYPE DCGM_FI_DEV_GPU_UTIL gauge
        DCGM_FI_DEV_GPU_UTIL{gpu="0",UUID="GPU-1",Hostname="node \"a\"\\b\nc"} 57 1795740375129
        # TYPE latency summary
        latency{quantile="0.9"} NaN
        latency{quantile="0.99"} +Inf
        latency_sum -Inf
        latency_count 3
        # HELP odd A help with \\ and \n escapes
        untyped_thing 1e3
        # EOF
        after_eof 1
        """#
        let families = try ExpositionParser.parse(text)
        let dcgm = try #require(families.first)
        #expect(dcgm.samples.first?.timestamp == 1_795_740_375_129)
        #expect(dcgm.samples.first?.labels["Hostname"] == "node \"a\"\\b\nc")
        let summary = try #require(families.first { $0.name == "latency" })
        #expect(summary.kind == .summary)
        #expect(summary.samples.count == 4)
        #expect(summary.samples[0].value.isNaN)
        #expect(summary.samples[1].value == .infinity)
        #expect(summary.samples[2].value == -.infinity)
        #expect(families.first { $0.name == "odd" }?.help == "A help with \\ and \n escapes")
        #expect(families.first { $0.name == "untyped_thing" }?.samples.first?.value == 1000)
        #expect(!families.contains { $0.name == "after_eof" }, "# EOF ends the exposition")
    }

    @Test(arguments: [
        ("metric{a=\"1\"", 1, 13, "expected ',' or '}' after the value of label a"),
        ("metric{", 1, 8, "unterminated label set; expected '}'"),
        ("metric{a=1} 2", 1, 10, "expected '\"' to open the value of label a"),
        ("metric{a=\"x} 2", 1, 15, "unterminated label value of a"),
        ("metric{a=\"\\q\"} 2", 1, 11, "invalid escape '\\q' in a label value"),
        ("metric{a=\"1\",a=\"2\"} 3", 1, 14, "duplicate label a"),
        ("metric abc", 1, 8, "'abc' is not a number"),
        ("metric", 1, 7, "expected a value after metric"),
        ("metric 1 12x", 1, 10, "'12x' is not a timestamp (milliseconds)"),
        ("metric 1 12 extra", 1, 13, "unexpected text after the timestamp"),
        ("9metric 1", 1, 1, "expected a metric name"),
        ("# TYPE m histgram", 1, 10, "unknown metric type 'histgram'; expected counter, gauge, histogram, summary or untyped"),
        ("ok 1\nm 1\n# TYPE m gauge", 3, 8, "# TYPE for m after its samples"),
    ])
    func malformedInputHasExactErrors(text: String, line: Int, column: Int, message: String) {
        let error = #expect(throws: ExpositionError.self) { try ExpositionParser.parse(text) }
        #expect(error == ExpositionError(line: line, column: column, message: message), "\(error?.description ?? "no error")")
    }

    @Test func seriesFoldIntoTheirFamilyOnlyWhereTheTypeSaysSo() throws {
        let families = try ExpositionParser.parse("""
        # TYPE h histogram
        h_bucket{le="+Inf"} 1
        h_sum 2
        h_count 1
        # TYPE s summary
        s_sum 1
        s_count 1
        s_bucket 1
        # TYPE c counter
        c_total 4
        # TYPE g gauge
        g_total 5
        g_count 6
        """)
        #expect(families.map(\.name) == ["h", "s", "s_bucket", "c", "g", "g_total", "g_count"])
        #expect(families.map(\.samples.count) == [3, 2, 1, 1, 0, 1, 1])
        #expect(families.first { $0.name == "g_total" }?.kind == .untyped)
    }

    @Test func crlfLineEndsAreLineEnds() throws {
        let families = try ExpositionParser.parse("# TYPE a gauge\r\na{x=\"1\"} 2\r\nb 3\r\n")
        #expect(families.map(\.name) == ["a", "b"])
        #expect(families[0].kind == .gauge)
        #expect(families[0].samples.first?.labels == ["x": "1"])
        #expect(families[1].samples.first?.value == 3)
        let error = #expect(throws: ExpositionError.self) { try ExpositionParser.parse("a 1\r\nb x\r\n") }
        #expect(error == ExpositionError(line: 2, column: 3, message: "'x' is not a number"))
    }

    /// The corpus `make fuzz` grew (libFuzzer, 1.8 M runs, no crash), kept minimal: every input
    /// parses or fails with an error that points inside the text.
    @Test func fuzzCorpusParsesOrFailsWithAPosition() throws {
        let directory = try #require(Bundle.module.url(forResource: "FuzzCorpus", withExtension: nil))
        let files = try FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)
        #expect(files.count >= 200)
        for file in files {
            let text = String(decoding: try Data(contentsOf: file), as: UTF8.self)
            do {
                _ = try ExpositionParser.parse(text)
            } catch {
                let lines = text.utf8.split(separator: 10, omittingEmptySubsequences: false)
                #expect(error.line >= 1 && error.line <= lines.count, "\(file.lastPathComponent): \(error)")
                let width = error.line <= lines.count ? lines[error.line - 1].count : 0
                #expect(error.column >= 1 && error.column <= width + 1, "\(file.lastPathComponent): \(error)")
            }
        }
    }

    @Test func hostileInputNeverCrashes() {
        var rng = SystemRandomNumberGenerator()
        let alphabet = Array("a_{}=\",\\ \n#0.9e+-InfNaTYPEHELP\t")
        for _ in 0..<3000 {
            let text = String((0..<Int.random(in: 0...80, using: &rng)).map { _ in alphabet.randomElement(using: &rng) ?? " " })
            _ = try? ExpositionParser.parse(text)
        }
    }
}

@Suite("Histogram quantiles as PromQL computes them")
struct HistogramQuantileTests {
    @Test func handComputedAnswers() {
        let buckets: [(upperBound: Double, count: Double)] = [(0.1, 10), (0.2, 30), (0.5, 90), (.infinity, 100)]
        // rank 0.5 × 100 = 50 lies in (0.2, 0.5]: 0.2 + 0.3 × (50 - 30) / 60
        #expect(abs(HistogramQuantile.quantile(0.5, buckets: buckets) - 0.3) < 1e-12)
        // rank 5 in the first bucket, from 0: 0.1 × 5 / 10
        #expect(abs(HistogramQuantile.quantile(0.05, buckets: buckets) - 0.05) < 1e-12)
        // rank 95 lies in +Inf: the highest finite bound
        #expect(HistogramQuantile.quantile(0.95, buckets: buckets) == 0.5)
        #expect(HistogramQuantile.quantile(-0.1, buckets: buckets) == -.infinity)
        #expect(HistogramQuantile.quantile(1.1, buckets: buckets) == .infinity)
        #expect(HistogramQuantile.quantile(0.5, buckets: [(0.1, 1), (0.2, 2)]).isNaN, "no +Inf bucket")
        #expect(HistogramQuantile.quantile(0.5, buckets: [(0.1, 0), (.infinity, 0)]).isNaN, "no observations")
        // Non-monotonic counts are made monotonic first.
        #expect(abs(HistogramQuantile.quantile(0.5, buckets: [(0.1, 10), (0.2, 8), (.infinity, 20)]) - 0.1) < 1e-12)
    }

    /// The H100 calibration data: each level's histogram, and the P90 measured from raw latencies.
    @Test func calibrationHistogramsGiveTheMeasuredP90WithinItsBucket() throws {
        let blocks = try fixture("h100-histograms.prom").components(separatedBy: "\n\n").filter { $0.contains("_bucket") }
        let sweep = try fixture("h100-load-sweep.csv").split(whereSeparator: \.isNewline).dropFirst().map { $0.split(separator: ",") }
        #expect(blocks.count == sweep.count, "one histogram per load level")
        for (block, row) in zip(blocks, sweep) {
            let family = try #require(try ExpositionParser.parse(block).first)
            #expect(family.kind == .histogram)
            let buckets = HistogramQuantile.buckets(of: family)
            let p90 = HistogramQuantile.quantile(0.9, buckets: buckets)
            let measured = (Double(row[5]) ?? 0) / 1000  // p90_ms
            // Interpolation stays within the bucket that holds the measured value.
            let bounds = buckets.map(\.upperBound).sorted()
            let upper = bounds.first { $0 >= measured } ?? .infinity
            let lower = bounds.last { $0 < measured } ?? 0
            #expect(p90 >= lower && p90 <= upper, "p90 \(p90) vs measured \(measured) in (\(lower), \(upper)]")
        }
        // The first level by hand: rank 0.9 × 5260 = 4734 in (0.03, 0.04]: 0.03 + 0.01 × 28 / 97.
        let first = try #require(try ExpositionParser.parse(blocks[0]).first)
        #expect(abs(HistogramQuantile.quantile(0.9, buckets: HistogramQuantile.buckets(of: first)) - (0.03 + 0.01 * 28 / 97)) < 1e-12)
    }

    @Test func bucketsAreSummedAcrossPodsByLe() throws {
        let text = """
        # TYPE rd histogram
        rd_bucket{pod="a",le="0.1"} 1
        rd_bucket{pod="a",le="+Inf"} 2
        rd_bucket{pod="b",le="0.1"} 3
        rd_bucket{pod="b",le="+Inf"} 6
        rd_sum{pod="a"} 0.4
        rd_count{pod="a"} 2
        """
        let family = try #require(try ExpositionParser.parse(text).first)
        let summed = HistogramQuantile.buckets(of: family).sorted { $0.upperBound < $1.upperBound }
        #expect(summed.map(\.count) == [4, 8])
        #expect(HistogramQuantile.buckets(of: family, matching: ["pod": "a"]).map(\.count).sorted() == [1, 2])
        #expect(family.samples.count == 6, "_sum and _count belong to the family")
    }
}
