import Foundation
import JSON
import Testing

/// The corpus `make fuzz` grew for the JSON harness (Fuzz/Corpus/json, minimized), replayed with
/// the harness's checks: what parses survives serializing, compact and pretty, unchanged and stably.
@Suite("JSON fuzz corpus")
struct JSONFuzzCorpusTests {
    @Test func everyValueSurvivesSerializing() throws {
        let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../Fuzz/Corpus/json").standardized
        let files = try FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)
        #expect(!files.isEmpty)
        var parsed = 0
        for file in files {
            guard let value = try? JSONValue(parsing: [UInt8](try Data(contentsOf: file))) else { continue }
            parsed += 1
            for text in [value.compactText, value.prettyText] {
                let again = try JSONValue(parsing: text)
                #expect(again == value, "\(file.lastPathComponent)")
                #expect(again.compactText == value.compactText, "\(file.lastPathComponent)")
            }
        }
        #expect(parsed > 0)
    }
}
