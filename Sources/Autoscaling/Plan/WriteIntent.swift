import JSON

/// One change the operator makes to the cluster: *what* to change, never *how* to send it. The
/// operator's executor (`WriteExecutor` in `Operator`) turns each intent into its one API request
/// (verb, path, patch type, body) and sends it; `eipctl reconcile --dry-run` prints the same requests.
///
/// Each intent names the object version it was decided from (`basedOn`: the resourceVersion read,
/// nil when there was no object). Intents compare whole, with `==`: the executor uses that to know a
/// repeat of a write it has already made from the same version (a cache that has not caught up
/// with our own write yet), and does not send it twice.
public enum WriteIntent: Sendable, Hashable {
    /// Server-side apply of the target workload's init containers and ownership annotation (SPEC §5;
    /// `patch` is ``WarmupPlan/patch``, the apply configuration naming only what the operator owns,
    /// so nobody else's fields are touched). It carries `metadata.resourceVersion` = `basedOn`, so the
    /// API server refuses it (409) if the workload changed since it was read, and a workload deleted
    /// meanwhile is not created from it. `resource`: the workload's (a Deployment's by default).
    case patchTemplate(target: ObjectKey, patch: JSONValue, basedOn: String?, resource: ResourceRef = .deployments)
    /// Set the workload's replicas through its `scale` subresource, as `kubectl scale` (and HPA) do,
    /// whatever its kind. `resource`: the workload's (a Deployment's by default).
    case scale(target: ObjectKey, replicas: Int, basedOn: String?, resource: ResourceRef = .deployments)
    /// Create, replace or delete the pool's image pre-pull DaemonSet (SPEC §5).
    case prePull(daemonSet: ObjectKey, PrePullChange, basedOn: String?)
    /// Set the pool's finalizers (the list is replaced whole; `basedOn` guards it, so a finalizer
    /// someone else adds meanwhile is not lost: a 409 instead).
    case finalizers(pool: ObjectKey, [String], basedOn: String?)
    /// Merge-patch the pool's `status` subresource with `fields` (every field the operator owns;
    /// a null clears one).
    case status(pool: ObjectKey, fields: JSONObject, basedOn: String?)

    /// What an intent changes, for logs, metrics and Events (`warmup template`, `scale`, …).
    public enum Kind: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
        case template = "warmup template", scale, prePull = "prepull daemonset", finalizers, status
        public var description: String { rawValue }
    }

    public var kind: Kind {
        switch self {
        case .patchTemplate: return .template
        case .scale: return .scale
        case .prePull: return .prePull
        case .finalizers: return .finalizers
        case .status: return .status
        }
    }

    /// The object written.
    public var object: ObjectKey {
        switch self {
        case .patchTemplate(let key, _, _, _), .scale(let key, _, _, _), .prePull(let key, _, _), .finalizers(let key, _, _), .status(let key, _, _):
            return key
        }
    }

    /// The resource of the object written: the workload's, the pre-pull DaemonSet's, or the pool's.
    public var resource: ResourceRef {
        switch self {
        case .patchTemplate(_, _, _, let resource), .scale(_, _, _, let resource): return resource
        case .prePull: return .daemonSets
        case .finalizers, .status: return .elasticInferencePools
        }
    }

    /// The resourceVersion of the object the intent was decided from (nil: none was read).
    public var basedOn: String? {
        switch self {
        case .patchTemplate(_, _, let version, _), .scale(_, _, let version, _), .prePull(_, _, let version),
             .finalizers(_, _, let version), .status(_, _, let version):
            return version
        }
    }

    /// True when this intent does what `earlier` did, from the same object version: equal whole, but
    /// for a status's `observed.sampleTime`, which changes on every read even when nothing else does.
    public func repeats(_ earlier: WriteIntent) -> Bool {
        if case .status(let pool, let fields, let version) = self, case .status(let pool2, let fields2, let version2) = earlier {
            return pool == pool2 && version == version2 && StatusUpdate.withoutSampleTime(fields) == StatusUpdate.withoutSampleTime(fields2)
        }
        return self == earlier
    }
}

/// What to do with a pool's image pre-pull DaemonSet.
public enum PrePullChange: Sendable, Hashable {
    /// Create it (the object, with its namespace and name).
    case create(JSONValue)
    /// Replace it whole (the object carries the resourceVersion read: a concurrent edit gets a 409).
    case replace(JSONValue)
    /// Delete it (its pods with it, in the background).
    case delete

    /// The change without its object (for comparisons and messages).
    public enum Kind: Sendable, Hashable { case create, replace, delete }

    public var kind: Kind {
        switch self {
        case .create: return .create
        case .replace: return .replace
        case .delete: return .delete
        }
    }
}
