/// Builds an SVG document as text: no dependencies, nothing but what the plot needs.
struct SVGWriter {
    private var body: String
    private let width: Double
    private let height: Double

    init(width: Double, height: Double) {
        self.width = width
        self.height = height
        body = ""
        body.reserveCapacity(256 * 1024)
    }

    /// Appends markup as given (the caller escapes any text in it).
    mutating func raw(_ markup: String) {
        body += markup
        body += "\n"
    }

    /// A text element; `text` is escaped.
    mutating func text(_ x: Double, _ y: Double, _ text: String, size: Double, weight: String = "400",
                       color: String = "#2b2f36", anchor: String = "start") {
        raw("<text x=\"\(f(x))\" y=\"\(f(y))\" font-size=\"\(f(size))\" font-weight=\"\(weight)\" fill=\"\(color)\" text-anchor=\"\(anchor)\">\(Self.escape(text))</text>")
    }

    /// The document: XML declaration, the root element with its size and font, the body.
    func finish() -> String {
        """
        <?xml version="1.0" encoding="UTF-8"?>
        <svg xmlns="http://www.w3.org/2000/svg" width="\(f(width))" height="\(f(height))" viewBox="0 0 \(f(width)) \(f(height))" font-family="system-ui, -apple-system, 'Segoe UI', Helvetica, Arial, sans-serif">

        """ + body + "</svg>\n"
    }

    /// Text escaped for XML character data and attribute values.
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.count)
        for c in text {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            default: out.append(c)
            }
        }
        return out
    }
}
