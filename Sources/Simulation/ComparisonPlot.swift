#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import LoadModel

/// The runs of one comparison as an SVG: one panel per scaler, sharing the time axis and scales.
/// Each panel shows, over time, the demand (grey area), the capacity of the Ready replicas (green),
/// the replicas asked for (orange, on the right axis: one replica = one replica's capacity, so the gap
/// between orange and green is replicas still starting), and below, the pool's true P90 on a log
/// scale against the SLO (red), with the seconds over it shaded in every chart.
public struct ComparisonPlot: Sendable {
    public let title: String
    public let subtitle: String
    public let runs: [ScalerRun]
    public let settings: SimulationSettings

    public init(title: String, subtitle: String, runs: [ScalerRun], settings: SimulationSettings) {
        self.title = title
        self.subtitle = subtitle
        self.runs = runs
        self.settings = settings
    }

    // Geometry, in pixels.
    static let width = 1200.0
    static let left = 74.0, right = 84.0
    static let headerHeight = 86.0
    static let panelTitle = 30.0, loadHeight = 150.0, gap = 22.0, latencyHeight = 72.0, panelGap = 34.0
    static var plotWidth: Double { width - left - right }
    static var panelHeight: Double { panelTitle + loadHeight + gap + latencyHeight + panelGap }
    /// The P90 axis: 5 ms to 60 s, logarithmic.
    static let latencyRange = (low: 0.005, high: 60.0)

    static let colors = (demand: "#c9d3df", demandLine: "#7d8fa6", ready: "#1b9e77", asked: "#d95f02",
                         p90: "#6a51a3", slo: "#d7301f", violation: "#d7301f", grid: "#e3e6ea", text: "#2b2f36", muted: "#6b7280")

    /// The whole document, starting with the XML declaration.
    public var svg: String {
        let seconds = runs.first?.series.demand.count ?? 0
        let height = Self.headerHeight + Double(runs.count) * Self.panelHeight
        var out = SVGWriter(width: Self.width, height: height)
        out.raw("<title>\(SVGWriter.escape(title + " — " + subtitle))</title>")
        out.raw("<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>")
        out.text(Self.left, 28, title, size: 18, weight: "600")
        out.text(Self.left, 48, subtitle, size: 13, color: Self.colors.muted)
        legend(&out)
        let scale = LoadScale(runs: runs, capacity: settings.profile.capacity)
        for (index, run) in runs.enumerated() {
            let top = Self.headerHeight + Double(index) * Self.panelHeight
            out.raw("<g class=\"panel\" data-scaler=\"\(SVGWriter.escape(run.name))\">")
            panel(&out, run: run, top: top, seconds: max(1, seconds), scale: scale)
            out.raw("</g>")
        }
        return out.finish()
    }

    private func legend(_ out: inout SVGWriter) {
        var x = Self.left
        let y = 70.0
        let items: [(String, String)] = [
            ("area:" + Self.colors.demand, "demand (req/s)"),
            ("line:" + Self.colors.ready, "capacity of Ready replicas"),
            ("dash:" + Self.colors.asked, "replicas asked for (right axis)"),
            ("line:" + Self.colors.p90, "true P90 (log scale)"),
            ("dash:" + Self.colors.slo, "SLO"),
            ("band:" + Self.colors.violation, "P90 over the SLO"),
        ]
        for (swatch, label) in items {
            let parts = swatch.split(separator: ":").map(String.init)
            switch parts[0] {
            case "area": out.raw("<rect x=\"\(f(x))\" y=\"\(f(y - 9))\" width=\"18\" height=\"10\" fill=\"\(parts[1])\" stroke=\"\(Self.colors.demandLine)\"/>")
            case "band": out.raw("<rect x=\"\(f(x))\" y=\"\(f(y - 9))\" width=\"18\" height=\"10\" fill=\"\(parts[1])\" fill-opacity=\"0.16\"/>")
            default:
                let dash = parts[0] == "dash" ? " stroke-dasharray=\"5 3\"" : ""
                out.raw("<line x1=\"\(f(x))\" y1=\"\(f(y - 4))\" x2=\"\(f(x + 18))\" y2=\"\(f(y - 4))\" stroke=\"\(parts[1])\" stroke-width=\"2.5\"\(dash)/>")
            }
            out.text(x + 24, y, label, size: 12, color: Self.colors.text)
            x += 24 + Double(label.count) * 6.6 + 22
        }
    }

    private func panel(_ out: inout SVGWriter, run: ScalerRun, top: Double, seconds: Int, scale: LoadScale) {
        let s = run.scores
        let loadTop = top + Self.panelTitle
        let latencyTop = loadTop + Self.loadHeight + Self.gap
        let x0 = Self.left, x1 = Self.left + Self.plotWidth
        func x(_ t: Double) -> Double { x0 + Self.plotWidth * t / Double(seconds) }
        func yLoad(_ rate: Double) -> Double { loadTop + Self.loadHeight * (1 - min(rate, scale.maximum) / scale.maximum) }
        func yLatency(_ p90: Double) -> Double {
            let (low, high) = Self.latencyRange
            let v = min(max(p90, low), high)
            return latencyTop + Self.latencyHeight * (1 - (log10(v) - log10(low)) / (log10(high) - log10(low)))
        }

        out.text(x0, top + 20, run.name, size: 15, weight: "600")
        let summary = "SLO-violation \(s.sloViolationSeconds) s  ·  \(NumberText.grouped(s.replicaSeconds)) replica-s (\(NumberText.fixed(s.gpuHours, 2)) GPU-h)  ·  \(s.scaleEvents) scale events  ·  \(NumberText.fixed(s.droppedPercent, 2)) % dropped  ·  peak \(s.peakReplicas) replicas"
        out.text(x1, top + 20, summary, size: 12.5, color: Self.colors.muted, anchor: "end")

        // Frames and grids.
        let clip = "clip\(Int(top))"
        out.raw("<clipPath id=\"\(clip)\"><rect x=\"\(f(x0))\" y=\"\(f(loadTop))\" width=\"\(f(Self.plotWidth))\" height=\"\(f(Self.loadHeight))\"/></clipPath>")
        for tick in scale.rateTicks {
            let y = yLoad(tick)
            out.raw("<line x1=\"\(f(x0))\" y1=\"\(f(y))\" x2=\"\(f(x1))\" y2=\"\(f(y))\" stroke=\"\(Self.colors.grid)\"/>")
            out.text(x0 - 8, y + 4, Self.rateLabel(tick), size: 11, color: Self.colors.muted, anchor: "end")
        }
        for replicas in scale.replicaTicks {
            out.text(x1 + 8, yLoad(Double(replicas) * scale.capacity) + 4, "\(replicas)", size: 11, color: Self.colors.asked, anchor: "start")
        }
        out.text(x1 + 8, loadTop - 6, "replicas", size: 11, color: Self.colors.asked, anchor: "start")
        out.text(x0 - 8, loadTop - 6, "req/s", size: 11, color: Self.colors.muted, anchor: "end")
        for decade in [0.01, 0.1, 1.0, 10.0] {
            let y = yLatency(decade)
            out.raw("<line x1=\"\(f(x0))\" y1=\"\(f(y))\" x2=\"\(f(x1))\" y2=\"\(f(y))\" stroke=\"\(Self.colors.grid)\"/>")
            out.text(x0 - 8, y + 4, decade < 1 ? "\(Int(decade * 1000)) ms" : "\(Int(decade)) s", size: 11, color: Self.colors.muted, anchor: "end")
        }
        out.text(x0 - 8, latencyTop - 4, "P90", size: 11, color: Self.colors.muted, anchor: "end")
        for tick in Self.timeTicks(seconds) {
            let tx = x(Double(tick))
            out.raw("<line x1=\"\(f(tx))\" y1=\"\(f(loadTop))\" x2=\"\(f(tx))\" y2=\"\(f(latencyTop + Self.latencyHeight))\" stroke=\"\(Self.colors.grid)\"/>")
            out.text(tx, latencyTop + Self.latencyHeight + 15, Self.timeLabel(tick, step: Self.timeStep(seconds)), size: 11, color: Self.colors.muted, anchor: "middle")
        }

        // Seconds over the SLO, shaded through both charts.
        for band in Self.bands(run.series.p90, over: settings.slo, mergeWithin: max(1, seconds / Int(Self.plotWidth))) {
            let bx = x(Double(band.lowerBound)), bw = max(1, x(Double(band.upperBound)) - bx)
            out.raw("<rect x=\"\(f(bx))\" y=\"\(f(loadTop))\" width=\"\(f(bw))\" height=\"\(f(latencyTop + Self.latencyHeight - loadTop))\" fill=\"\(Self.colors.violation)\" fill-opacity=\"0.13\"/>")
        }

        // Demand, per pixel column.
        let columns = Self.columns(seconds)
        var area = "M\(f(x0)),\(f(yLoad(0)))"
        for column in columns {
            let mean = column.reduce(0) { $0 + run.series.demand[$1] } / Double(column.count)
            area += " L\(f(x(Double(column.lowerBound) + Double(column.count) / 2))),\(f(yLoad(mean)))"
        }
        area += " L\(f(x1)),\(f(yLoad(0))) Z"
        out.raw("<path d=\"\(area)\" fill=\"\(Self.colors.demand)\" stroke=\"\(Self.colors.demandLine)\" stroke-width=\"0.8\" clip-path=\"url(#\(clip))\"/>")

        // Ready capacity and replicas asked for, as steps.
        out.raw("<path d=\"\(Self.steps(run.series.ready.map { Double($0) * scale.capacity }, x: x, y: yLoad))\" fill=\"none\" stroke=\"\(Self.colors.ready)\" stroke-width=\"2\" clip-path=\"url(#\(clip))\"/>")
        out.raw("<path d=\"\(Self.steps(run.series.replicas.map { Double($0) * scale.capacity }, x: x, y: yLoad))\" fill=\"none\" stroke=\"\(Self.colors.asked)\" stroke-width=\"2\" stroke-dasharray=\"6 3\" clip-path=\"url(#\(clip))\"/>")
        if let peak = run.series.replicas.max(), Double(peak) * scale.capacity > scale.maximum, let first = run.series.replicas.firstIndex(of: peak) {
            out.text(x(Double(first)) + 4, loadTop + 12, "↑ \(peak) replicas (off scale)", size: 11, color: Self.colors.asked, anchor: "start")
        }

        // P90: the worst second of each pixel column, and the SLO.
        var line = ""
        for (i, column) in columns.enumerated() {
            let worst = column.reduce(0) { max($0, run.series.p90[$1]) }
            line += (i == 0 ? "M" : " L") + "\(f(x(Double(column.lowerBound) + Double(column.count) / 2))),\(f(yLatency(worst)))"
        }
        out.raw("<path d=\"\(line)\" fill=\"none\" stroke=\"\(Self.colors.p90)\" stroke-width=\"1.6\"/>")
        let sloY = yLatency(settings.slo)
        out.raw("<line x1=\"\(f(x0))\" y1=\"\(f(sloY))\" x2=\"\(f(x1))\" y2=\"\(f(sloY))\" stroke=\"\(Self.colors.slo)\" stroke-width=\"1.5\" stroke-dasharray=\"6 3\"/>")
        out.text(x1 + 8, sloY + 4, "SLO \(Int((settings.slo * 1000).rounded())) ms", size: 11, color: Self.colors.slo, anchor: "start")

        out.raw("<rect x=\"\(f(x0))\" y=\"\(f(loadTop))\" width=\"\(f(Self.plotWidth))\" height=\"\(f(Self.loadHeight))\" fill=\"none\" stroke=\"#b8bec7\"/>")
        out.raw("<rect x=\"\(f(x0))\" y=\"\(f(latencyTop))\" width=\"\(f(Self.plotWidth))\" height=\"\(f(Self.latencyHeight))\" fill=\"none\" stroke=\"#b8bec7\"/>")
    }
}

/// The shared vertical scale of the load charts: requests/s on the left, replicas on the right.
struct LoadScale {
    let capacity: Double
    let maximum: Double
    let rateTicks: [Double]
    let replicaTicks: [Int]

    init(runs: [ScalerRun], capacity: Double) {
        self.capacity = capacity
        let peakDemand = runs.first?.series.demand.max() ?? 1
        let peakCapacity = Double(runs.flatMap(\.series.replicas).max() ?? 1) * capacity
        // Room for the capacity chasing the demand, up to 2.5× the peak demand; beyond, replicas are marked off scale.
        let top = max(peakDemand * 1.25, min(peakCapacity * 1.05, peakDemand * 2.5), capacity * 2)
        let step = LoadScale.niceStep(top / 4)
        maximum = (top / step).rounded(.up) * step
        rateTicks = stride(from: 0, through: maximum, by: step).map { $0 }
        let replicasAtTop = Int(maximum / capacity)
        let replicaStep = max(1, Int(LoadScale.niceStep(Double(replicasAtTop) / 4)))
        replicaTicks = stride(from: 0, through: replicasAtTop, by: replicaStep).map { $0 }
    }

    /// 1, 2 or 5 times a power of ten, at least `raw`.
    static func niceStep(_ raw: Double) -> Double {
        guard raw > 0 else { return 1 }
        let magnitude = pow(10, (log10(raw)).rounded(.down))
        for multiple in [1.0, 2.0, 2.5, 5.0, 10.0] where multiple * magnitude >= raw { return multiple * magnitude }
        return 10 * magnitude
    }
}

extension ComparisonPlot {
    /// Seconds grouped into pixel columns (at most one column per pixel).
    static func columns(_ seconds: Int) -> [Range<Int>] {
        let perColumn = max(1, Int((Double(seconds) / plotWidth).rounded(.up)))
        return stride(from: 0, to: seconds, by: perColumn).map { $0..<min(seconds, $0 + perColumn) }
    }

    /// A step path through `values` (one per second), with a point only where the value changes.
    static func steps(_ values: [Double], x: (Double) -> Double, y: (Double) -> Double) -> String {
        guard let first = values.first else { return "" }
        var path = "M\(f(x(0))),\(f(y(first)))"
        var previous = first
        for (t, value) in values.enumerated() where value != previous {
            path += " H\(f(x(Double(t)))) V\(f(y(value)))"
            previous = value
        }
        return path + " H\(f(x(Double(values.count))))"
    }

    /// Runs of seconds where `p90` exceeds `slo`, merging runs less than `mergeWithin` seconds apart.
    static func bands(_ p90: [Double], over slo: Double, mergeWithin: Int) -> [Range<Int>] {
        var bands: [Range<Int>] = []
        var start: Int?
        for (t, value) in p90.enumerated() {
            if value > slo, start == nil { start = t }
            if value <= slo, let s = start {
                if let last = bands.last, s - last.upperBound <= mergeWithin { bands[bands.count - 1] = last.lowerBound..<t } else { bands.append(s..<t) }
                start = nil
            }
        }
        if let s = start { bands.append(s..<p90.count) }
        return bands
    }

    static func timeStep(_ seconds: Int) -> Int {
        [60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 172_800, 604_800].first { seconds / $0 <= 12 } ?? 604_800
    }

    static func timeTicks(_ seconds: Int) -> [Int] {
        let step = timeStep(seconds)
        return stride(from: 0, through: seconds, by: step).map { $0 }
    }

    static func timeLabel(_ t: Int, step: Int) -> String {
        if step < 3600 { return t == 0 ? "0" : "\(t / 60) min" }
        return t % 3600 == 0 ? "\(t / 3600) h" : "\(t / 3600) h \(t % 3600 / 60)"
    }

    static func rateLabel(_ rate: Double) -> String {
        if rate >= 1_000_000 { return trim(rate / 1_000_000) + "M" }
        if rate >= 1000 { return trim(rate / 1000) + "k" }
        return trim(rate)
    }

    private static func trim(_ v: Double) -> String { v == v.rounded() ? String(Int(v)) : String((v * 10).rounded() / 10) }
}

