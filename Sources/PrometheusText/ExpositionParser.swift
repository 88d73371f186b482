/// Reads the Prometheus text exposition format 0.0.4 (and the OpenMetrics `# EOF` marker): `# HELP`
/// and `# TYPE` lines, samples with escaped label values, NaN and ±Inf, optional timestamps.
/// Errors carry line:column. Hostile input cannot crash or hang it: one pass over the bytes, no
/// recursion, every index checked.
public enum ExpositionParser {
    /// The metric families of `text`, in the order they first appear; samples of an undeclared
    /// family form an `untyped` family. Stops at `# EOF`.
    public static func parse(_ text: String) throws(ExpositionError) -> [MetricFamily] {
        var families: [MetricFamily] = []
        var byName: [String: Int] = [:]
        var lineNumber = 0
        // Lines are split on bytes, not Characters: "\r\n" is one Character in Swift, and grapheme
        // breaking costs most of the parse time.
        let text = Array(text.utf8)
        for rawLine in text.split(separator: 10, omittingEmptySubsequences: false) {
            lineNumber += 1
            let line = rawLine.last == 13 ? Array(rawLine.dropLast()) : Array(rawLine)
            var cursor = LineCursor(bytes: line, line: lineNumber)
            cursor.skipSpaces()
            if cursor.atEnd { continue }
            if cursor.peek == UInt8(ascii: "#") {
                cursor.index += 1
                cursor.skipSpaces()
                let word = cursor.readWhile { $0 != UInt8(ascii: " ") && $0 != UInt8(ascii: "\t") }
                if word == "EOF" { break }
                guard word == "HELP" || word == "TYPE" else { continue }  // another comment
                cursor.skipSpaces()
                let nameStart = cursor.index
                let name = try cursor.readMetricName()
                cursor.skipSpaces()
                let rest = cursor.rest
                let index = byName[name] ?? {
                    families.append(MetricFamily(name: name, kind: .untyped, help: nil, samples: []))
                    byName[name] = families.count - 1
                    return families.count - 1
                }()
                if word == "HELP" {
                    families[index].help = unescapeHelp(rest)
                } else {
                    guard let kind = MetricFamily.Kind(rawValue: rest.trimmingSpacesAndTabs()) else {
                        throw cursor.error("unknown metric type '\(rest)'; expected counter, gauge, histogram, summary or untyped")
                    }
                    guard families[index].samples.isEmpty else {
                        cursor.index = nameStart
                        throw cursor.error("# TYPE for \(name) after its samples")
                    }
                    families[index].kind = kind
                }
                continue
            }
            let sample = try cursor.readSample()
            let family = familyName(of: sample.name, in: families, byName: byName)
            if let index = byName[family] {
                families[index].samples.append(sample)
            } else {
                families.append(MetricFamily(name: family, kind: .untyped, help: nil, samples: [sample]))
                byName[family] = families.count - 1
            }
        }
        return families
    }

    /// The family a sample belongs to: its own name, or for histograms and summaries the name
    /// without `_bucket`/`_sum`/`_count`, and OpenMetrics counters without `_total`.
    static func familyName(of sample: String, in families: [MetricFamily], byName: [String: Int]) -> String {
        if byName[sample] != nil { return sample }
        for suffix in ["_bucket", "_sum", "_count", "_total"] where sample.hasSuffix(suffix) {
            let base = String(sample.dropLast(suffix.count))
            if let index = byName[base] {
                let kind = families[index].kind
                if suffix == "_total" ? kind == .counter : (kind == .histogram || (kind == .summary && suffix != "_bucket")) { return base }
            }
        }
        return sample
    }

    static func unescapeHelp(_ text: String) -> String {
        var out = ""
        var escaped = false
        for c in text {
            if escaped {
                out.append(c == "n" ? "\n" : c)
                escaped = false
            } else if c == "\\" {
                escaped = true
            } else {
                out.append(c)
            }
        }
        return out
    }
}

/// Reading one line, byte by byte.
struct LineCursor {
    let bytes: [UInt8]
    let line: Int
    var index = 0

    var atEnd: Bool { index >= bytes.count }
    var peek: UInt8? { index < bytes.count ? bytes[index] : nil }
    var rest: String { String(decoding: bytes[min(index, bytes.count)...], as: UTF8.self) }

    func error(_ message: String) -> ExpositionError {
        ExpositionError(line: line, column: min(index, bytes.count) + 1, message: message)
    }

    mutating func skipSpaces() {
        while let c = peek, c == UInt8(ascii: " ") || c == UInt8(ascii: "\t") { index += 1 }
    }

    mutating func readWhile(_ predicate: (UInt8) -> Bool) -> String {
        let start = index
        while let c = peek, predicate(c) { index += 1 }
        return String(decoding: bytes[start..<index], as: UTF8.self)
    }

    static func isNameStart(_ c: UInt8) -> Bool { (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c == 95 || c == 58 }
    static func isNameByte(_ c: UInt8) -> Bool { isNameStart(c) || (c >= 48 && c <= 57) }

    mutating func readMetricName() throws(ExpositionError) -> String {
        guard let c = peek, Self.isNameStart(c) else { throw error("expected a metric name") }
        return readWhile(Self.isNameByte)
    }

    mutating func readSample() throws(ExpositionError) -> Sample {
        let name = try readMetricName()
        var labels: [String: String] = [:]
        skipSpaces()
        if peek == UInt8(ascii: "{") {
            index += 1
            while true {
                skipSpaces()
                if peek == UInt8(ascii: "}") { index += 1; break }
                guard let c = peek, Self.isNameStart(c) else { throw error(atEnd ? "unterminated label set; expected '}'" : "expected a label name") }
                let labelStart = index
                let label = readWhile(Self.isNameByte)
                skipSpaces()
                guard peek == UInt8(ascii: "=") else { throw error("expected '=' after label \(label)") }
                index += 1
                skipSpaces()
                guard peek == UInt8(ascii: "\"") else { throw error("expected '\"' to open the value of label \(label)") }
                index += 1
                var value: [UInt8] = []
                var closed = false
                while let c = peek {
                    index += 1
                    if c == UInt8(ascii: "\\") {
                        guard let e = peek else { break }
                        guard [UInt8(ascii: "n"), UInt8(ascii: "\\"), UInt8(ascii: "\"")].contains(e) else {
                            index -= 1  // point at the backslash
                            throw error("invalid escape '\\\(Character(Unicode.Scalar(e)))' in a label value")
                        }
                        index += 1
                        switch e {
                        case UInt8(ascii: "n"): value.append(10)
                        case UInt8(ascii: "\\"), UInt8(ascii: "\""): value.append(e)
                        default: break
                        }
                    } else if c == UInt8(ascii: "\"") {
                        closed = true
                        break
                    } else {
                        value.append(c)
                    }
                }
                guard closed else { throw error("unterminated label value of \(label)") }
                guard labels[label] == nil else {
                    index = labelStart
                    throw error("duplicate label \(label)")
                }
                labels[label] = String(decoding: value, as: UTF8.self)
                skipSpaces()
                if peek == UInt8(ascii: ",") { index += 1; continue }
                if peek == UInt8(ascii: "}") { index += 1; break }
                throw error("expected ',' or '}' after the value of label \(label)")
            }
        }
        skipSpaces()
        let valueStart = index
        let valueText = readWhile { $0 != UInt8(ascii: " ") && $0 != UInt8(ascii: "\t") }
        guard let value = Self.number(valueText) else {
            index = valueStart
            throw error(valueText.isEmpty ? "expected a value after \(name)" : "'\(valueText)' is not a number")
        }
        skipSpaces()
        var timestamp: Int64?
        if !atEnd {
            let stampStart = index
            let text = readWhile { $0 != UInt8(ascii: " ") && $0 != UInt8(ascii: "\t") }
            guard let stamp = Int64(text) else {
                index = stampStart
                throw error("'\(text)' is not a timestamp (milliseconds)")
            }
            timestamp = stamp
            skipSpaces()
            guard atEnd else { throw error("unexpected text after the timestamp") }
        }
        return Sample(name: name, labels: labels, value: value, timestamp: timestamp)
    }

    /// Go's `strconv.ParseFloat` as Prometheus uses it: decimals, exponents, NaN, ±Inf.
    /// Digits, signs, the decimal point and exponent letters.
    static func isNumberByte(_ c: UInt8) -> Bool {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."),
             UInt8(ascii: "e"), UInt8(ascii: "E"): return true
        default: return false
        }
    }

    static func number(_ text: String) -> Double? {
        switch text {
        case "NaN", "nan": return .nan
        case "+Inf", "Inf", "inf", "+inf": return .infinity
        case "-Inf", "-inf": return -.infinity
        default:
            guard !text.isEmpty, text.utf8.allSatisfy(isNumberByte) else { return nil }
            return Double(text)
        }
    }
}

extension String {
    func trimmingSpacesAndTabs() -> String {
        String(drop(while: { $0 == " " || $0 == "\t" }).reversed().drop(while: { $0 == " " || $0 == "\t" }).reversed())
    }
}
