// libFuzzer entry point for the exposition parser (`make fuzz`). Built with
// `swiftc -sanitize=fuzzer,address` together with Sources/PrometheusText (see scripts/fuzz.sh);
// any crash, hang or memory error is a bug.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzExposition(_ start: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: start, count: count), as: UTF8.self)
    if let families = try? ExpositionParser.parse(text) {
        for family in families where family.kind == .histogram {
            _ = HistogramQuantile.quantile(0.9, buckets: HistogramQuantile.buckets(of: family))
        }
    }
    return 0
}
