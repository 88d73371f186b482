// libFuzzer entry point for the JSON parser and serializer (`make fuzz`). Built with
// `swiftc -sanitize=fuzzer,address` together with Sources/JSON (see scripts/fuzz.sh). Any crash,
// hang or memory error is a bug, and so is a value that changes when serialized and parsed again
// (compact or pretty), or a serialization that is not stable.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzJSON(_ start: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: start, count: count))
    guard let value = try? JSONValue(parsing: bytes) else { return 0 }
    for text in [value.compactText, value.prettyText] {
        let reparsed: JSONValue
        do {
            reparsed = try JSONValue(parsing: text)
        } catch {
            fatalError("the serializer's output does not parse: \(error)\n--- text\n\(text)")
        }
        if reparsed != value {
            fatalError("parse → serialize → parse changed the value\n--- first\n\(value.compactText)\n--- then\n\(reparsed.compactText)")
        }
        if reparsed.compactText != value.compactText {
            fatalError("serializing is not stable\n--- first\n\(value.compactText)\n--- then\n\(reparsed.compactText)")
        }
    }
    return 0
}
