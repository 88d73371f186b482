import Autoscaling
import Foundation
import JSON
import YAML

/// One object read from a manifest file, with what is needed to point at its fields.
struct ManifestObject {
    let value: JSONValue
    /// The path as the user gave it (or `-` for standard input).
    let file: String
    let document: YAMLNode
    /// Where the object sits in its document: empty, or `items[i]` of a `kind: List`.
    let prefix: [YAMLPathComponent]

    var kind: String { value["kind"]?.stringValue ?? "" }
    var name: String { value["metadata"]?["name"]?.stringValue ?? "" }
    var namespace: String? { value["metadata"]?["namespace"]?.stringValue }
    var mark: YAMLMark { document.node(at: prefix)?.mark ?? document.mark }

    /// The position of a field, or of the nearest enclosing field that is written in the file.
    /// For a problem inside a one-line string (an expression), the column of the problem itself.
    func mark(for issue: FieldIssue) -> YAMLMark {
        let path = prefix + issue.path.components.map { component -> YAMLPathComponent in
            switch component {
            case .key(let k): return .key(k)
            case .index(let i): return .index(i)
            }
        }
        if let column = issue.columnInValue, let node = document.node(at: path), case .scalar(let text, let style) = node.content,
           style == .plain || style == .singleQuoted || style == .doubleQuoted, !text.contains("\n"),
           !(style == .doubleQuoted && text.contains("\\")) {
            return YAMLMark(line: node.mark.line, column: node.textColumn + column - 1)
        }
        return document.closestMark(to: path)
    }

    func location(_ mark: YAMLMark) -> String { "\(file):\(mark.line):\(mark.column)" }
}

/// A file that could not be read or parsed.
struct ManifestLoadError: Error {
    let file: String
    let mark: YAMLMark?
    let message: String

    var description: String {
        if let mark { return "\(file):\(mark.line):\(mark.column): error: \(message)" }
        return "\(file): error: \(message)"
    }
}

/// Reads the objects of `-f` arguments as kubectl does: files, directories (their `.yaml`, `.yml`
/// and `.json` files, sorted; with `-R` also below), `-` for standard input; several documents per
/// file; `kind: List` unwrapped; empty documents skipped.
enum ManifestLoader {
    static let extensions = ["yaml", "yml", "json"]

    /// The files named by `arguments`, directories expanded.
    static func files(_ arguments: [String], recursive: Bool) -> Result<[String], ManifestLoadError> {
        var files: [String] = []
        let fm = FileManager.default
        for argument in arguments {
            if argument == "-" { files.append(argument); continue }
            var isDirectory: ObjCBool = false
            guard fm.fileExists(atPath: argument, isDirectory: &isDirectory) else {
                return .failure(ManifestLoadError(file: argument, mark: nil, message: "no such file or directory"))
            }
            guard isDirectory.boolValue else { files.append(argument); continue }
            let listing: [String]
            if recursive {
                listing = (fm.enumerator(atPath: argument)?.allObjects as? [String]) ?? []
            } else {
                listing = (try? fm.contentsOfDirectory(atPath: argument)) ?? []
            }
            let base = argument.hasSuffix("/") ? String(argument.dropLast()) : argument
            for entry in listing.sorted() where extensions.contains((entry as NSString).pathExtension.lowercased()) {
                let path = base + "/" + entry
                var entryIsDirectory: ObjCBool = false
                if fm.fileExists(atPath: path, isDirectory: &entryIsDirectory), !entryIsDirectory.boolValue { files.append(path) }
            }
        }
        return .success(files)
    }

    /// The objects in one file.
    static func objects(in file: String, io: CommandIO) -> Result<[ManifestObject], ManifestLoadError> {
        let text: String
        if file == "-" {
            guard let input = io.readStandardInput() else {
                return .failure(ManifestLoadError(file: "-", mark: nil, message: "cannot read standard input"))
            }
            text = input
        } else {
            guard let data = FileManager.default.contents(atPath: file) else {
                return .failure(ManifestLoadError(file: file, mark: nil, message: "cannot read the file"))
            }
            guard let decoded = String(data: data, encoding: .utf8) else {
                return .failure(ManifestLoadError(file: file, mark: nil, message: "the file is not UTF-8 text"))
            }
            text = decoded
        }
        do throws(YAMLError) {
            var objects: [ManifestObject] = []
            for document in try YAMLReader.documents(in: text) {
                let value = try document.jsonValue()
                guard value.objectValue != nil else {
                    throw YAMLError("expected a Kubernetes object (a mapping), found \(value.typeName)", at: document.root.mark)
                }
                if value["kind"]?.stringValue == "List" || (value["kind"]?.stringValue ?? "").hasSuffix("List") && value["items"] != nil {
                    for (i, item) in (value["items"]?.arrayValue ?? []).enumerated() {
                        objects.append(ManifestObject(value: item, file: file, document: document.root, prefix: [.key("items"), .index(i)]))
                    }
                } else {
                    objects.append(ManifestObject(value: value, file: file, document: document.root, prefix: []))
                }
            }
            return .success(objects)
        } catch {
            return .failure(ManifestLoadError(file: file, mark: error.mark, message: error.message))
        }
    }

    /// All objects of all files named by `arguments`, or the first error.
    static func load(_ arguments: [String], recursive: Bool, io: CommandIO) -> Result<[ManifestObject], ManifestLoadError> {
        switch files(arguments, recursive: recursive) {
        case .failure(let error): return .failure(error)
        case .success(let files):
            var all: [ManifestObject] = []
            for file in files {
                switch objects(in: file, io: io) {
                case .failure(let error): return .failure(error)
                case .success(let objects): all += objects
                }
            }
            return .success(all)
        }
    }
}
