import Autoscaling
import JSON
import TestSupport
import Testing
@testable import Demo
@testable import KubeEmulator

/// The demo's pods report the model its pool reads: the operator matches series by model, so a
/// Deployment whose pods label their series with another name leaves the pool without a P90.
@Suite("The demo's pods serve the pool's model")
struct ServedModelTests {
    @Test func theSampleDeploymentLoadsTheModelTheSamplePoolReads() throws {
        var options = DemoOptions()
        options.pool = repositoryRoot + "/" + DemoManifests.samplePool
        options.deployment = repositoryRoot + "/" + DemoManifests.sampleDeployment
        options.crds = repositoryRoot + "/CRDs"
        let manifests = try DemoManifests(options: options)
        let template = try #require(manifests.deployment["spec"]?["template"]?.objectValue)
        #expect(ServingSimulation.servedModel(of: template) == manifests.pool.spec.modelMatch.name)
        #expect(manifests.pool.spec.modelMatch.name == "bert-base-uncased")
    }

    @Test func theDeploymentMadeForAPoolLoadsItsModel() throws {
        let deployment = DemoManifests.minimalDeployment(namespace: "ns", name: "server", model: "llama-3-8b", replicas: 2, port: 8002)
        let template = try #require(deployment["spec"]?["template"]?.objectValue)
        #expect(ServingSimulation.servedModel(of: template) == "llama-3-8b")
    }

    @Test func tritonsLoadModelInEitherFormElseNone() {
        func pod(_ args: [String], command: [String] = []) -> JSONObject {
            ["spec": ["containers": [["name": "c", "command": .array(command.map { .string($0) }), "args": .array(args.map { .string($0) })]]]]
        }
        #expect(ServingSimulation.servedModel(of: pod(["--load-model=a", "--load-model=b"])) == "a", "the first")
        #expect(ServingSimulation.servedModel(of: pod(["--model-control-mode=explicit", "--load-model", "bert"])) == "bert")
        #expect(ServingSimulation.servedModel(of: pod([], command: ["tritonserver", "--load-model=x"])) == "x")
        #expect(ServingSimulation.servedModel(of: pod(["--model-repository=/models"])) == nil)
        #expect(ServingSimulation.servedModel(of: pod(["--load-model"])) == nil)
        #expect(ServingSimulation.servedModel(of: pod(["--load-model="])) == nil)
    }
}
