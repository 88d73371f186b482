import Foundation
import JSON
import TestSupport
import Testing
@testable import YAML

/// The corpus `make fuzz` grew for the YAML harness (Fuzz/Corpus/yaml, minimized), replayed with
/// the harness's checks: every input reads or fails with a position inside the text, and what it
/// reads survives the writer.
@Suite("YAML fuzz corpus")
struct YAMLFuzzCorpusTests {
    @Test func everyInputReadsOrFailsInsideTheTextAndSurvivesTheWriter() throws {
        let corpus = try fuzzCorpus("yaml")
        #expect(!corpus.isEmpty)
        var read = 0
        for (file, text) in corpus {
            let values: [JSONValue]
            do {
                values = try YAMLReader.jsonValues(in: text)
            } catch {
                // Lines as the reader counts them: ended by LF, CRLF, CR or NEL.
                var lines = 1
                var previous: Unicode.Scalar = " "
                for c in text.unicodeScalars {
                    if c == "\r" || c == "\u{85}" || (c == "\n" && previous != "\r") { lines += 1 }
                    previous = c
                }
                #expect(error.mark.line >= 1 && error.mark.line <= lines + 1, "\(file): \(error)")
                #expect(error.mark.column >= 1, "\(file): \(error)")
                continue
            }
            read += 1
            for value in values {
                let written = YAMLEmitter.text(of: value)
                #expect(try YAMLReader.jsonValues(in: written) == [value], "\(file): \(written)")
            }
        }
        #expect(read > 0)
    }
}
