import LoadModel
import Testing

@Suite("The fluid-queue pool")
struct PoolModelTests {
    let profile = ServerProfile.h100BERT

    @Test func latencyAtModerateLoadIsTheFormulaOfTheLoadModel() {
        var pool = PoolModel(profile: profile, readyReplicas: 2)
        let tick = pool.step(at: 0, demand: 12_000)
        let rho = 12_000 / 19_600.0
        #expect(abs(tick.load - rho) < 1e-12)
        // 9 ms · (1 + 1.6 · ρ/(1 − ρ)) with no backlog: 31.7 ms.
        #expect(abs(tick.p90 - 0.009 * (1 + 1.6 * rho / (1 - rho))) < 1e-12)
        #expect(abs(tick.p90 - 0.0317) < 0.0001)
        #expect(tick.served == 12_000 && tick.backlog == 0 && tick.dropped == 0)
        #expect(abs(tick.gpuUtilisation - (0.12 + 0.52 * rho)) < 1e-12)
    }

    @Test func overloadBuildsABacklogWhoseDrainTimeAddsToLatency() {
        var pool = PoolModel(profile: profile, readyReplicas: 1)
        let first = pool.step(at: 0, demand: 10_800)
        #expect(first.served == 9_800)
        #expect(first.backlog == 1_000)
        // q is capped at 0.98 (queueing 9 ms · 1.6 · 49), plus 1,000 requests / 9,800 per s.
        #expect(abs(first.p90 - (0.009 + 0.009 * 1.6 * 49 + 1_000 / 9_800.0)) < 1e-9)
        #expect(first.gpuUtilisation == 0.58)
        let second = pool.step(at: 1, demand: 10_800)
        #expect(second.backlog == 2_000)
    }

    @Test func clientsGiveUpAfterFiveSecondsOfBacklog() {
        var pool = PoolModel(profile: profile, readyReplicas: 1)
        var dropped = 0.0
        for t in 0..<20 { dropped += pool.step(at: Double(t), demand: 19_600).dropped }
        // 9,800 req/s too many every second; the backlog stops at 5 s of arrivals (98,000).
        #expect(pool.backlog == 98_000)
        #expect(dropped == 20 * 9_800 - 98_000)
    }

    @Test func nothingIsServedWithoutReadyReplicas() {
        var pool = PoolModel(profile: profile, readyReplicas: 0)
        pool.scale(to: 3, at: 0)
        for t in 0..<10 {
            let tick = pool.step(at: Double(t), demand: 1_000)
            #expect(tick.ready == 0 && tick.served == 0)
            #expect(tick.replicas == 3)
            #expect(tick.p90 == 60)
            #expect(tick.load == .infinity)
            #expect(tick.perReadyReplica == nil)
        }
        // Ready at exactly the cold start: serving from second 10.
        let ready = pool.step(at: 10, demand: 1_000)
        #expect(ready.ready == 3 && ready.served > 0)
    }

    @Test func scalingDownRemovesReplicasNotReadyFirstThenTheNewest() {
        var pool = PoolModel(profile: profile, readyReplicas: 3)
        pool.scale(to: 5, at: 100)
        #expect(pool.readyCount(at: 100) == 3 && pool.count == 5)
        pool.scale(to: 4, at: 105)
        #expect(pool.replicas.map(\.id) == [0, 1, 2, 3])
        #expect(pool.readyCount(at: 120) == 4)
        pool.scale(to: 6, at: 200)  // 3 (ready at 110) plus two new
        pool.scale(to: 2, at: 205)
        #expect(pool.replicas.map(\.id) == [0, 1], "the starting ones (5, 6) go first, then the newest ready (3, 2)")
    }

    /// Conservation and bounds on random traffic and random scaling, seeded.
    @Test(arguments: [1, 2, 3, 42] as [UInt64])
    func requestsAreConservedAndNothingGoesNegative(seed: UInt64) {
        var generator = Xoshiro256StarStar(seed: seed)
        var pool = PoolModel(profile: profile, readyReplicas: 2)
        var arrived = 0.0, served = 0.0, dropped = 0.0
        for t in 0..<3_000 {
            if generator.next() % 7 == 0 { pool.scale(to: Int(generator.next() % 12), at: Double(t)) }
            let demand = Double(generator.next() % 120_000)
            let tick = pool.step(at: Double(t), demand: demand)
            arrived += demand
            served += tick.served
            dropped += tick.dropped
            #expect(tick.backlog >= 0 && tick.served >= 0 && tick.dropped >= 0)
            #expect(tick.served <= Double(tick.ready) * profile.capacity + 1e-6)
            #expect(tick.backlog <= 5 * demand + 1e-6)
            #expect(tick.p90 >= profile.baseLatency)
            #expect(tick.ready <= tick.replicas)
        }
        #expect(abs(arrived - served - dropped - pool.backlog) <= 1e-6 * arrived)
    }

    @Test func aReadyReplicasShareSplitsTheServedRequestsEvenly() throws {
        var pool = PoolModel(profile: profile, readyReplicas: 4)
        let tick = pool.step(at: 0, demand: 20_000)
        let share = try #require(tick.perReadyReplica)
        #expect(share.served == 5_000 && share.p90 == tick.p90 && share.gpuUtilisation == tick.gpuUtilisation)
    }
}
