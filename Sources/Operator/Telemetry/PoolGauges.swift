import Autoscaling
import JSON
import Kube

extension OperatorMetrics {
    /// The per-pool gauges, labelled `namespace` and `pool`, from the pools' cache: their bounds,
    /// their replicas at the last decision, their conditions, their observed values.
    static func poolFamilies(_ pools: [JSONValue], _ w: inout ExpositionWriter) {
        func labels(_ pool: JSONValue) -> [ExpositionWriter.Label] {
            [("namespace", ObjectMeta(pool).namespace ?? ""), ("pool", ObjectMeta(pool).name)]
        }
        let gauges: [(name: String, help: String, path: [String])] = [
            ("eip_pool_min_replicas", "The pool's spec.minReplicas.", ["spec", "minReplicas"]),
            ("eip_pool_max_replicas", "The pool's spec.maxReplicas.", ["spec", "maxReplicas"]),
            ("eip_pool_desired_replicas", "Replicas the pool's last decision asked for.", ["status", "desiredReplicas"]),
            ("eip_pool_ready_replicas", "Ready replicas of the pool's Deployment at the last decision.", ["status", "readyReplicas"]),
        ]
        for gauge in gauges {
            w.family(gauge.name, "gauge", gauge.help)
            for pool in pools {
                guard let value = gauge.path.reduce(Optional(pool), { $0?[$1] })?.intValue else { continue }
                w.sample(gauge.name, labels(pool), value)
            }
        }
        w.family("eip_pool_status_condition", "gauge", "The pool's status conditions: 1 for the condition's current status (True, False or Unknown), 0 for the others, as kube-state-metrics writes conditions.")
        for pool in pools {
            for condition in pool["status"]?["conditions"]?.arrayValue ?? [] {
                guard let type = condition["type"]?.stringValue, let status = condition["status"]?.stringValue else { continue }
                for candidate in ["True", "False", "Unknown"] {
                    w.sample("eip_pool_status_condition", [("condition", type)] + labels(pool) + [("status", candidate)], candidate == status ? 1 : 0)
                }
            }
        }
        w.family("eip_pool_observed_value", "gauge", "The last observed metric values (seconds for latencies, fraction for utilisation, counts and rates as they are), the pools' own metrics too.")
        for pool in pools {
            for (metric, value) in observedValues(of: pool) { w.sample("eip_pool_observed_value", labels(pool) + [("metric", metric.rawValue)], value) }
        }
    }

    /// The values in a pool's `status.observed`, in canonical units: the built-ins by their status
    /// keys, a pool's own metrics from `observed.custom` (their kind read from how they are written:
    /// `93%` a fraction, `250ms` a time, `12` a number).
    static func observedValues(of pool: JSONValue) -> [(MetricName, Double)] {
        let observed = pool["status"]?["observed"]
        var values: [(MetricName, String)] = MetricName.builtIns.compactMap { metric in
            observed?[metric.statusKey]?.stringValue.map { (metric, $0) }
        }
        for (name, value) in observed?["custom"]?.objectValue ?? [:] {
            guard let text = value.stringValue else { continue }
            let kind: MetricKind = text.hasSuffix("%") ? .fraction : (text.last?.isLetter == true ? .duration : .count)
            values.append((.custom(name, kind: kind), text))
        }
        return values.compactMap { metric, text in (try? Quantity.parse(text, for: metric).get()).map { (metric, $0.value) } }
    }
}
