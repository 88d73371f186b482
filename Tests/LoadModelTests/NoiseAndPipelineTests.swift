import LoadModel
import Testing

@Suite("Seeded noise")
struct NoiseTests {
    @Test func splitMix64MatchesItsPublishedSequence() {
        var g = SplitMix64(seed: 0)
        #expect(g.next() == 0xE220_A839_7B1D_CDAF)
        #expect(g.next() == 0x6E78_9E6A_A1B9_65F4)
    }

    @Test func xoshiroMatchesTheReferenceAlgorithm() {
        // From the reference C code (xoshiro256starstar.c), seeded through SplitMix64(42).
        var g = Xoshiro256StarStar(seed: 42)
        #expect(g.next() == 0x1578_0B2E_0C2E_C716)
        #expect(g.next() == 0x6104_D986_6D11_3A7E)
        #expect(g.next() == 0xAE17_5332_39E4_99A1)
    }

    @Test func gaussianHasMeanZeroAndUnitDeviation() {
        var g = Xoshiro256StarStar(seed: 3)
        let n = 100_000
        let values = (0..<n).map { _ in g.nextGaussian() }
        let mean = values.reduce(0, +) / Double(n)
        let variance = values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(n - 1)
        #expect(abs(mean) < 0.02)
        #expect(abs(variance - 1) < 0.02)
    }
}

@Suite("Metrics pipelines")
struct MetricsPipelineTests {
    /// A history of hand-made ticks: `served` requests at `p90` seconds each second.
    func history(_ points: [(served: Double, p90: Double, gpu: Double)]) -> PoolHistory {
        var h = PoolHistory()
        for (t, p) in points.enumerated() {
            h.append(PoolTick(time: Double(t), demand: p.served, served: p.served, dropped: 0, backlog: 0, replicas: 2, ready: 2,
                              load: 0.5, p90: p.p90, gpuUtilisation: p.gpu))
        }
        return h
    }

    @Test func p90IsWeightedByRequests() {
        // 100 requests at 10 ms, 900 at 50 ms, 50 at 2 s: the 945th of 1,050 requests is at 50 ms;
        // a mean of the per-second P90s would say 687 ms.
        let h = history([(100, 0.010, 0.2), (900, 0.050, 0.3), (50, 2.0, 0.4)])
        #expect(h.requestWeightedP90(0, 3) == 0.050)
        // Without the busy second, the slow second's requests are the top 10 %+.
        #expect(h.requestWeightedP90(2, 3) == 2.0)
        #expect(h.requestWeightedP90(0, 1) == 0.010)
    }

    @Test func anIdleWindowHasNoLatency() {
        let h = history([(0, 0.009, 0.12), (0, 0.009, 0.12)])
        #expect(h.requestWeightedP90(0, 2) == nil)
        #expect(h.meanDemand(0, 2) == 0)
    }

    @Test func directScrapeReadsTheLastWindowWithoutLag() {
        let h = history((0..<100).map { (Double($0), Double($0) / 1000, Double($0) / 100) })
        let reading = MetricsPipeline.directScrape(rateWindow: 30).reading(of: h, at: 100)
        #expect(reading.seconds == 30)
        #expect(reading.gpuUtilisation == 0.99)  // the gauge of the last second
        #expect(reading.qps == (70..<100).reduce(0.0) { $0 + Double($1) } / 30)
    }

    @Test func prometheusIsAScrapeIntervalLateWithItsRateWindow() {
        let h = history((0..<200).map { (Double($0), Double($0) / 1000, Double($0) / 1000) })
        let reading = MetricsPipeline.typicalPrometheus.reading(of: h, at: 200)
        // Window [125, 185): 60 s ending 15 s ago.
        #expect(reading.seconds == 60)
        #expect(reading.gpuUtilisation == 0.184)
        #expect(abs((reading.gpuUtilisationMean ?? 0) - 0.1545) < 1e-12)
        #expect(reading.qps == 154.5)
    }

    @Test func windowsBeforeTheRunSeeOnlyTheRun() {
        let h = history([(10, 0.02, 0.2)])
        #expect(MetricsPipeline.directScrape(rateWindow: 30).reading(of: h, at: 1).seconds == 1)
        let early = MetricsPipeline.typicalPrometheus.reading(of: h, at: 10)
        #expect(early.seconds == 0 && early.p90 == nil && early.gpuUtilisation == nil && early.qps == nil)
    }
}
