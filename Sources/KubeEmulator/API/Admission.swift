import JSON

/// The API server's write path after decoding, in its order: defaults (done by the caller, as the
/// decoder does), mutating admission, validation of the object against its kind, validating admission,
/// then storage. The emulator has no admission plugins or webhooks yet; this is where they go:
/// mutating webhooks after defaulting, validating webhooks after `validate` (they see only objects
/// the kind's own rules accept), neither for dry runs of webhooks whose `sideEffects` are not
/// `None`/`NoneOnDryRun`. Webhook configurations are stored defaulted and validated
/// (``Defaulting/webhook(_:mutating:)``, ``BuiltInValidation``), so a caller can read every field
/// it needs from them as stored.
enum Admission {
    /// What the write does, as admission attributes name it.
    enum Operation: String {
        case create = "CREATE", update = "UPDATE"
    }

    /// The object as it will be stored, or 422 when the kind's rules refuse it. `old` is the stored
    /// object for updates. `strict`: `fieldValidation=Strict` (unknown fields are a 400, custom
    /// resources only).
    static func admit(_ type: ResourceType, _ operation: Operation, _ object: JSONObject, old: JSONObject?, strict: Bool) throws(APIError) -> JSONObject {
        if type.isCustom { return try CustomResourceSchema.admit(type, object, strict: strict) }
        try BuiltInValidation.validate(type, object, old: operation == .update ? old : nil)
        return object
    }
}
