import Foundation
import JSON
import Testing
import TestSupport
import YAML

/// docs/examples/sharding: the install with two operator shards (README, "Past one process").
@Suite("Sharding overlay", .runsOnOwnThreads, .enabled(if: Tools.hasKubectl, "kubectl is not installed (scripts/install-kubectl.sh)"))
struct ShardingOverlayTests {
    @Test func twoShardsEachWithItsSelectorLeaseAndPods() throws {
        let rendered = Tools.shell("\(Tools.kubectl) kustomize docs/examples/sharding")
        #expect(rendered.status == 0, "\(rendered.stderr)")
        let objects = try YAMLReader.jsonValues(in: rendered.stdout)
        let deployments = objects.filter { $0["kind"] == "Deployment" }
        #expect(deployments.compactMap { $0["metadata"]?["name"]?.stringValue }.sorted() == ["eip-operator", "eip-operator-shard-b"])
        func arguments(_ deployment: JSONValue) -> [String] {
            deployment["spec"]?["template"]?["spec"]?["containers"]?.arrayValue?.first?["args"]?.arrayValue?.compactMap(\.stringValue) ?? []
        }
        func strings(_ object: JSONValue?) -> [String: String] {
            var result: [String: String] = [:]
            for (key, value) in object?.objectValue ?? [:] { result[key] = value.stringValue }
            return result
        }
        func matchLabels(_ selector: JSONValue?) -> [String: String] { strings(selector?["matchLabels"]) }
        var shards: [String: JSONValue] = [:]
        for deployment in deployments {
            let args = arguments(deployment)
            let selectors = args.filter { $0.hasPrefix("--pool-selector=") }
            let leases = args.filter { $0.hasPrefix("--leader-election-id=") }
            #expect(selectors.count == 1 && leases.count == 1, "one selector and one Lease each: \(args)")
            if let selector = selectors.first { shards[String(selector.dropFirst("--pool-selector=".count))] = deployment }
            #expect(args.contains("--leader-elect"))
        }
        #expect(Set(shards.keys) == ["shard=a", "shard=b"])
        let leases = deployments.flatMap { arguments($0).filter { $0.hasPrefix("--leader-election-id=") } }
        #expect(Set(leases).count == 2, "a Lease per shard: \(leases)")
        // Neither shard's Deployment, PodDisruptionBudget or topology spread counts the other's pods.
        let budgets = objects.filter { $0["kind"] == "PodDisruptionBudget" }
        #expect(budgets.count == 2)
        for deployment in deployments {
            let own = matchLabels(deployment["spec"]?["selector"])
            for other in deployments where other != deployment {
                let labels = strings(other["spec"]?["template"]?["metadata"]?["labels"])
                #expect(!own.allSatisfy { labels[$0.key] == $0.value }, "\(own) selects the other shard's pods")
                for budget in budgets {
                    let picks = matchLabels(budget["spec"]?["selector"])
                    let ownLabels = strings(deployment["spec"]?["template"]?["metadata"]?["labels"])
                    #expect(!(picks.allSatisfy { ownLabels[$0.key] == $0.value } && picks.allSatisfy { labels[$0.key] == $0.value }),
                            "a PodDisruptionBudget over both shards: \(picks)")
                }
            }
        }
        // One of each cluster-wide or namespace object: the second shard adds only its Deployment and budget.
        #expect(objects.filter { $0["kind"] == "Namespace" }.count == 1)
        #expect(objects.filter { $0["kind"] == "PriorityClass" }.count == 1)
        #expect(objects.filter { $0["kind"] == "CustomResourceDefinition" }.count == 1)
    }
}
