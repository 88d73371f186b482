import Foundation
import JSON
import LoadModel
import YAML

/// Why a trace or profile named on a command line cannot be used, worded as the tools print it
/// (`trace.csv:3: error: qps 'lots' is not a number`).
public struct ServingInputError: Error, Sendable, CustomStringConvertible {
    public let description: String

    init(_ description: String) { self.description = description }
}

extension SimulatedServing {
    /// The trace a command-line argument names: `builtin:spike` or `builtin:diurnal` (with noise from
    /// `seed`), or a file: a CSV of `time,qps` or the JSON of a Prometheus range query (``Trace/parse(_:name:)``).
    public static func trace(named argument: String, seed: UInt64) throws(ServingInputError) -> Trace {
        if argument.hasPrefix("builtin:") {
            let name = String(argument.dropFirst("builtin:".count))
            guard let builtin = BuiltinTrace(rawValue: name) else {
                throw ServingInputError("no built-in trace '\(name)'; the built-ins are \(BuiltinTrace.allCases.map { "builtin:\($0.rawValue)" }.joined(separator: ", "))")
            }
            return builtin.trace(seed: seed)
        }
        let text = try readText(argument)
        do throws(TraceError) {
            return try Trace.parse(text, name: argument)
        } catch {
            throw ServingInputError("\(argument):\(error.line.map { "\($0):" } ?? "") error: \(error.message)")
        }
    }

    /// The server profile a command-line argument names: `builtin:h100-bert`, `builtin:gpu-bound`,
    /// or a YAML/JSON file (``ServerProfile/init(json:)``).
    public static func profile(named argument: String) throws(ServingInputError) -> ServerProfile {
        if argument.hasPrefix("builtin:") {
            let name = String(argument.dropFirst("builtin:".count))
            guard let profile = ServerProfile.builtins[name] else {
                throw ServingInputError("no built-in profile '\(name)'; the built-ins are \(ServerProfile.builtins.keys.sorted().map { "builtin:\($0)" }.joined(separator: ", "))")
            }
            return profile
        }
        let text = try readText(argument)
        let documents: [JSONValue]
        do throws(YAMLError) {
            documents = try YAMLReader.jsonValues(in: text)
        } catch {
            throw ServingInputError("\(argument):\(error.mark.line):\(error.mark.column): error: \(error.message)")
        }
        guard let document = documents.first else { throw ServingInputError("\(argument): error: the file holds no profile") }
        do throws(ProfileError) {
            return try ServerProfile(json: document)
        } catch {
            throw ServingInputError("\(argument): error: \(error)")
        }
    }

    private static func readText(_ path: String) throws(ServingInputError) -> String {
        guard let data = FileManager.default.contents(atPath: path) else { throw ServingInputError("\(path): error: cannot read the file") }
        guard let text = String(data: data, encoding: .utf8) else { throw ServingInputError("\(path): error: the file is not UTF-8 text") }
        return text
    }
}
