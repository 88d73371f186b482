#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Numbers as the reports print them.
public enum NumberText {
    /// `30050` → `30,050`.
    public static func grouped(_ value: Int) -> String {
        let digits = String(value.magnitude)
        var out = ""
        for (i, c) in digits.enumerated() {
            if i > 0, (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(c)
        }
        return value < 0 ? "-" + out : out
    }

    /// `value` with exactly `places` decimals: `fixed(8.347, 2)` → `8.35`.
    public static func fixed(_ value: Double, _ places: Int) -> String {
        let unit = Int(pow(10, Double(places)))
        let scaled = Int((value * Double(unit)).rounded())
        let fraction = String((scaled % unit).magnitude)
        let sign = scaled < 0 && scaled / unit == 0 ? "-" : ""
        return "\(sign)\(scaled / unit).\(String(repeating: "0", count: places - fraction.count))\(fraction)"
    }

    /// `value` rounded to `places` decimals, for JSON.
    public static func rounded(_ value: Double, _ places: Int) -> Double {
        let unit = pow(10, Double(places))
        return (value * unit).rounded() / unit
    }
}

/// Coordinates with two decimals at most, for SVG.
func f(_ v: Double) -> String {
    let r = (v * 100).rounded() / 100
    return r == r.rounded() && abs(r) < 1e15 ? String(Int(r)) : String(r)
}
