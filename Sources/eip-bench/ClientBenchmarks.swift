// Benchmarks of the libcurl Kubernetes client against the emulator on loopback (plain HTTP, so that
// the figures are the client's and the server's, not TLS's): a 10,000-object list, watch events
// decoded per second, and GET / PATCH latency percentiles.
import Dispatch
import Foundation
import JSON
import Kube
import KubeEmulator
import Locking

func runClientBenchmarks(report: @escaping @Sendable (String, String) -> Void, enabled: @escaping @Sendable (String) -> Bool) {
    var configuration = KubeEmulator.Configuration()
    configuration.podStartDelaySeconds = nil
    configuration.historyLimit = 20_000
    guard let emulator = try? KubeEmulator(configuration) else {
        print("client benchmarks: could not start the emulator")
        return
    }
    defer { emulator.stop() }
    let client = KubeClient(transport: HTTPTransport(TransportConfiguration(server: emulator.url)))
    awaitBlocking {
        let listName = "client: list 10,000 ConfigMaps (pages of 500)"
        let watchName = "client: watch events decoded (10,000 replayed)"
        let start = String(emulator.resourceVersion)
        if enabled(listName) || enabled(watchName) {
            // 10,000 objects, created over 4 concurrent connections.
            await withTaskGroup(of: Void.self) { group in
                for worker in 0..<4 {
                    group.addTask {
                        for i in stride(from: worker, to: 10_000, by: 4) {
                            _ = try? await client.create(.configMaps, namespace: "default",
                                                         ["apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": .string("c\(i)")],
                                                          "data": ["model": "bert-base", "index": .string(String(i))]])
                        }
                    }
                }
            }
        }
        if enabled(listName) {
            var times: [Double] = []
            for _ in 0..<5 {
                let t0 = DispatchTime.now().uptimeNanoseconds
                let list = try? await client.list(.configMaps, namespace: "default")
                times.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6)
                if list?.items.count != 10_000 { report(listName, "wrong count \(list?.items.count ?? -1)"); break }
            }
            times.sort()
            report(listName, "\(Int(times[times.count / 2].rounded())) ms (median of 5)")
        }
        if enabled(watchName) {
            let t0 = DispatchTime.now().uptimeNanoseconds
            var count = 0
            do {
                for try await event in client.watch(.configMaps, namespace: "default", resourceVersion: start) where event.type == .added {
                    count += 1
                    if count == 10_000 { break }
                }
            } catch {}
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
            report(watchName, "\(Int((Double(count) / seconds).rounded())) events/s")
        }
        let latencyName = "client: GET / PATCH latency, 2,000 each"
        if enabled(latencyName) {
            _ = try? await client.create(.deployments, namespace: "default", [
                "apiVersion": "apps/v1", "kind": "Deployment", "metadata": ["name": "web"],
                "spec": ["replicas": 1, "template": ["spec": ["containers": [["name": "c", "image": "triton:24.01"]]]]],
            ])
            func percentiles(_ body: (Int) async -> Void) async -> (Double, Double) {
                var samples: [Double] = []
                for i in 0..<2000 {
                    let t0 = DispatchTime.now().uptimeNanoseconds
                    await body(i)
                    samples.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e3)
                }
                samples.sort()
                return (samples[samples.count / 2], samples[samples.count * 99 / 100])
            }
            let get = await percentiles { _ in _ = try? await client.get(.deployments, namespace: "default", name: "web") }
            let patch = await percentiles { i in
                _ = try? await client.patch(.deployments, namespace: "default", name: "web", .merge(["metadata": ["labels": ["n": .string(String(i))]]]))
            }
            report(latencyName, "GET p50 \(Int(get.0)) µs, p99 \(Int(get.1)) µs; PATCH p50 \(Int(patch.0)) µs, p99 \(Int(patch.1)) µs")
        }
    }
}
