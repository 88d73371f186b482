import Autoscaling
import CommandLineSupport
import JSON

/// `eipctl validate -f FILE|DIR ...`: checks every ElasticInferencePool in the files.
enum ValidateCommand {
    static let spec = CommandSpec(
        name: "validate",
        abstract: "Check ElasticInferencePool manifests: schema, names, bounds, threshold expressions, and lints.",
        usage: "eipctl validate -f FILE|DIR [-f FILE|DIR ...] [-R] [-o text|json]",
        discussion: """
        Reads YAML or JSON (several documents per file, kind: List unwrapped; '-' reads standard input).
        Objects of other kinds are skipped. Errors and warnings go to standard error as
        FILE:LINE:COLUMN: error|warning: FIELD: MESSAGE; warnings (lints) never fail validation.
        The checks are the operator's admission webhook's, so what passes here passes kubectl apply:
        a pool whose target an earlier pool in the files already targets is an error too. The
        threshold language: 'eipctl help thresholds'.

        EXIT CODES: 0 every pool is valid; 1 a pool is invalid, a file cannot be read or parsed,
        or no pool was found; 2 the command line is wrong.
        """,
        options: [
            OptionSpec(["-f", "--filename"], value: "FILE|DIR", repeatable: true, help: "A manifest file, a directory of them, or - for standard input."),
            OptionSpec(["-R", "--recursive"], help: "Also read the directories below a directory given with -f."),
            OptionSpec(["-o", "--output"], value: "FORMAT", help: "text (default) or json."),
        ])

    static func run(_ args: ParsedArguments, io: CommandIO) throws(UsageError) -> ExitCode {
        let inputs = args.all("filename")
        guard !inputs.isEmpty else { throw UsageError("validate needs at least one -f FILE|DIR") }
        let format = args.value("output") ?? "text"
        guard ["text", "json"].contains(format) else { throw UsageError("unknown output format '\(format)'; use text or json") }

        let files: [String]
        switch ManifestLoader.files(inputs, recursive: args.has("recursive")) {
        case .failure(let error):
            io.err(error.description)
            return .invalidInput
        case .success(let found): files = found
        }

        var reports: [JSONValue] = []
        var counts = (valid: 0, invalid: 0, skipped: 0, unreadable: 0)
        let cache = ThresholdExpressionCache()
        // The pools read so far: a later one on the same target is refused, as the webhook refuses it.
        var earlier: [JSONValue] = []
        for file in files {
            let objects: [ManifestObject]
            switch ManifestLoader.objects(in: file, io: io) {
            case .failure(let error):
                counts.unreadable += 1
                if format == "text" { io.err(error.description) }
                reports.append(["file": .string(file), "result": "unreadable", "error": .string(error.message),
                                "line": error.mark.map { .integer($0.line) } ?? .null, "column": error.mark.map { .integer($0.column) } ?? .null])
                continue
            case .success(let loaded): objects = loaded
            }
            for object in objects {
                let identity = "\(object.kind.isEmpty ? "(no kind)" : object.kind) \(object.namespace ?? "default")/\(object.name)"
                guard object.kind == ElasticInferencePool.kind else {
                    counts.skipped += 1
                    if format == "text" { io.out("\(object.location(object.mark)): \(identity): skipped (not an \(ElasticInferencePool.kind))") }
                    reports.append(report(object, result: "skipped", issues: []))
                    continue
                }
                // The webhook's verdict on creating it, the pools before it in the files as the cluster's.
                let verdict = PoolAdmission.review(.create, object: object.value, old: nil, pools: earlier, cache: cache)
                earlier.append(object.value)
                let issues = verdict.errors + verdict.warnings
                if verdict.allowed { counts.valid += 1 } else { counts.invalid += 1 }
                let result = verdict.allowed ? "valid" : "invalid"
                if format == "text" {
                    let warnings = verdict.warnings.count
                    let suffix = verdict.allowed ? (warnings > 0 ? " (\(warnings) warning\(warnings == 1 ? "" : "s"))" : "")
                        : " (\(verdict.errors.count) error\(verdict.errors.count == 1 ? "" : "s"))"
                    io.out("\(object.location(object.mark)): \(identity): \(result)\(suffix)")
                    for issue in issues {
                        io.err("\(object.location(object.mark(for: issue))): \(issue.severity.rawValue): \(issue)")
                    }
                }
                reports.append(report(object, result: result, issues: issues))
            }
        }

        let noPools = counts.valid + counts.invalid == 0
        if format == "json" {
            let summary: JSONValue = ["valid": .integer(counts.valid), "invalid": .integer(counts.invalid),
                                      "skipped": .integer(counts.skipped), "unreadable": .integer(counts.unreadable)]
            io.out(JSONValue.object(JSONObject([("objects", .array(reports)), ("summary", summary)])).prettyText)
        } else {
            let objects = counts.valid + counts.invalid + counts.skipped
            var line = "\(objects) object\(objects == 1 ? "" : "s") in \(files.count) file\(files.count == 1 ? "" : "s"): "
                + "\(counts.valid) valid, \(counts.invalid) invalid, \(counts.skipped) skipped"
            if counts.unreadable > 0 { line += ", \(counts.unreadable) unreadable" }
            io.out(line)
            if noPools && counts.unreadable == 0 { io.err("error: no \(ElasticInferencePool.kind) found in the given files") }
        }
        return counts.invalid + counts.unreadable > 0 || noPools ? .invalidInput : .success
    }

    private static func report(_ object: ManifestObject, result: String, issues: [FieldIssue]) -> JSONValue {
        let mark = object.mark
        var o = JSONObject()
        o["file"] = .string(object.file)
        o["line"] = .integer(mark.line)
        o["column"] = .integer(mark.column)
        o["kind"] = .string(object.kind)
        o["namespace"] = .string(object.namespace ?? "default")
        o["name"] = .string(object.name)
        o["result"] = .string(result)
        o["issues"] = .array(issues.map { issue in
            let at = object.mark(for: issue)
            var i = JSONObject()
            i["severity"] = .string(issue.severity.rawValue)
            i["field"] = .string(issue.path.description)
            if let column = issue.columnInValue { i["columnInValue"] = .integer(column) }
            i["message"] = .string(issue.message)
            i["line"] = .integer(at.line)
            i["column"] = .integer(at.column)
            return .object(i)
        })
        return .object(o)
    }
}
