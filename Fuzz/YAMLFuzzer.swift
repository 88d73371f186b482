// libFuzzer entry point for the YAML reader and writer (`make fuzz`). Built with
// `swiftc -sanitize=fuzzer,address` together with Sources/YAML (see scripts/fuzz.sh). Any crash,
// hang or memory error is a bug, and so is a value that does not survive the writer: whatever the
// reader accepts, YAMLEmitter writes, and the reader must read back the same value.
import JSON

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzYAML(_ start: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: start, count: count), as: UTF8.self)
    guard let values = try? YAMLReader.jsonValues(in: text) else { return 0 }
    for value in values {
        let written = YAMLEmitter.text(of: value)
        let reread: [JSONValue]
        do {
            reread = try YAMLReader.jsonValues(in: written)
        } catch {
            fatalError("the writer's output does not read back: \(error)\n--- value\n\(value.compactText)\n--- written\n\(written)")
        }
        if reread != [value] {
            fatalError("the writer's output reads back differently\n--- value\n\(value.compactText)\n--- read back\n\(reread.map(\.compactText))\n--- written\n\(written)")
        }
    }
    return 0
}
