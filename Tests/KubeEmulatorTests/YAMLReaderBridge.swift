import TestSupport
import JSON
import YAML

/// Reads one YAML document as JSON (the CRD file).
enum YAMLReaderBridge {
    static func json(_ text: String) throws -> JSONValue? {
        try YAMLReader.jsonValues(in: text).first
    }
}
