import JSON

/// Writing a pool's status only when it changes, so that reconciling the same state again writes
/// nothing (level-triggered): the fields the operator owns are compared with the status as read,
/// leaving out what changes on every read even when nothing else does (the sample time), and
/// keeping the time of a decision that has not changed.
public enum StatusUpdate {
    /// `status.observed.sampleTime`: when the newest metric value was sampled.
    static let sampleTime = "sampleTime"

    /// The status write that makes a pool's status say `fields` and `conditions`; nil when it
    /// already says all of it.
    /// - Parameters:
    ///   - currentStatus: the pool's `status` as read.
    ///   - resourceVersion, generation: the pool's, as read (`observedGeneration` of the conditions).
    ///   - fields: the fields to write (a null clears one).
    ///   - conditions: merged into the current ones: `lastTransitionTime` moves only when a
    ///     condition's status changes; conditions not named are kept.
    ///   - now: the clock reading (new transition times).
    public static func write(pool: ObjectKey, currentStatus current: JSONObject, resourceVersion: String?, generation: Int?,
                             fields: JSONObject, conditions: [Condition], now: Timestamp) -> WriteIntent? {
        var patch = fields
        // Keep the time of a decision that has not changed.
        if let old = current["lastDecision"], let new = fields["lastDecision"], withoutTime(old) == withoutTime(new) {
            patch["lastDecision"] = old
        }
        patch["conditions"] = .array(Conditions.merge(conditions, into: current["conditions"]?.arrayValue ?? [], generation: generation, now: now))
        guard let merged = JSONValue.object(current).applyingMergePatch(.object(patch)).objectValue,
              withoutSampleTime(merged) != withoutSampleTime(current) else { return nil }
        return .status(pool: pool, fields: patch, basedOn: resourceVersion)
    }

    /// ``write(pool:currentStatus:resourceVersion:generation:fields:conditions:now:)`` for a pool
    /// object as read (one that is not valid too).
    public static func write(for object: JSONValue, fields: JSONObject, conditions: [Condition], now: Timestamp) -> WriteIntent? {
        let meta = ObjectMeta(object)
        return write(pool: ObjectKey(namespace: meta.namespace ?? "default", name: meta.name), currentStatus: object["status"]?.objectValue ?? [:],
                     resourceVersion: meta.resourceVersion, generation: meta.generation, fields: fields, conditions: conditions, now: now)
    }

    static func withoutTime(_ value: JSONValue) -> JSONValue {
        guard var o = value.objectValue else { return value }
        o["time"] = nil
        return .object(o)
    }

    /// The status without `observed.sampleTime`.
    static func withoutSampleTime(_ status: JSONObject) -> JSONObject {
        guard var observed = status["observed"]?.objectValue, observed[sampleTime] != nil else { return status }
        var o = status
        observed[sampleTime] = nil
        o["observed"] = .object(observed)
        return o
    }
}
