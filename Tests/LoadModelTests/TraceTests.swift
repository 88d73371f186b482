import LoadModel
import Testing

@Suite("Traces: built-in, CSV, Prometheus range queries")
struct TraceTests {
    @Test func theSpikeIsTheStoryOfTheLoadModel() {
        let spike = BuiltinTrace.spike
        #expect(spike.rate(at: 0) == 12_000)
        #expect(spike.rate(at: 299) == 12_000)
        #expect(spike.rate(at: 305) == 12_000 + (99_600 - 12_000) / 2)
        #expect(spike.rate(at: 310) == 99_600)
        #expect(spike.rate(at: 909) == 99_600)
        #expect(spike.rate(at: 940) == 99_600 - (99_600 - 12_000) / 2)
        #expect(spike.rate(at: 970) == 12_000)
        #expect(spike.trace(seed: 1).duration == 1_800)
    }

    @Test func theDiurnalSwingsFromEightToSixtyThousand() {
        let diurnal = BuiltinTrace.diurnal
        #expect(diurnal.rate(at: 0) == 8_000)
        #expect(abs(diurnal.rate(at: 3_600) - 60_000) < 1e-6)
        #expect(diurnal.trace(seed: 1).duration == 7_200)
    }

    @Test func theOtherShapesAreWhatTheirNamesSay() {
        #expect((BuiltinTrace.step.rate(at: 599), BuiltinTrace.step.rate(at: 600), BuiltinTrace.step.rate(at: 3_599)) == (12_000, 36_000, 36_000))
        let bursts = BuiltinTrace.bursts
        #expect((bursts.rate(at: 299), bursts.rate(at: 300), bursts.rate(at: 329), bursts.rate(at: 330), bursts.rate(at: 900)) == (12_000, 48_000, 48_000, 12_000, 48_000))
        #expect((BuiltinTrace.ramp.rate(at: 0), BuiltinTrace.ramp.rate(at: 1_800), BuiltinTrace.ramp.rate(at: 5_000)) == (10_000, 45_000, 80_000))
        let idle = BuiltinTrace.idle
        #expect((idle.rate(at: 1_199), idle.rate(at: 1_200), idle.rate(at: 2_400)) == (20_000, 0, 20_000))
        #expect(idle.trace(seed: 1).demand[1_200..<2_400].allSatisfy { $0 == 0 }, "idle means no request at all")
        let walk = BuiltinTrace.walk.trace(seed: 3)
        #expect(walk == BuiltinTrace.walk.trace(seed: 3) && walk != BuiltinTrace.walk.trace(seed: 4))
        #expect(walk.demand.allSatisfy { (4_999...150_001).contains($0) })
        #expect(zip(walk.demand, walk.demand.dropFirst()).allSatisfy { abs($1 / $0 - 1) < 0.06 }, "steps of about 1 %")
        #expect(BuiltinTrace.allCases.map { $0.trace(seed: 1).duration } == [1_800, 7_200, 3_600, 3_600, 5_400, 7_200, 7_200])
    }

    @Test func noiseIsSeededGaussianOfTheStatedSize() {
        let a = BuiltinTrace.spike.trace(seed: 7), b = BuiltinTrace.spike.trace(seed: 7), c = BuiltinTrace.spike.trace(seed: 8)
        #expect(a == b)
        #expect(a != c)
        // Relative deviations over the flat first 300 s: mean ≈ 0, standard deviation ≈ 3 %.
        let deviations = (0..<300).map { a.demand[$0] / 12_000 - 1 }
        let mean = deviations.reduce(0, +) / 300
        let sd = (deviations.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 299).squareRoot()
        #expect(abs(mean) < 0.006)
        #expect(abs(sd - 0.03) < 0.006)
    }

    @Test func csvPerSecondWithAHeaderAndComments() throws {
        let trace = try Trace.parse("# last hour\ntime,qps\n100,10\n101,20\n\n102,30\n", name: "t.csv")
        #expect(trace.demand == [10, 20, 30])
        #expect(trace.name == "t.csv")
    }

    @Test func csvWithWindowsLineEndings() throws {
        let trace = try Trace.parse("time,qps\r\n0,5\r\n1,6\r\n", name: "t")
        #expect(trace.demand == [5, 6])
    }

    @Test func csvPerIntervalIsInterpolatedBetweenRows() throws {
        let trace = try Trace.parse("0,100\n10,200\n20,200\n", name: "t")
        #expect(trace.duration == 21)
        #expect(trace.demand[0] == 100 && trace.demand[5] == 150 && trace.demand[10] == 200 && trace.demand[20] == 200)
    }

    @Test func csvHeaderPicksItsColumnsByName() throws {
        let trace = try Trace.parse("pod,timestamp,p90,rps\na,5,0.1,7\nb,6,0.2,9\n", name: "t")
        #expect(trace.demand == [7, 9])
    }

    @Test(arguments: [
        ("0,1\nx,2\n", "line 2: time 'x' is not a number of seconds"),
        ("0,1\n1,abc\n", "line 2: qps 'abc' is not a number"),
        ("0,1\n1,-3\n", "line 2: qps -3 is negative"),
        ("0,1e20\n10,1e20\n", "line 1: qps 1e20 is over 1000000000, the most a trace may ask for"),
        ("5,1\n5,2\n", "line 2: time 5 does not come after the previous row's (5); rows must be in increasing time order"),
        ("0,1,2\n", "line 1: expected 2 fields (time,qps), found 3; or start with a header naming the time and qps columns"),
        ("time,qps\n0,1\n1\n", "line 3: expected 2 fields, as in the first row, found 1"),
        ("when,what\n0,1\n", "line 1: 'when' is neither a time in seconds nor a header with a time column (time, timestamp, t, ts, seconds)"),
        ("time,p90\n0,1\n", "line 1: the header names no rate column (qps, rps, rate, value, requests, demand)"),
        ("# nothing\n\n", "no samples: expected rows of time,qps"),
        ("0,1\n3000000,1\n", "line 2: the trace spans more than 31 days (0 to 3000000 s); replay a shorter range"),
    ])
    func csvErrorsNameTheLine(text: String, message: String) {
        #expect(throws: TraceError.self) { try Trace.parse(text, name: "t") }
        do {
            _ = try Trace.parse(text, name: "t")
        } catch {
            #expect(error.description == message)
        }
    }

    @Test func aPrometheusRangeQueryIsReplayed() throws {
        let json = """
        {"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[[1700000000,"100"],[1700000015,"250"],[1700000030,"250"]]}]}}
        """
        let trace = try Trace.parse(json, name: "week.json")
        #expect(trace.duration == 31)
        #expect(trace.demand[0] == 100 && trace.demand[15] == 250 && abs(trace.demand[3] - 130) < 1e-9)
    }

    @Test(arguments: [
        (#"{"status":"error","errorType":"bad_data","error":"parse error"}"#, "Prometheus answered error: parse error"),
        (#"{"status":"success","data":{"resultType":"vector","result":[]}}"#, "the answer is a vector, not a matrix: use /api/v1/query_range (a range query), not /api/v1/query"),
        (#"{"status":"success","data":{"resultType":"matrix","result":[]}}"#, "the query returned no series"),
        (#"{"status":"success","data":{"resultType":"matrix","result":[{"values":[]},{"values":[]}]}}"#, "the query returned 2 series; aggregate them into one, e.g. sum(rate(…[1m]))"),
        (#"{"status":"success","data":{"resultType":"matrix","result":[{"values":[[1,"1"],[2,"NaN"]]}]}}"#, "sample 2 (time 2): 'NaN' is not a rate (a number from 0 to 1000000000)"),
        (#"{"status":"success","data":{"resultType":"matrix","result":[{"values":[[1,1]]}]}}"#, "sample 1: expected [unixSeconds, \"value\"], found [1,1]"),
        ("{\n\"status\": }", "line 2: not valid JSON: expected a value"),
    ])
    func prometheusErrorsSayWhatIsWrong(text: String, message: String) {
        do {
            _ = try Trace.parse(text, name: "t")
            Issue.record("accepted \(text)")
        } catch {
            #expect(error.description.hasPrefix(message), "\(error.description)")
        }
    }
}
