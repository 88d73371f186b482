// libFuzzer entry point for kubeconfig reading (`make fuzz`). Built with
// `swiftc -sanitize=fuzzer,address` together with Sources/Kube/Config/Kubeconfig.swift (see
// scripts/fuzz.sh). Any crash, hang or memory error is a bug; so is a configuration that changes
// when merged with itself (the first definition of a name must win), or one whose contexts cannot
// be resolved without crashing.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzKubeconfig(_ start: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: start, count: count), as: UTF8.self)
    guard let config = try? Kubeconfig(parsing: text, file: "/fuzz/kube/config") else { return 0 }
    var merged = config
    merged.merge(config)
    if merged != config { fatalError("merging a configuration with itself changed it") }
    _ = try? config.resolve(context: nil, files: "/fuzz/kube/config")
    for name in config.contexts.keys {
        _ = try? config.resolve(context: name, files: "/fuzz/kube/config")
    }
    return 0
}
