import JSON

/// The API server's write path after decoding, in its order: defaults (done by the caller, as the
/// decoder does), mutating admission, validation of the object against its kind, validating
/// admission, then storage. Mutating webhooks are not called (the emulator stores their
/// configurations only). Validating webhooks are (``ValidatingWebhooks``), after the kind's own
/// validation, so they see only objects its rules accept, and only for requests from clients
/// (``WriteOptions/admission``): the emulator's own writes (the fake kubelet's, garbage
/// collection's) call none. Webhook configurations are stored defaulted and validated
/// (``Defaulting/webhook(_:mutating:)``, ``BuiltInValidation``), so every field is read as stored.
/// Never called with the store locked: a webhook may take seconds, and may read the API itself.
enum Admission {
    /// What the write does, as admission attributes name it.
    enum Operation: String {
        case create = "CREATE", update = "UPDATE"
    }

    /// The object as it will be stored, or 422 when the kind's rules refuse it (or a webhook's refusal).
    /// `old` is the stored object for updates. `options.strict`: `fieldValidation=Strict` (unknown
    /// fields are a 400, custom resources only).
    static func admit(_ api: KubeAPI, _ type: ResourceType, _ operation: Operation, _ object: JSONObject, old: JSONObject?,
                      options: WriteOptions) throws(APIError) -> JSONObject {
        var admitted = object
        if type.isCustom {
            admitted = try CustomResourceSchema.admit(type, object, strict: options.strict)
        } else {
            try BuiltInValidation.validate(type, object, old: operation == .update ? old : nil)
        }
        if let request = options.admission {
            try ValidatingWebhooks(api: api).validate(type, operation, object: admitted, old: old, request: request, dryRun: options.dryRun)
        }
        return admitted
    }
}
