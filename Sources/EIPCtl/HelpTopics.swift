/// `eipctl help TOPIC`: what does not fit a command's --help.
enum HelpTopics {
    static let all = ["thresholds": thresholds]

    /// The threshold language (SPEC §3), as `eipctl validate`, the webhook and the operator read it.
    static let thresholds = """
    THRESHOLD EXPRESSIONS: spec.scaleUpThreshold and spec.scaleDownThreshold

    A rule is a comparison of a live metric with a quantity, combined with && (and), || (or),
    ! (not) and parentheses; && binds tighter than ||:

      expression := or            or  := and ("||" and)*        and := unary ("&&" unary)*
      unary      := "!" unary | "(" or ")" | metric op quantity  op  := < <= > >= == !=

      scaleUpThreshold:   "P90>200ms || gpu.util>85%"
      scaleDownThreshold: "P90<50ms && gpu.util<40%"

    METRICS (names in any case: p90, P90):
      P50 P90 P95 P99  request latency percentiles across the pool        a time: 250us (or µs), 200ms, 1.5s
      gpu.util         GPU utilisation, averaged across the pool's GPUs   85% or a fraction 0.85 (a bare 85 is an error)
      gpu.mem          fraction of GPU memory in use                      as gpu.util
      qps              requests per second across the pool                a bare number: 1200
      queue            MEAN time requests wait in the server queue        a time (Triton exports no queue percentiles)
      mean             MEAN request latency, for servers that export      a time; a mean hides the tail, so P90 is
                       only a duration and a request counter              never taken from it

    UNKNOWN VALUES: a metric with no fresh value (older than 2 poll intervals, or never read) is
    unknown, and the logic is three-valued: unknown || true is true, unknown && false is false,
    anything else with unknown stays unknown. A rule acts only when it is true; a scale-up rule that
    is unknown holds the pool, and no scale-down is ever made on missing data.

    WHEN THEY ACT: scale-up, when its rule is true (after behavior.scaleUp.stabilizationWindowSeconds,
    at most once per periodSeconds), steps from the ready replicas; scale-down, when its rule is true
    and the scale-up rule false, continuously for behavior.scaleDown.stabilizationWindowSeconds. If
    both are true, scale-up wins and the overlap is reported.

    ERRORS name the field and the column: 'spec.scaleUpThreshold: column 14: unknown metric
    'gpu.utl'; did you mean 'gpu.util'?'. 'eipctl validate', the admission webhook (kubectl apply)
    and the operator report the same ones.

    LINTS warn and never refuse (kubectl prints them as 'Warning:' at apply):
      - a scale-up rule that fires on low latency or low load, a scale-down rule on high ones;
      - == or != on a continuous metric;
      - a rule that can never be true, or is always true;
      - two rules that can both be true, with the values where they overlap.

    Try a rule without a cluster:
      eipctl validate -f pool.yaml
      eipctl reconcile --dry-run -f pool.yaml --metrics 'P90=250ms,gpu.util=91%'

    """
}
