import JSON
import NameSuggestion

extension ElasticInferencePool {
    /// `spec.metrics`: the source, the preset, the model match and the pool's own metrics, every
    /// problem reported with its field (and the closest name, for a misspelt one).
    static func decodeMetrics(_ value: JSONValue?, at path: FieldPath, modelRef: String, reader: inout FieldReader) -> MetricsSourceSpec? {
        guard let metrics = reader.object(value, at: path) else { return nil }
        reader.rejectUnknownFields(metrics, known: ["source", "preset", "model", "custom", "prometheus", "podScrape"], at: path)
        var kind: MetricsSourceSpec.Kind?
        if let sourceText = reader.string(metrics, "source", at: path) {
            kind = MetricsSourceSpec.Kind(rawValue: sourceText)
            if kind == nil { reader.error(path.appending("source"), "expected \"Prometheus\" or \"PodScrape\", not \"\(sourceText)\"") }
        }
        var preset: ServerPreset?
        if let name = reader.string(metrics, "preset", at: path) {
            preset = ServerPreset.all[name]
            if preset == nil { reader.error(path.appending("preset"), oneOf(ServerPreset.names, not: name)) }
        }
        let model = decodeModel(metrics["model"], at: path.appending("model"), modelRef: modelRef, preset: preset, reader: &reader)
        let custom = decodeCustomMetrics(metrics["custom"], at: path.appending("custom"), reader: &reader)

        // The pool's own metrics are known from here on: query overrides may name them.
        let spec = MetricsSourceSpec(kind: kind, preset: preset, model: model, custom: custom)
        let promPath = path.appending("prometheus")
        // No address: the operator's own Prometheus (--prometheus-address), with its credentials.
        let prometheus = reader.object(metrics["prometheus"], at: promPath)
        if let prometheus { reader.rejectUnknownFields(prometheus, known: ["address", "queries"], at: promPath) }
        let address = reader.string(prometheus, "address", at: promPath)
        if let address, !address.isEmpty, !(address.hasPrefix("http://") || address.hasPrefix("https://")) {
            reader.error(promPath.appending("address"), "expected an http:// or https:// URL, not \"\(address)\"")
        }
        var queries: [MetricName: String] = [:]
        let queriesPath = promPath.appending("queries")
        for (key, query) in reader.object(prometheus?["queries"], at: queriesPath) ?? JSONObject() {
            guard let metric = spec.catalog.metric(named: key) else {
                reader.error(queriesPath.appending(key), spec.catalog.unknownNameMessage(key))
                continue
            }
            guard let text = query.stringValue, !text.isEmpty else {
                reader.error(queriesPath.appending(key), "expected a non-empty PromQL query")
                continue
            }
            if let problem = QueryTemplate.problem(in: text) { reader.error(queriesPath.appending(key), problem) }
            queries[metric] = text
        }
        let scrapePath = path.appending("podScrape")
        let scrape = reader.object(metrics["podScrape"], at: scrapePath)
        if let scrape { reader.rejectUnknownFields(scrape, known: ["port", "path", "rateWindow"], at: scrapePath) }
        let port = reader.integer(scrape, "port", at: scrapePath, default: Defaults.scrapePort, range: 1...65535) ?? Defaults.scrapePort
        let urlPath = reader.string(scrape, "path", at: scrapePath) ?? Defaults.scrapePath
        if !urlPath.hasPrefix("/") { reader.error(scrapePath.appending("path"), "must start with '/'") }
        var rateWindow = Defaults.scrapeRateWindowSeconds
        if let text = reader.string(scrape, "rateWindow", at: scrapePath) {
            if let seconds = DurationText.seconds(text), seconds >= 1, seconds <= 600 {
                rateWindow = seconds
            } else {
                reader.error(scrapePath.appending("rateWindow"), "expected a duration from 1s to 10m such as \"30s\", not \"\(text)\"")
            }
        }

        // Each metric of the pool's own must be readable by its source (by either, when the
        // operator's default decides).
        for (i, metric) in custom.enumerated() {
            let itemPath = path.appending("custom").appending(index: i)
            let hasQuery = metric.prometheusQuery != nil || queries[metric.name] != nil
            switch kind {
            case .podScrape? where metric.podScrape == nil:
                reader.error(itemPath, "\(metric.name.rawValue) has no podScrape rule, and source is PodScrape: add podScrape.family and aggregation")
            case .prometheus? where !hasQuery:
                reader.error(itemPath, "\(metric.name.rawValue) has no prometheus.query, and source is Prometheus: add one")
            case nil where metric.podScrape == nil || !hasQuery:
                reader.warning(itemPath, "\(metric.name.rawValue) can be read only by \(metric.podScrape == nil ? "Prometheus" : "a direct scrape"); with the other source as the operator's default it is unknown")
            default: break
            }
        }
        return MetricsSourceSpec(kind: kind, prometheusAddress: address, prometheusQueries: queries, scrapePort: port, scrapePath: urlPath,
                                 scrapeRateWindowSeconds: rateWindow, preset: preset, model: model, custom: custom)
    }

    /// `metrics.model`: the label naming a series' model, the model's name, the adapters that count.
    private static func decodeModel(_ value: JSONValue?, at path: FieldPath, modelRef: String, preset: ServerPreset?,
                                    reader: inout FieldReader) -> ModelMatch {
        var match = ModelMatch(name: modelRef, labels: preset?.modelLabel.map { [$0] } ?? ModelMatch.defaultLabels)
        guard let model = reader.object(value, at: path) else { return match }
        reader.rejectUnknownFields(model, known: ["label", "name", "adapters"], at: path)
        if let label = reader.string(model, "label", at: path) {
            if isLabelName(label) { match.labels = [label] } else {
                reader.error(path.appending("label"), "\"\(label)\" is not a Prometheus label name (letters, digits and '_', not starting with a digit)")
            }
        }
        if let name = reader.string(model, "name", at: path) {
            if name.isEmpty { reader.error(path.appending("name"), "must not be empty") } else { match.name = name }
        }
        if let adapters = reader.stringList(model, "adapters", at: path) { match.adapters = adapters.filter { $0 != match.name } }
        return match
    }

    /// `metrics.custom`: each metric's name, unit and rules, in order.
    private static func decodeCustomMetrics(_ value: JSONValue?, at path: FieldPath, reader: inout FieldReader) -> [CustomMetric] {
        var result: [CustomMetric] = []
        var seen: Set<String> = []
        for (i, item) in (reader.array(value, at: path) ?? []).enumerated() {
            let itemPath = path.appending(index: i)
            guard let entry = reader.object(item, at: itemPath, required: true) else { continue }
            reader.rejectUnknownFields(entry, known: ["name", "unit", "podScrape", "prometheus"], at: itemPath)
            let name = reader.string(entry, "name", at: itemPath, required: true) ?? ""
            var valid = !name.isEmpty
            if !name.isEmpty {
                if let builtIn = MetricName(name: name) {
                    reader.error(itemPath.appending("name"), "\(builtIn.rawValue) is a built-in metric; name yours otherwise (its sources' queries go in prometheus.queries)")
                    valid = false
                } else if !MetricCatalog.validName(name) {
                    reader.error(itemPath.appending("name"), "\"\(name)\" cannot name a metric: a letter or '_' first, then letters, digits, '_' and '.', at most 63 (not and, or, not)")
                    valid = false
                } else if !seen.insert(name.lowercased()).inserted {
                    reader.error(itemPath.appending("name"), "\(name) is declared twice")
                    valid = false
                }
            }
            let unitText = reader.string(entry, "unit", at: itemPath, required: true) ?? ""
            let unit = SourceUnit(rawValue: unitText)
            if unit == nil, !unitText.isEmpty { reader.error(itemPath.appending("unit"), oneOf(SourceUnit.allCases.map(\.rawValue), not: unitText)) }
            let rule = decodeScrapeRule(entry["podScrape"], at: itemPath.appending("podScrape"), unit: unit, reader: &reader)
            let promPath = itemPath.appending("prometheus")
            let prometheus = reader.object(entry["prometheus"], at: promPath)
            if let prometheus { reader.rejectUnknownFields(prometheus, known: ["query"], at: promPath) }
            let query = reader.string(prometheus, "query", at: promPath, required: prometheus != nil)
            if let query, !query.isEmpty, let problem = QueryTemplate.problem(in: query) { reader.error(promPath.appending("query"), problem) }
            if entry["podScrape"] == nil && prometheus == nil {
                reader.error(itemPath, "\(name.isEmpty ? "the metric" : name) says neither how to scrape it (podScrape) nor how to query it (prometheus)")
            }
            if valid, let unit {
                result.append(CustomMetric(name: name, unit: unit, podScrape: rule, prometheusQuery: query.flatMap { $0.isEmpty ? nil : $0 }))
            }
        }
        return result
    }

    /// `custom[].podScrape`: the family, the label filters, the aggregation (and its quantile).
    private static func decodeScrapeRule(_ value: JSONValue?, at path: FieldPath, unit: SourceUnit?, reader: inout FieldReader) -> ScrapeRule? {
        guard let rule = reader.object(value, at: path) else { return nil }
        reader.rejectUnknownFields(rule, known: ["family", "labels", "aggregation", "quantile"], at: path)
        let family = reader.string(rule, "family", at: path, required: true) ?? ""
        if !family.isEmpty, !isMetricName(family) {
            reader.error(path.appending("family"), "\"\(family)\" is not a Prometheus metric name (letters, digits, '_' and ':', not starting with a digit)")
        }
        var labels: [String: String] = [:]
        for (key, value) in reader.object(rule["labels"], at: path.appending("labels")) ?? JSONObject() {
            guard isLabelName(key) else {
                reader.error(path.appending("labels").appending(key), "\"\(key)\" is not a Prometheus label name")
                continue
            }
            guard let text = value.stringValue else {
                reader.error(path.appending("labels").appending(key), "expected a string, found \(value.typeName) \(value.compactText)")
                continue
            }
            labels[key] = text
        }
        let aggregationText = reader.string(rule, "aggregation", at: path, required: true) ?? ""
        let quantilePath = path.appending("quantile")
        let quantile = rule["quantile"]
        var aggregation: ScrapeRule.Aggregation?
        switch aggregationText {
        case "sum": aggregation = .sum
        case "mean": aggregation = .mean
        case "max": aggregation = .max
        case "rate":
            aggregation = .rate
            if let unit, unit != .perSecond { reader.error(path.appending("aggregation"), "a rate is per second: set unit: perSecond, not \(unit.rawValue)") }
        case "quantile":
            if let q = quantile?.doubleValue, q > 0, q < 1 {
                aggregation = .quantile(q)
            } else {
                reader.error(quantilePath, quantile == nil ? "aggregation quantile needs quantile: a number between 0 and 1, as 0.9"
                                                           : "expected a number between 0 and 1 (exclusive), not \(quantile?.compactText ?? "")")
            }
        case "": break  // reported as required
        default: reader.error(path.appending("aggregation"), oneOf(ScrapeRule.Aggregation.names, not: aggregationText))
        }
        if quantile != nil, aggregationText != "quantile" {
            reader.error(quantilePath, "quantile goes with aggregation: quantile, not \(aggregationText.isEmpty ? "no aggregation" : aggregationText)")
        }
        guard let aggregation, !family.isEmpty else { return nil }
        return ScrapeRule(families: [family], labels: labels, aggregation: aggregation)
    }

    /// `expected one of a, b or c, not "x"; did you mean "b"?`
    private static func oneOf(_ names: [String], not given: String) -> String {
        var message = "expected one of \(names.map { "\"\($0)\"" }.joined(separator: ", ")), not \"\(given)\""
        if let guess = NameSuggestion.closest(to: given, in: names) { message += "; did you mean \"\(guess)\"?" }
        return message
    }

    /// Prometheus' metric names: `[a-zA-Z_:][a-zA-Z0-9_:]*`.
    static func isMetricName(_ s: String) -> Bool { isName(s, colons: true) }
    /// Prometheus' label names: `[a-zA-Z_][a-zA-Z0-9_]*`.
    static func isLabelName(_ s: String) -> Bool { isName(s, colons: false) }

    private static func isName(_ s: String, colons: Bool) -> Bool {
        let bytes = Array(s.utf8)
        func head(_ b: UInt8) -> Bool { (b >= 97 && b <= 122) || (b >= 65 && b <= 90) || b == 95 || (colons && b == 58) }
        guard let first = bytes.first, head(first) else { return false }
        return bytes.allSatisfy { head($0) || ($0 >= 48 && $0 <= 57) }
    }
}
