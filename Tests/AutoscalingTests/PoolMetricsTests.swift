import JSON
import Testing
@testable import Autoscaling

/// A pool of the seed's shape with `metrics` and the two rules.
func llmPool(metrics: JSONValue?, up: String = "waiting > 8 || kv_cache > 90%", down: String = "waiting < 1 && kv_cache < 40%") throws -> PoolCheck {
    ElasticInferencePool.check(try seed { o in
        setSpec("metrics", metrics)(&o)
        setSpec("scaleUpThreshold", .string(up))(&o)
        setSpec("scaleDownThreshold", .string(down))(&o)
    })
}

/// A custom metric entry.
func customMetric(_ name: String, unit: String = "count", family: String = "my_queue", aggregation: String = "sum",
                  extra: JSONObject = [:]) -> JSONValue {
    var scrape: JSONObject = ["family": .string(family), "aggregation": .string(aggregation)]
    for (k, v) in extra { scrape[k] = v }
    return ["name": .string(name), "unit": .string(unit), "podScrape": .object(scrape)]
}

@Suite("A pool's own metrics: presets, custom metrics, the model they are read for")
struct PoolMetricsTests {
    @Test func theVLLMPresetNamesItsSignalsAndTheRulesUseThemAsBuiltIns() throws {
        let check = try llmPool(metrics: ["source": "PodScrape", "preset": "vllm"])
        #expect(check.errors.isEmpty, "\(check.errors)")
        let spec = try #require(check.pool?.spec)
        #expect(spec.metricCatalog.custom.map(\.rawValue) == ["waiting", "running", "kv_cache", "ttft", "itl"])
        #expect(spec.metricCatalog.metric(named: "KV_CACHE")?.kind == .fraction, "names are case-insensitive")
        #expect(spec.metricCatalog.metric(named: "waiting")?.kind == .count)
        #expect(spec.metricCatalog.metric(named: "ttft")?.kind == .duration)
        #expect(spec.modelMatch == ModelMatch(name: "llm-finetune-v3", labels: ["model_name"]))
        let policy = try #require(check.policy)
        #expect(policy.metrics.map(\.rawValue) == ["waiting", "kv_cache"])
        #expect(policy.scaleUp.comparisons[1].threshold.value == 0.9)
        // Evaluation knows them, three-valued as ever.
        let waiting = try #require(spec.metricCatalog.metric(named: "waiting"))
        let kv = try #require(spec.metricCatalog.metric(named: "kv_cache"))
        #expect(policy.scaleUp.truth(MetricValues([waiting: 12])) == .true)
        #expect(policy.scaleUp.truth(MetricValues([waiting: 2])) == .unknown, "kv_cache unknown")
        #expect(policy.scaleUp.truth(MetricValues([waiting: 2, kv: 0.5])) == .false)
        #expect(policy.scaleUp.truth(MetricValues([.p90: 9, waiting: 2, kv: 0.95])) == .true)
    }

    @Test func oldPoolsReadAsTheyDid() throws {
        let check = try llmPool(metrics: ["source": "Prometheus", "prometheus": ["queries": ["P90": "max(x)"]]], up: "P90>200ms", down: "P90<20ms")
        #expect(check.isValid)
        let metrics = try #require(check.pool?.spec.metrics)
        #expect(metrics.kind == .prometheus && metrics.custom.isEmpty && metrics.preset == nil)
        #expect(metrics.prometheusQueries == [.p90: "max(x)"])
        #expect(metrics.model == ModelMatch(name: "llm-finetune-v3"), "Triton's model, then vLLM's model_name, as before")
        #expect(try llmPool(metrics: nil, up: "P90>200ms", down: "P90<20ms").pool?.spec.metricCatalog == .builtIn)
    }

    @Test(arguments: [
        // names: suggestions include the pool's own
        ("wating > 8", "spec.scaleUpThreshold: column 1: unknown metric 'wating'; did you mean 'waiting'?"),
        ("kv_cach > 90%", "spec.scaleUpThreshold: column 1: unknown metric 'kv_cach'; did you mean 'kv_cache'?"),
        // units: as for the built-ins
        ("waiting > 8ms", "spec.scaleUpThreshold: column 12: 'ms' does not fit waiting; it takes a bare count (as in 8)"),
        ("kv_cache > 90", "spec.scaleUpThreshold: column 12: kv_cache takes a percentage or a fraction from 0 to 1; did you mean 90%?"),
        ("ttft > 500", "spec.scaleUpThreshold: column 11: ttft needs a time unit: write 500ms or 500s"),
        ("kv_cache > 120 %", "spec.scaleUpThreshold: column 12: kv_cache is at most 100%, not 120%"),
    ])
    func expressionsCheckThePoolsOwnMetrics(up: String, expected: String) throws {
        let check = try llmPool(metrics: ["preset": "vllm"], up: up)
        #expect(check.errors.map(\.description).contains(expected), "\(check.errors.map(\.description))")
    }

    @Test func withoutThePresetItsNamesAreUnknown() throws {
        let check = try llmPool(metrics: ["source": "PodScrape"])
        #expect(check.errors.map(\.description).contains(
            "spec.scaleUpThreshold: column 1: unknown metric 'waiting'; known metrics are P50, P90, P95, P99, gpu.util, gpu.mem, qps, queue, mean"))
        let tgi = try llmPool(metrics: ["preset": "tgi"], up: "ttft > 1s", down: "waiting < 1")
        #expect(tgi.errors.map(\.description).contains {
            $0.hasPrefix("spec.scaleUpThreshold: column 1: unknown metric 'ttft'; known metrics are P50") && $0.hasSuffix("waiting, running, itl")
        }, "\(tgi.errors)")
    }

    @Test func lintsReadThePoolsOwnMetrics() throws {
        let check = try llmPool(metrics: ["preset": "vllm"], up: "waiting < 2", down: "waiting > 1")
        #expect(check.isValid)
        let warnings = check.warnings.map(\.description)
        #expect(warnings.contains("spec.scaleUpThreshold: column 1: fires on low load ('waiting<2'); scale-up rules usually fire when load is high"))
        #expect(warnings.contains { $0.hasPrefix("spec.scaleDownThreshold: overlaps scaleUpThreshold: both are true when waiting=") })
    }

    @Test func aCustomMetricReplacesThePresetsOfTheSameName() throws {
        let check = try llmPool(metrics: ["preset": "vllm", "custom": [customMetric("Waiting", family: "vllm:num_requests_waiting", aggregation: "max")]])
        #expect(check.isValid, "\(check.errors)")
        let metrics = try #require(check.pool?.spec.metrics)
        #expect(metrics.custom.first { $0.name.rawValue == "Waiting" }?.podScrape?.aggregation == .max)
        #expect(metrics.custom.filter { $0.name.rawValue.lowercased() == "waiting" }.count == 1)
    }

    @Test(arguments: [
        (["preset": "vlm"] as JSONValue, "spec.metrics.preset: expected one of \"tgi\", \"triton\", \"vllm\", not \"vlm\"; did you mean \"vllm\"?"),
        (["custom": [customMetric("P90")]], "spec.metrics.custom[0].name: P90 is a built-in metric; name yours otherwise (its sources' queries go in prometheus.queries)"),
        (["custom": [customMetric("2fast")]], "spec.metrics.custom[0].name: \"2fast\" cannot name a metric: a letter or '_' first, then letters, digits, '_' and '.', at most 63 (not and, or, not)"),
        (["custom": [customMetric("q"), customMetric("Q")]], "spec.metrics.custom[1].name: Q is declared twice"),
        (["custom": [customMetric("q", unit: "precent")]], "spec.metrics.custom[0].unit: expected one of \"count\", \"fraction\", \"percent\", \"seconds\", \"milliseconds\", \"microseconds\", \"perSecond\", not \"precent\"; did you mean \"percent\"?"),
        (["custom": [["name": "q", "unit": "count"]]], "spec.metrics.custom[0]: q says neither how to scrape it (podScrape) nor how to query it (prometheus)"),
        (["custom": [customMetric("q", aggregation: "avg")]], "spec.metrics.custom[0].podScrape.aggregation: expected one of \"sum\", \"mean\", \"max\", \"quantile\", \"rate\", not \"avg\""),
        (["custom": [customMetric("q", unit: "seconds", aggregation: "quantile")]], "spec.metrics.custom[0].podScrape.quantile: aggregation quantile needs quantile: a number between 0 and 1, as 0.9"),
        (["custom": [customMetric("q", unit: "seconds", aggregation: "quantile", extra: ["quantile": 90])]], "spec.metrics.custom[0].podScrape.quantile: expected a number between 0 and 1 (exclusive), not 90"),
        (["custom": [customMetric("q", extra: ["quantile": 0.9])]], "spec.metrics.custom[0].podScrape.quantile: quantile goes with aggregation: quantile, not sum"),
        (["custom": [customMetric("q", aggregation: "rate")]], "spec.metrics.custom[0].podScrape.aggregation: a rate is per second: set unit: perSecond, not count"),
        (["custom": [customMetric("q", family: "my-queue")]], "spec.metrics.custom[0].podScrape.family: \"my-queue\" is not a Prometheus metric name (letters, digits, '_' and ':', not starting with a digit)"),
        (["custom": [customMetric("q", extra: ["lables": [:]])]], "spec.metrics.custom[0].podScrape.lables: unknown field \"lables\"; did you mean \"labels\"?"),
        (["source": "Prometheus", "custom": [customMetric("q")]], "spec.metrics.custom[0]: q has no prometheus.query, and source is Prometheus: add one"),
        (["source": "PodScrape", "custom": [["name": "q", "unit": "count", "prometheus": ["query": "sum(q)"]]]],
         "spec.metrics.custom[0]: q has no podScrape rule, and source is PodScrape: add podScrape.family and aggregation"),
        (["custom": [["name": "q", "unit": "count", "prometheus": ["query": "sum(q{pod=\"{{pod}}\"})"]]]],
         "spec.metrics.custom[0].prometheus.query: unknown placeholder {{pod}} in sum(q{pod=\"{{pod}}\"}); expected one of {{namespace}}, {{pool}}, {{model}}, {{models}}, {{target}}"),
        (["preset": "vllm", "prometheus": ["queries": ["wating": "x"]]], "spec.metrics.prometheus.queries.wating: unknown metric 'wating'; did you mean 'waiting'?"),
        (["model": ["label": "model-name"]], "spec.metrics.model.label: \"model-name\" is not a Prometheus label name (letters, digits and '_', not starting with a digit)"),
        (["model": ["name": ""]], "spec.metrics.model.name: must not be empty"),
        (["modle": [:]], "spec.metrics.modle: unknown field \"modle\"; did you mean \"model\"?"),
    ] as [(JSONValue, String)])
    func preciseErrors(metrics: JSONValue, expected: String) throws {
        let check = try llmPool(metrics: metrics, up: "P90>1s", down: "P90<1ms")
        #expect(check.errors.map(\.description).contains(expected), "\(check.errors.map(\.description))")
    }

    @Test func aMetricOnlyOneSourceCanReadWarnsWhenTheOperatorChooses() throws {
        let check = try llmPool(metrics: ["custom": [customMetric("q")]], up: "q > 1", down: "q < 1")
        #expect(check.isValid)
        #expect(check.warnings.map(\.description).contains(
            "spec.metrics.custom[0]: q can be read only by a direct scrape; with the other source as the operator's default it is unknown"))
    }

    @Test func theModelMatchHasItsLabelNameAndAdapters() throws {
        let check = try llmPool(metrics: ["preset": "vllm", "model": ["name": "meta-llama/Llama-3.1-8B-Instruct", "adapters": ["sql-lora", "chat-lora"]]])
        let match = try #require(check.pool?.spec.modelMatch)
        #expect(match.labels == ["model_name"], "the preset's label")
        #expect(match.names == ["meta-llama/Llama-3.1-8B-Instruct", "sql-lora", "chat-lora"])
        #expect(match.model(of: ["model_name": "sql-lora", "engine": "0"]) == "sql-lora")
        let values = QueryTemplate.values(for: try #require(check.pool), target: "llm")
        #expect(values["model"] == "meta-llama/Llama-3.1-8B-Instruct")
        #expect(values["models"] == #"meta-llama/Llama-3\.1-8B-Instruct|sql-lora|chat-lora"#)
        #expect(try QueryTemplate.render(#"x{m=~"{{models}}"}"#, values).get() == #"x{m=~"meta-llama/Llama-3\\.1-8B-Instruct|sql-lora|chat-lora"}"#)
    }

    @Test func commandLineValuesNameThePoolsOwnMetrics() throws {
        let catalog = try #require(try llmPool(metrics: ["preset": "vllm"]).pool?.spec.metricCatalog)
        let values = try MetricAssignments.parse("waiting=12, kv_cache=93 %,P90=2e2ms", catalog: catalog).get()
        #expect(values[try #require(catalog.metric(named: "waiting"))] == 12)
        #expect(values[try #require(catalog.metric(named: "kv_cache"))] == 0.93)
        #expect(values[.p90] == 0.2)
        #expect(MetricAssignments.parse("wating=1", catalog: catalog) == .failure(.init("unknown metric 'wating'; did you mean 'waiting'?")))
        #expect(MetricAssignments.parse("waiting=1ms", catalog: catalog) == .failure(.init("waiting=1ms: 'ms' does not fit waiting; it takes a bare count (as in 8)")))
        #expect(MetricAssignments.parse("waiting", catalog: catalog) == .failure(.init("expected NAME=VALUE, as in P90=250ms, not 'waiting'")))
    }
}
