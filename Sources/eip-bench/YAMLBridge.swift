import JSON
import YAML

enum YAMLBridge {
    static func first(_ text: String) throws -> JSONValue? { try YAMLReader.jsonValues(in: text).first }
}
