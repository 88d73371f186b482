import Foundation
import JSON
import LoadModel
import TestSupport
import Testing

/// The embedded H100 profile against the measurements it was taken from (copied from
/// `shared/data/h100-calibration/` into `Fixtures/h100-calibration/`, so CI's clean clone has them).
@Suite("H100 profile against its calibration data")
struct ProfileCalibrationTests {
    struct SweepRow {
        let fraction: Double, offered: Double, served: Double, p90Milliseconds: Double, gpuPercent: Double
    }

    static let fixtures = repositoryRoot + "/Tests/LoadModelTests/Fixtures/h100-calibration/"

    static func sweep() throws -> [SweepRow] {
        let text = try String(contentsOfFile: fixtures + "load_sweep.csv", encoding: .utf8)
        let lines = text.split(whereSeparator: \.isNewline).map { $0.split(separator: ",").map(String.init) }
        let header = lines[0]
        func column(_ name: String) throws -> Int { try #require(header.firstIndex(of: name), "no column \(name)") }
        let (f, o, s, p, g) = (try column("offered_fraction"), try column("offered_rps"), try column("served_rps"),
                               try column("p90_ms"), try column("gpu_util_mean"))
        return lines.dropFirst().compactMap { row in
            guard let fraction = Double(row[f]), let offered = Double(row[o]), let served = Double(row[s]),
                  let p90 = Double(row[p]), let gpu = Double(row[g]) else { return nil }
            return SweepRow(fraction: fraction, offered: offered, served: served, p90Milliseconds: p90, gpuPercent: gpu)
        }
    }

    @Test func theFixtureIsTheMeasuredSweep() throws {
        let rows = try Self.sweep()
        #expect(rows.count == 14)
        #expect(rows.first?.offered == 743.0)
    }

    @Test func capacityIsTheMeanServedRateOfTheSaturatedLevels() throws {
        let saturated = try Self.sweep().filter { $0.fraction >= 0.8 }
        let mean = saturated.map(\.served).reduce(0, +) / Double(saturated.count)
        #expect(saturated.count == 6)
        #expect(abs(ServerProfile.h100BERT.capacity - mean) / mean < 0.02, "capacity \(ServerProfile.h100BERT.capacity) vs measured \(mean)")
    }

    @Test func baseLatencyIsWithinTheLowLoadP90s() throws {
        let low = try Self.sweep().filter { $0.fraction == 0.1 || $0.fraction == 0.2 }.map(\.p90Milliseconds)
        let base = ServerProfile.h100BERT.baseLatency * 1000
        #expect(low.count == 2)
        #expect(base >= (low.min() ?? 0) && base <= (low.max() ?? 0), "base \(base) ms vs \(low)")
    }

    @Test func gpuCurveFollowsTheUnsaturatedLevelsAndPlateausWhereTheSaturatedOnesDo() throws {
        let profile = ServerProfile.h100BERT
        let rows = try Self.sweep()
        for row in rows where row.fraction <= 0.5 {
            let model = profile.gpuUtilisation.at(row.offered / profile.capacity) * 100
            #expect(abs(model - row.gpuPercent) <= 5, "at \(row.offered) req/s: model \(model) %, measured \(row.gpuPercent) %")
        }
        let plateau = rows.filter { $0.fraction >= 0.8 }.map(\.gpuPercent)
        let mean = plateau.reduce(0, +) / Double(plateau.count)
        #expect(abs(profile.gpuUtilisation.maximum * 100 - mean) <= 3, "plateau \(profile.gpuUtilisation.maximum) vs measured \(mean) %")
        // Host-bound: utilisation never reaches the 70 % an HPA is usually given.
        #expect(profile.gpuUtilisation.at(.infinity) < 0.7)
    }

    @Test func coldStartCoversTheMeasuredStartsOfTheSmallModel() throws {
        let data = try #require(FileManager.default.contents(atPath: Self.fixtures + "coldstart.json"))
        let runs = try #require(try JSONValue(parsing: String(decoding: data, as: UTF8.self)).arrayValue)
        let walls = runs.compactMap { $0["process_wall_s"]?.doubleValue }
        #expect(walls.count == 2)
        #expect(walls.allSatisfy { $0 <= ServerProfile.h100BERT.coldStart })
    }
}
