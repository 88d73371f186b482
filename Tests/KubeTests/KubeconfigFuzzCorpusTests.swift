import Foundation
import TestSupport
import Testing
@testable import Kube

/// The corpus `make fuzz` grew for the kubeconfig harness (Fuzz/Corpus/kubeconfig, minimized),
/// replayed with the harness's checks: what reads is unchanged when merged with itself, and every
/// context resolves or fails with a configuration error.
@Suite("Kubeconfig fuzz corpus")
struct KubeconfigFuzzCorpusTests {
    @Test func everyConfigurationMergesWithItselfAndResolves() throws {
        let corpus = try fuzzCorpus("kubeconfig")
        #expect(!corpus.isEmpty)
        var read = 0
        for (file, text) in corpus {
            guard let config = try? Kubeconfig(parsing: text, file: "/fuzz/kube/config") else { continue }
            read += 1
            var merged = config
            merged.merge(config)
            #expect(merged == config, "\(file)")
            for name in [nil] + config.contexts.keys.map(Optional.some) {
                do throws(KubeError) {
                    _ = try config.resolve(context: name, files: "/fuzz/kube/config")
                } catch {
                    #expect(error.kind == .configuration)
                }
            }
        }
        #expect(read > 0)
    }
}
