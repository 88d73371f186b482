import LoadModel
import Testing

@Suite("The serving queue and the latency spread")
struct ServingQueueTests {
    @Test func theQueueServesWhatThePoolModelServesOnTheSameReadyReplicas() {
        // PoolModel counts its own Ready replicas; the queue is told them. Same load, same ticks.
        var pool = PoolModel(profile: .h100BERT, readyReplicas: 2)
        var queue = ServingQueue(profile: .h100BERT)
        for (t, demand) in [12_000.0, 25_000, 25_000, 8_000, 0].enumerated() {
            #expect(pool.step(at: Double(t), demand: demand) == queue.step(at: Double(t), demand: demand, ready: 2, replicas: 2))
        }
        #expect(pool.backlog == queue.backlog)
    }

    @Test func withNothingReadyEverythingWaitsAndThenGivesUp() {
        var queue = ServingQueue(profile: .h100BERT)
        let tick = queue.step(at: 0, demand: 1_000, ready: 0, replicas: 3)
        #expect(tick.served == 0 && tick.p90 == PoolModel.noCapacityP90 && tick.replicas == 3 && tick.ready == 0)
        #expect(tick.perReadyReplica == nil)
    }

    @Test(arguments: [0.009, 0.2, 3.0])
    func theSpreadHasItsP90AtTheModelsP90(p90: Double) {
        let latency = LatencyDistribution(p90: p90)
        #expect(abs(latency.fraction(atOrBelow: p90) - 0.9) < 1e-12)
        #expect(abs(latency.quantile(0.9) - p90) / p90 < 1e-9)
        #expect(latency.fraction(atOrBelow: 0) == 0 && latency.fraction(atOrBelow: .infinity) == 1)
        // The mean by its formula, against a sum over the quantiles.
        let n = 20_000
        let sum = (0..<n).reduce(0.0) { $0 + latency.quantile((Double($1) + 0.5) / Double(n)) }
        #expect(abs(sum / Double(n) - latency.mean) / latency.mean < 0.01)
    }

    @Test func theSpreadIsInsideTheCalibrationHistogramsRange() {
        // histograms.prom, level by level: P50 at 0.09–0.65 of P90, P99 at 1.1–7.2 of it.
        let latency = LatencyDistribution(p90: 1)
        #expect((0.09...0.65).contains(latency.quantile(0.5)))
        #expect((1.1...7.2).contains(latency.quantile(0.99)))
    }
}
