import JSON

/// How the target's pod templates must change to carry the pool's warmup init containers (SPEC §5),
/// computed without I/O. The operator owns only the init containers its annotation lists: it adds,
/// changes and removes those (through server-side apply, so it names nothing else), places new
/// ones after the workload's own, and never touches the rest.
public struct WarmupPlan: Sendable, Hashable {
    /// One change to an owned init container, for explanations.
    public enum Change: Sendable, Hashable, CustomStringConvertible {
        case add(String), update(String), remove(String), reorder

        public var description: String {
            switch self {
            case .add(let n): return "add init container \(n)"
            case .update(let n): return "update init container \(n)"
            case .remove(let n): return "remove init container \(n)"
            case .reorder: return "reorder init containers"
            }
        }
    }

    /// The init containers the template should have: its own, then the pool's (where an apply puts
    /// new ones; one that already stands before the workload's own stays there).
    public let desiredInitContainers: [JSONValue]
    /// The names the ownership annotation should list, in pool order.
    public let desiredOwnedNames: [String]
    /// Pool init containers whose names the Deployment already uses for containers the operator does not own.
    public let clashes: [String]
    /// What changes in the pod template; empty when it already matches (semantically).
    public let changes: [Change]
    /// True when the template changes (which rolls every pod).
    public var changesTemplate: Bool { !changes.isEmpty }
    /// True when only the ownership annotation is out of date (no roll).
    public let changesAnnotation: Bool
    /// The server-side apply configuration to send to the workload (as field manager
    /// ``Defaults/fieldManager``), nil when nothing is to change or there is a clash. It names only
    /// what the operator owns: its ownership annotation and, in every pod template, its init
    /// containers (by name); so the API server merges them into the object and leaves every other
    /// field as it is, and drops the ones the operator applied before and no longer names (a
    /// configuration with neither takes them all out). It carries `metadata.resourceVersion`, so
    /// the API server refuses it with 409 Conflict if the workload changed since it was read: the
    /// clash check (never take a name someone else uses) holds at write time.
    public let patch: JSONValue?

    /// Why warmup cannot be applied to the target: its kind has no pod template at a path the
    /// operator knows (warmup applies to Deployments, StatefulSets and LeaderWorkerSets). Nil when
    /// it can, or when the pool asks for no warmup (no init containers, no images to pre-pull).
    public let refused: String?

    /// The plan for making `deployment`'s pod template carry `warmup`'s init containers.
    public static func plan(_ warmup: WarmupStrategy, for deployment: DeploymentView) -> WarmupPlan {
        plan(warmup, for: WorkloadView(deployment))
    }

    /// The plan for making each of `target`'s pod templates (one for a Deployment or StatefulSet; a
    /// LeaderWorkerSet's worker and leader templates) carry `warmup`'s init containers (and only
    /// those of its own it already carries, by its annotation). Pure: compares, never writes.
    public static func plan(_ warmup: WarmupStrategy, for target: WorkloadView) -> WarmupPlan {
        let owned = Set(target.ownedInitContainerNames)
        let wanted = warmup.initContainerNames
        func name(_ c: JSONValue) -> String { c["name"]?.stringValue ?? "" }
        let templates = target.podTemplates
        guard !templates.isEmpty else {
            let refused = wanted.isEmpty && warmup.preloadedImages.isEmpty ? nil
                : "\(target.kind.kind) \(target.name) has no pod template at a path the operator knows; warmup applies to Deployment, StatefulSet and LeaderWorkerSet"
            return WarmupPlan(desiredInitContainers: [], desiredOwnedNames: wanted, clashes: [], changes: [], changesAnnotation: false,
                              patch: nil, refused: refused)
        }

        var clashes: [String] = []
        var changes: [Change] = []
        var firstDesired: [JSONValue]?
        for (_, template) in templates {
            let spec = template["spec"]?.objectValue ?? JSONObject()
            let current = spec["initContainers"]?.arrayValue ?? []
            // A pool container may not take a name the template uses for a container the operator does not own.
            let foreignNames = Set(current.map(name).filter { !owned.contains($0) } + (spec["containers"]?.arrayValue ?? []).map(name))
            for clash in wanted where foreignNames.contains(clash) && !clashes.contains(clash) { clashes.append(clash) }

            let desired = current.filter { !owned.contains(name($0)) } + warmup.initContainers.map(JSONValue.object)
            if firstDesired == nil { firstDesired = desired }
            var here: [Change] = []
            let currentByName = Dictionary(current.map { (name($0), $0) }, uniquingKeysWith: { first, _ in first })
            for container in warmup.initContainers {
                let n = container["name"]?.stringValue ?? ""
                if let existing = currentByName[n], owned.contains(n) {
                    if !ContainerComparison.equivalent(existing, .object(container)) { here.append(.update(n)) }
                } else if currentByName[n] == nil {
                    here.append(.add(n))
                }
            }
            for n in current.map(name) where owned.contains(n) && !wanted.contains(n) { here.append(.remove(n)) }
            // Owned containers compare equal one by one, so what is left to differ is their order among
            // themselves (an apply orders the elements it names; where the workload's own stand is theirs).
            if here.isEmpty, current.map(name).filter(wanted.contains) != wanted { here.append(.reorder) }
            for change in here where !changes.contains(change) { changes.append(change) }
        }
        let desired = firstDesired ?? []
        let annotationNow = target.annotations[Defaults.ownedInitContainersAnnotation]?.stringValue
        let annotationWanted = wanted.isEmpty ? nil : wanted.joined(separator: ",")
        let changesAnnotation = annotationNow != annotationWanted

        guard clashes.isEmpty, !changes.isEmpty || changesAnnotation else {
            return WarmupPlan(desiredInitContainers: desired, desiredOwnedNames: wanted, clashes: clashes,
                              changes: clashes.isEmpty ? changes : [], changesAnnotation: clashes.isEmpty && changesAnnotation, patch: nil, refused: nil)
        }
        return WarmupPlan(desiredInitContainers: desired, desiredOwnedNames: wanted, clashes: [], changes: changes, changesAnnotation: changesAnnotation,
                          patch: applyConfiguration(warmup, annotation: annotationWanted, templates: templates.map(\.path), of: target), refused: nil)
    }

    /// The apply configuration naming what the operator owns in `target`: the annotation (when
    /// any) and `warmup`'s init containers in each template at `templates` (none: those it applied
    /// before are dropped). `apiVersion`, `kind` and `metadata.name` identify the object, as an
    /// apply body must.
    static func applyConfiguration(_ warmup: WarmupStrategy, annotation: String?, templates: [[String]], of target: WorkloadView) -> JSONValue {
        var metadata: JSONObject = ["name": .string(target.name), "namespace": .string(target.namespace)]
        if let rv = target.resourceVersion { metadata["resourceVersion"] = .string(rv) }
        if let annotation { metadata["annotations"] = .object(JSONObject([(Defaults.ownedInitContainersAnnotation, .string(annotation))])) }
        var configuration: JSONObject = ["apiVersion": .string(target.kind.apiVersion), "kind": .string(target.kind.kind), "metadata": .object(metadata)]
        guard !warmup.initContainers.isEmpty else { return .object(configuration) }
        for path in templates {
            configuration = setting(path + ["spec", "initContainers"], to: .array(warmup.initContainers.map(JSONValue.object)), in: configuration)
        }
        return .object(configuration)
    }

    /// `object` with `value` at `path`, making the objects on the way.
    static func setting(_ path: [String], to value: JSONValue, in object: JSONObject) -> JSONObject {
        guard let first = path.first else { return object }
        var result = object
        result[first] = path.count == 1 ? value : .object(setting(Array(path.dropFirst()), to: value, in: object[first]?.objectValue ?? JSONObject()))
        return result
    }
}
