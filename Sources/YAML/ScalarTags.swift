/// The scalar tags whose meaning goes beyond typing plain text, read as go-yaml v2 (kubectl) reads them.
enum ScalarTags {
    /// `!!binary`: the standard base64 alphabet with `=` padding, as Go's `base64.StdEncoding`
    /// decodes it (line breaks are skipped; any other character, a space included, is an error).
    /// Nil when the text is not such base64.
    static func base64Decoded(_ text: String) -> [UInt8]? {
        var bytes: [UInt8] = []
        var accumulator: UInt32 = 0
        var bits = 0
        var padding = 0
        var count = 0
        for c in text.utf8 where c != 0x0A && c != 0x0D {
            count += 1
            if c == UInt8(ascii: "=") {
                padding += 1
                continue
            }
            guard padding == 0, let value = base64Value(c) else { return nil }
            accumulator = accumulator << 6 | UInt32(value)
            bits += 6
            if bits >= 8 {
                bits -= 8
                bytes.append(UInt8(truncatingIfNeeded: accumulator >> UInt32(bits)))
            }
        }
        // Whole quanta of four characters; padding only at the end (data after it failed above), at most two.
        guard count % 4 == 0, padding <= 2 else { return nil }
        return bytes
    }

    private static func base64Value(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): return c - UInt8(ascii: "A")
        case UInt8(ascii: "a")...UInt8(ascii: "z"): return c - UInt8(ascii: "a") + 26
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0") + 52
        case UInt8(ascii: "+"): return 62
        case UInt8(ascii: "/"): return 63
        default: return nil
        }
    }

    /// `!!timestamp`: one of go-yaml v2's formats, as Go's `time.Parse` takes them: `2006-1-2`,
    /// `2006-1-2T15:4:5.999999999Z07:00` (or a lower-case `t`), `2006-1-2 15:4:5.999999999`.
    /// The year has four digits; month, day, hour, minute and second one or two, in range (the day
    /// for its month); the fraction any number of digits after `.` or `,`; the zone `Z` or `±hh:mm`.
    static func isTimestamp(_ text: String) -> Bool {
        var rest = Array(text.utf8)[...]
        func number(maxDigits: Int) -> Int? {
            var value = 0
            var digits = 0
            while digits < maxDigits, let c = rest.first, c >= 0x30, c <= 0x39 {
                value = value * 10 + Int(c - 0x30)
                digits += 1
                rest = rest.dropFirst()
            }
            return digits == 0 ? nil : value
        }
        func take(_ c: Character) -> Bool {
            guard let first = rest.first, first == c.asciiValue else { return false }
            rest = rest.dropFirst()
            return true
        }
        let yearStart = rest.count
        guard let year = number(maxDigits: 4), yearStart - rest.count == 4, take("-"),
              let month = number(maxDigits: 2), (1...12).contains(month), take("-"),
              let day = number(maxDigits: 2), day >= 1, day <= daysIn(month: month, year: year) else { return false }
        if rest.isEmpty { return true }
        let zoned: Bool
        if take("T") || take("t") { zoned = true } else if take(" ") { zoned = false } else { return false }
        guard let hour = number(maxDigits: 2), hour < 24, take(":"),
              let minute = number(maxDigits: 2), minute < 60, take(":"),
              let second = number(maxDigits: 2), second < 60 else { return false }
        if let c = rest.first, c == UInt8(ascii: "."), rest.count > 1, (0x30...0x39).contains(rest[rest.startIndex + 1]) {
            rest = rest.dropFirst()
            _ = number(maxDigits: .max)
        } else if let c = rest.first, c == UInt8(ascii: ","), rest.count > 1, (0x30...0x39).contains(rest[rest.startIndex + 1]) {
            rest = rest.dropFirst()
            _ = number(maxDigits: .max)
        }
        guard zoned else { return rest.isEmpty }
        if take("Z") { return rest.isEmpty }
        guard take("+") || take("-") else { return false }
        let zoneStart = rest.count
        guard let zoneHour = number(maxDigits: 2), zoneStart - rest.count == 2, zoneHour < 24, take(":") else { return false }
        let minuteStart = rest.count
        guard let zoneMinute = number(maxDigits: 2), minuteStart - rest.count == 2, zoneMinute < 60 else { return false }
        return rest.isEmpty
    }

    private static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }
}

/// Mapping-key text for go-yaml's non-string keys, as sigs.k8s.io/yaml writes them when it turns
/// YAML into JSON: integers in decimal (`0x10` → "16"), booleans as `true`/`false`, and floats with
/// Go's `strconv.FormatFloat(f, 'g', -1, 32)`: the shortest digits of the *32-bit* float, in
/// exponent form below 1e-4 or from 1e6 up (`1e+06`, `1.2345679e+08`, `1e-05`), `.inf`, `-.inf`, `.nan`.
enum GoKeyText {
    static func float(_ value: Double) -> String {
        let f = Float(value)
        if f.isNaN { return ".nan" }
        if f.isInfinite { return f < 0 ? "-.inf" : ".inf" }
        let sign = f.sign == .minus ? "-" : ""
        if f == 0 { return sign + "0" }
        // Swift prints a Float with its shortest round-tripping digits, as Go's 'g', -1 does;
        // take those digits and where the decimal point falls, then lay them out as Go does.
        let description = "\(abs(f))"
        let parts = description.split(separator: "e", maxSplits: 1)
        let exponent = parts.count == 2 ? Int(parts[1]) ?? 0 : 0
        let mantissa = parts[0]
        var digits = Array(mantissa.filter { $0 != "." })
        var point = (mantissa.firstIndex(of: ".").map { mantissa.distance(from: mantissa.startIndex, to: $0) } ?? mantissa.count) + exponent
        while digits.first == "0" { digits.removeFirst(); point -= 1 }
        while digits.last == "0" { digits.removeLast() }
        let decimalExponent = point - 1
        if decimalExponent < -4 || decimalExponent >= 6 {
            var text = String(digits[0])
            if digits.count > 1 { text += "." + String(digits[1...]) }
            let magnitude = abs(decimalExponent)
            text += (decimalExponent < 0 ? "e-" : "e+") + (magnitude < 10 ? "0" : "") + String(magnitude)
            return sign + text
        }
        if point <= 0 { return sign + "0." + String(repeating: "0", count: -point) + String(digits) }
        if point >= digits.count { return sign + String(digits) + String(repeating: "0", count: point - digits.count) }
        return sign + String(digits[..<point]) + "." + String(digits[point...])
    }
}
