import Foundation
import JSON
import TestSupport
import YAML

/// The project's CRD, read with the YAML reader.
enum YAMLReaderBridge {
    static func crd() throws -> JSONValue {
        try YAMLReader.jsonValues(in: String(contentsOfFile: repositoryRoot + "/CRDs/aiops.example.com_elasticinferencepools.yaml", encoding: .utf8))[0]
    }
}
