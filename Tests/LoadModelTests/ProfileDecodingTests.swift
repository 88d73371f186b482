import JSON
import LoadModel
import Testing

@Suite("Profiles from files")
struct ProfileDecodingTests {
    @Test func aProfileWithUnitsIsRead() throws {
        let profile = try ServerProfile(json: [
            "name": "a100-llama", "capacity": 450, "baseLatency": "120ms",
            "gpuUtilisation": ["idle": "10%", "perLoad": 0.9, "maximum": "100%"], "coldStart": "3m",
        ])
        #expect(profile == ServerProfile(name: "a100-llama", capacity: 450, baseLatency: 0.12,
                                         gpuUtilisation: GPUUtilisationCurve(idle: 0.1, perLoad: 0.9, maximum: 1), coldStart: 180))
    }

    @Test func leftOutFieldsTakeTheH100Values() throws {
        let profile = try ServerProfile(json: ["capacity": 1000, "baseLatency": 0.02])
        #expect(profile.gpuUtilisation == ServerProfile.h100BERT.gpuUtilisation)
        #expect(profile.coldStart == 10 && profile.name == "custom")
    }

    @Test(arguments: [
        (["capacity": 1, "baseLatency": "1ms", "coldstart": "2s"] as JSONValue, "coldstart: unknown field; did you mean \"coldStart\"? (known: name, capacity, baseLatency, gpuUtilisation, coldStart)"),
        (["baseLatency": "1ms"] as JSONValue, "capacity: required: requests/s one ready replica serves at saturation"),
        (["capacity": 0, "baseLatency": "1ms"] as JSONValue, "capacity: must be greater than 0, not 0.0"),
        (["capacity": 10, "baseLatency": "fast"] as JSONValue, "baseLatency: expected a time such as 9ms, 10s or 2m, found \"fast\""),
        (["capacity": 10, "baseLatency": "1ms", "gpuUtilisation": ["maximum": "140%"]] as JSONValue,
         "gpuUtilisation.maximum: expected a percentage (58%) or a fraction from 0 to 1, found \"140%\""),
        (["capacity": 10, "baseLatency": "1ms", "gpuUtilisation": ["idel": 0.1]] as JSONValue,
         "gpuUtilisation.idel: unknown field; did you mean \"gpuUtilisation.idle\"? (known: idle, perLoad, maximum)"),
        (["a", "b"] as JSONValue, "expected a mapping of profile fields (name, capacity, baseLatency, gpuUtilisation, coldStart), found array"),
    ])
    func badProfilesSayWhichField(value: JSONValue, message: String) {
        do {
            _ = try ServerProfile(json: value)
            Issue.record("accepted \(value)")
        } catch {
            #expect(error.description == message)
        }
    }

    @Test func quantitiesOnTheCommandLine() {
        #expect(QuantityText.seconds("120s") == 120)
        #expect(QuantityText.seconds("2m") == 120)
        #expect(QuantityText.seconds("200ms") == 0.2)
        #expect(QuantityText.seconds("250us") == 0.00025)
        #expect(QuantityText.seconds("1h") == 3600)
        #expect(QuantityText.seconds("15") == 15)
        #expect(QuantityText.seconds("fast") == nil)
        #expect(QuantityText.seconds("nans") == nil)
        #expect(QuantityText.fraction("58%") == 0.58)
        #expect(QuantityText.fraction("0.5") == 0.5)
    }
}
