import Foundation

/// Reads a text file for tests.
enum FileManagerLite {
    static func read(_ path: String) -> String? {
        FileManager.default.contents(atPath: path).flatMap { String(data: $0, encoding: .utf8) }
    }
}
