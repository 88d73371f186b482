import Foundation
import JSON
import TestSupport
import Testing

let vllmSample = "Manifests/samples/llama-vllm-pool.yaml"

/// eipctl with a pool's own metrics (issue 19 §1): validate, the dry run's --metrics, its status write.
@Suite("eipctl with a pool's own metrics", .serialized, .runsOnOwnThreads)
struct LLMServingTests {
    @Test func aMisspeltOwnMetricGetsItsFileLineAndSuggestion() throws {
        let text = try String(contentsOfFile: Eipctl.root + "/" + vllmSample, encoding: .utf8)
            .replacingOccurrences(of: "waiting > 8 ||", with: "wating > 8 ||")
        let tmp = try TemporaryDirectory()
        let r = try Eipctl.run(["validate", "-f", try tmp.file(text)])
        #expect(r.status == 1)
        #expect(r.stderr.contains("pool.yaml:16:22: error: spec.scaleUpThreshold: column 1: unknown metric 'wating'; did you mean 'waiting'?"), "\(r.stderr)")
    }

    @Test func theDryRunTakesTheOwnMetricsValuesAndScalesOnThem() throws {
        let r = try Eipctl.run(["reconcile", "--dry-run", "-f", vllmSample, "--metrics", "waiting=12,kv_cache=50%", now])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("  waiting>8          waiting=12               true"), "\(r.stdout)")
        #expect(r.stdout.contains("Decision  Scale up 1 -> 5 (ScaleUpRule)"))

        let json = try Eipctl.run(["reconcile", "--dry-run", "-f", vllmSample, "--metrics", "waiting=0, kv_cache=93 %", now, "-o", "json"])
        #expect(json.status == 0, "\(json.stderr)")
        let plan = try JSONValue(parsing: json.stdout)
        #expect(plan["metrics"] == ["waiting": "0", "kv_cache": "93%"])
        #expect(plan["decision"]?["action"] == "ScaleUp", "kv_cache 93% > 90%")
        let status = plan["writes"]?.arrayValue?.last?["body"]?["status"]
        #expect(status?["observed"]?["custom"] == ["kv_cache": "93%", "waiting": "0"])
        #expect(status?["observed"]?["summary"] == "waiting=0 kv_cache=93% ttft=?")
    }

    @Test(arguments: [
        ("wating=12", "--metrics: unknown metric 'wating'; did you mean 'waiting'?"),
        ("waiting=12ms", "--metrics: waiting=12ms: 'ms' does not fit waiting; it takes a bare count (as in 8)"),
        ("kv_cache=93", "--metrics: kv_cache=93: kv_cache takes a percentage or a fraction from 0 to 1; did you mean 93%?"),
    ])
    func badValuesAreUsageErrors(metrics: String, expected: String) throws {
        let r = try Eipctl.run(["reconcile", "--dry-run", "-f", vllmSample, "--metrics", metrics, now])
        #expect(r.status == 2)
        #expect(r.stderr.contains(expected), "\(r.stderr)")
    }
}
