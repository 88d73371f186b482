import Autoscaling
import JSON
import Testing
@testable import Demo

@Suite("Time compression of the demo pool")
struct CompressionTests {
    @Test func everyDurationOfTheBehaviorIsDividedByTheSpeedWithinTheCRDsLimits() throws {
        // The sample pool's behavior (poll 5 s, HPA-like steps) at 15x.
        let written = ScalingBehavior(pollIntervalSeconds: 5, scaleUp: .defaultScaleUp, scaleDown: .defaultScaleDown,
                                      fallback: FallbackPolicy(failureThreshold: 3, replicas: 4))
        let c = Compression(behavior: written, speed: 15)
        #expect(c.applied.pollIntervalSeconds == 1 && c.pollHeld)  // 5/15 s is below the 1 s minimum
        #expect(c.applied.scaleUp.periodSeconds == 1 && c.applied.scaleUp.stabilizationWindowSeconds == 0)
        #expect(c.applied.scaleDown.periodSeconds == 4 && c.applied.scaleDown.stabilizationWindowSeconds == 20)
        #expect(c.applied.scaleUp.pods == 4 && c.applied.scaleDown.percent == 10, "step sizes are not time")
        #expect(c.lines[0].contains("held at the CRD's 1s minimum"))
        // As applied: the CRD's duration pattern, the fallback kept as written.
        let json = c.behaviorJSON(keeping: ["fallback": ["failureThreshold": 3, "replicas": 4]])
        #expect(json["pollInterval"] == "1s" && json["scaleDown"]?["stabilizationWindowSeconds"] == 20 && json["fallback"]?["replicas"] == 4)

        let slow = Compression(behavior: written, speed: 4)
        #expect(slow.applied.pollIntervalSeconds == 1.25 && !slow.pollHeld)
        #expect(slow.behaviorJSON(keeping: nil)["pollInterval"] == "1250ms")
        #expect(Compression.duration(300) == "300s")
    }

    @Test func rowsComeAboutThirtyPerRun() {
        #expect(DemoRun.rowInterval(1_800) == 60)
        #expect(DemoRun.rowInterval(701) == 30)
        #expect(DemoRun.rowInterval(7_200) == 300)
    }
}
