import JSON

/// How the target's pod template must change to carry the pool's warmup init containers (SPEC §5),
/// computed without I/O. The operator owns only the init containers its annotation lists: it adds,
/// changes and removes those, places them after the Deployment's own, and never touches the rest.
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

    /// The init containers the template should have.
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
    /// The JSON merge patch to send to the Deployment, nil when nothing is to change or there is a clash.
    /// It carries `metadata.resourceVersion`, so the API server refuses it with 409 Conflict if the
    /// Deployment changed since it was read: nobody else's edit is lost.
    public let patch: JSONValue?

    /// The plan for making `deployment`'s pod template carry `warmup`'s init containers (and only those of its
    /// own it already carries, by its annotation). Pure: compares, never writes.
    public static func plan(_ warmup: WarmupStrategy, for deployment: DeploymentView) -> WarmupPlan {
        let current = deployment.initContainers
        let owned = Set(deployment.ownedInitContainerNames)
        let wanted = warmup.initContainerNames
        func name(_ c: JSONValue) -> String { c["name"]?.stringValue ?? "" }

        // A pool container may not take a name the Deployment uses for a container the operator does not own.
        let foreignNames = Set(current.map(name).filter { !owned.contains($0) } + deployment.containers.map(name))
        let clashes = wanted.filter { foreignNames.contains($0) }

        let desired = current.filter { !owned.contains(name($0)) } + warmup.initContainers.map(JSONValue.object)
        let annotationNow = deployment.annotations[Defaults.ownedInitContainersAnnotation]?.stringValue
        let annotationWanted = wanted.isEmpty ? nil : wanted.joined(separator: ",")
        let changesAnnotation = annotationNow != annotationWanted

        var changes: [Change] = []
        let currentByName = Dictionary(current.map { (name($0), $0) }, uniquingKeysWith: { first, _ in first })
        for container in warmup.initContainers {
            let n = container["name"]?.stringValue ?? ""
            if let existing = currentByName[n], owned.contains(n) {
                if !ContainerComparison.equivalent(existing, .object(container)) { changes.append(.update(n)) }
            } else if currentByName[n] == nil {
                changes.append(.add(n))
            }
        }
        for n in current.map(name) where owned.contains(n) && !wanted.contains(n) { changes.append(.remove(n)) }
        // Owned containers compare equal one by one and the others are copied as they are, so what
        // is left to differ is their order.
        if changes.isEmpty, current.map(name) != desired.map(name) { changes.append(.reorder) }

        guard clashes.isEmpty, !changes.isEmpty || changesAnnotation else {
            return WarmupPlan(desiredInitContainers: desired, desiredOwnedNames: wanted, clashes: clashes,
                              changes: clashes.isEmpty ? changes : [], changesAnnotation: clashes.isEmpty && changesAnnotation, patch: nil)
        }
        var metadata = JSONObject()
        if let rv = deployment.resourceVersion { metadata["resourceVersion"] = .string(rv) }
        if changesAnnotation {
            metadata["annotations"] = .object(JSONObject([(Defaults.ownedInitContainersAnnotation, annotationWanted.map(JSONValue.string) ?? .null)]))
        }
        var patch = JSONObject()
        patch["metadata"] = .object(metadata)
        if !changes.isEmpty {
            // A merge patch replaces the whole list; the list holds the Deployment's own init
            // containers exactly as read, and the resourceVersion guards against a concurrent edit.
            patch["spec"] = ["template": ["spec": ["initContainers": .array(desired)]]]
        }
        return WarmupPlan(desiredInitContainers: desired, desiredOwnedNames: wanted, clashes: [], changes: changes,
                          changesAnnotation: changesAnnotation, patch: .object(patch))
    }
}
