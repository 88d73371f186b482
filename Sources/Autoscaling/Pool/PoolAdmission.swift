import JSON
import KubeObjects

/// What the operator's validating webhook answers for one pool write, decided without I/O: the same
/// validation as `eipctl validate` (``ElasticInferencePool/check(_:cache:)``), lints as warnings,
/// and one workload, one pool (``TargetClaims``).
///
/// Updates are checked as KEDA's ScaledObject webhook checks them: an update of an object being
/// deleted (its finalizers going) is let through, and so is one that leaves `spec` as it was
/// (labels, annotations, finalizers), so that no pool stored before a rule existed can be stuck;
/// the claim is checked on create and when an update changes the target, never for updates that
/// keep it.
public struct PoolAdmission: Sendable, Equatable {
    /// The admission operations the webhook is registered for.
    public enum Operation: String, Sendable {
        case create = "CREATE", update = "UPDATE"
    }

    /// Whether the write may go on.
    public let allowed: Bool
    /// Why not: every error found, in field order.
    public let errors: [FieldIssue]
    /// Advice that never refuses: the lints, and a claim that could not be checked. The API server
    /// hands them to the client (`FIELD: MESSAGE`), and kubectl prints each as `Warning: …`.
    public let warnings: [FieldIssue]

    /// The refusal in one line: each error as `FIELD: MESSAGE`, joined by `; ` (nil when allowed).
    public var message: String? {
        allowed ? nil : errors.map(\.description).joined(separator: "; ")
    }

    /// Reviews a pool write.
    /// - Parameters:
    ///   - object: the pool as it would be stored (defaulted by the API server).
    ///   - old: the stored pool, for an update.
    ///   - pools: the other pools of its namespace (`eipctl validate`: those before it in the files), for the claim check; nil when they could not be
    ///     read (the check is skipped and a warning says so: the operator holds a pool whose target is
    ///     taken, reason `TargetClaimed`, whatever admission let through).
    ///   - cache: the operator's parsed expressions.
    public static func review(_ operation: Operation, object: JSONValue, old: JSONValue?, pools: [JSONValue]?,
                              cache: ThresholdExpressionCache? = nil) -> PoolAdmission {
        if operation == .update, let old {
            // Its finalizers going: nothing about the pool's spec can change now.
            if ObjectMeta(object).isBeingDeleted { return PoolAdmission(allowed: true, errors: [], warnings: []) }
            // Labels, annotations, finalizers: a pool stored before a rule existed stays editable.
            if object["spec"] == old["spec"] { return PoolAdmission(allowed: true, errors: [], warnings: []) }
        }
        let check = ElasticInferencePool.check(object, cache: cache)
        var errors = check.errors
        var warnings = check.warnings

        let targetChanged = operation == .create || ElasticInferencePool.target(of: object) != old.flatMap(ElasticInferencePool.target(of:))
            || TargetClaims.targetKind(of: object) != old.map(TargetClaims.targetKind(of:))
        if targetChanged, let deployment = ElasticInferencePool.target(of: object) {
            let field = object["spec"]?["targetRef"]?["name"] != nil ? FieldPath("spec.targetRef.name") : FieldPath("spec.modelRef")
            if let pools {
                let me = ObjectMeta(object).key
                let kind = TargetClaims.targetKind(of: object)
                if let holder = TargetClaims.holder(of: deployment, kind: kind, among: pools.filter { ObjectMeta($0).key != me }) {
                    // KEDA's words for a ScaledObject on a workload another one scales.
                    let apiVersion = object["spec"]?["targetRef"]?["apiVersion"]?.stringValue
                        ?? WorkloadKind.known.first { $0.kind == kind }?.apiVersion ?? ""
                    errors.append(FieldIssue(.error, field, "the workload '\(deployment.name)' of type '\(apiVersion).\(kind)' is already managed by the \(ElasticInferencePool.kind) '\(ObjectMeta(holder).name)'"))
                }
            } else {
                warnings.append(FieldIssue(.warning, field, "could not check whether another \(ElasticInferencePool.kind) already targets \(TargetClaims.targetKind(of: object)) \(deployment.name) (the operator's pool cache is not ready); if one does, this pool will hold with Ready=False, reason TargetClaimed"))
            }
        }
        return PoolAdmission(allowed: errors.isEmpty, errors: errors, warnings: warnings)
    }
}
