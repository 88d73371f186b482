import Foundation
import TestSupport
import JSON
import Testing
@testable import KubeEmulator

@Suite("Transport: TLS, tokens, keep-alive, streaming, concurrency", .runsOnOwnThreads)
struct TransportTests {
    @Test func httpsVerifiedAgainstTheCA() throws {
        let cluster = try TestCluster()
        #expect(cluster.url.hasPrefix("https://127.0.0.1:"))
        #expect(cluster.get("/version").json["gitVersion"] == "v1.36.0-eip-emulator")
    }

    @Test func aClientTrustingAnotherCAIsRefused() throws {
        let cluster = try TestCluster()
        let result = run("/usr/bin/curl", cluster.curlArguments(token: cluster.token, ca: cluster.certificates.otherCA) + [cluster.url + "/version"])
        #expect(result.status == 60, "curl should fail certificate verification: \(result.stderr)")
    }

    @Test func plainHTTPOnRequest() throws {
        let cluster = try TestCluster(tls: false)
        #expect(cluster.url.hasPrefix("http://"))
        #expect(cluster.get("/version").status == 200)
    }

    @Test func missingOrWrongTokenIs401WithAStatusBody() throws {
        let cluster = try TestCluster()
        for token in [nil, "wrong"] as [String?] {
            let r = cluster.request("GET", "/api/v1/namespaces", token: .some(token))
            #expect(r.status == 401)
            #expect(r.json == ["kind": "Status", "apiVersion": "v1", "metadata": [:], "status": "Failure", "message": "Unauthorized", "reason": "Unauthorized", "code": 401])
        }
    }

    @Test func tokensAreReReadWhenTheFileChanges() throws {
        let cluster = try TestCluster()
        #expect(cluster.get("/api/v1/namespaces").status == 200)
        try "rotated-token-2\n".write(toFile: cluster.tokenFile, atomically: true, encoding: .utf8)
        #expect(cluster.request("GET", "/api/v1/namespaces", token: .some(cluster.token)).status == 401)
        #expect(cluster.request("GET", "/api/v1/namespaces", token: .some("rotated-token-2")).status == 200)
    }

    @Test func keepAliveReusesTheConnection() throws {
        let cluster = try TestCluster()
        let result = run("/usr/bin/curl", cluster.curlArguments(token: cluster.token, ca: nil) + ["-v", "-o", "/dev/null", "-o", "/dev/null",
                                                                                                   cluster.url + "/version", cluster.url + "/api"])
        #expect(result.status == 0)
        #expect(result.stderr.contains("Re-using existing connection") || result.stderr.contains("Reusing existing connection"), "\(result.stderr)")
    }

    @Test func manyConcurrentConnections() async throws {
        let cluster = try TestCluster()
        let statuses = await withTaskGroup(of: Int.self) { group in
            for _ in 0..<24 { group.addTask { cluster.get("/api/v1/namespaces/default").status } }
            var all: [Int] = []
            for await status in group { all.append(status) }
            return all
        }
        #expect(statuses == Array(repeating: 200, count: 24))
    }

    @Test func watchEventsAreFlushedOneByOneWhileTheStreamStaysOpen() throws {
        let cluster = try TestCluster()
        let watch = cluster.watch("/api/v1/namespaces/default/configmaps?watch=true")
        defer { watch.stop() }
        #expect(watch.wait { _ in cluster.emulator.openWatches == 1 }.isEmpty)
        _ = cluster.post("/api/v1/namespaces/default/configmaps", ["metadata": ["name": "one"]])
        #expect(watch.wait { $0.count == 1 }.names == ["one"])
        _ = cluster.post("/api/v1/namespaces/default/configmaps", ["metadata": ["name": "two"]])
        #expect(watch.wait { $0.count == 2 }.names == ["one", "two"])
        #expect(!watch.hasEnded)
    }

    @Test func chunkedRequestBodiesAreRead() throws {
        let cluster = try TestCluster()
        let args = cluster.curlArguments(token: cluster.token, ca: nil) + ["-X", "POST", "-H", "Content-Type: application/json",
                                                                             "-H", "Transfer-Encoding: chunked", "--data-binary", "@-",
                                                                             cluster.url + "/api/v1/namespaces/default/configmaps"]
        let result = run("/usr/bin/curl", args, stdin: #"{"metadata":{"name":"chunked"},"data":{"k":"v"}}"#)
        #expect((try JSONValue(parsing: result.stdout))["data"]?["k"] == "v")
    }

    @Test func malformedRequestIs400() throws {
        let cluster = try TestCluster(tls: false)
        let port = cluster.emulator.port
        // A raw request line curl would never send.
        let result = run("/bin/bash", ["-c", "exec 3<>/dev/tcp/127.0.0.1/\(port); printf 'NONSENSE\\r\\n\\r\\n' >&3; head -c 12 <&3"])
        #expect(result.stdout == "HTTP/1.1 400")
    }
}

@Suite("Discovery", .runsOnOwnThreads)
struct DiscoveryTests {
    @Test func versionAndGroups() throws {
        let cluster = try TestCluster()
        #expect(cluster.get("/api").json["versions"] == ["v1"])
        let groups = cluster.get("/apis").json["groups"]?.arrayValue?.compactMap { $0["name"]?.stringValue } ?? []
        for group in ["apps", "coordination.k8s.io", "events.k8s.io", "autoscaling", "apiextensions.k8s.io"] {
            #expect(groups.contains(group), "\(group)")
        }
        #expect(cluster.get("/apis").json["groups"]?.arrayValue?.first { $0["name"] == "apps" }?["preferredVersion"] == ["groupVersion": "apps/v1", "version": "v1"])
    }

    @Test func resourceListsNameKindVerbsScopeShortNamesAndSubresources() throws {
        let cluster = try TestCluster()
        let resources = cluster.get("/apis/apps/v1").json["resources"]?.arrayValue ?? []
        let deployments = resources.first { $0["name"] == "deployments" }
        #expect(deployments?["kind"] == "Deployment")
        #expect(deployments?["namespaced"] == true)
        #expect(deployments?["shortNames"] == ["deploy"])
        #expect(deployments?["verbs"]?.arrayValue?.contains("watch") == true)
        #expect(resources.first { $0["name"] == "deployments/scale" }?["kind"] == "Scale")
        #expect(resources.first { $0["name"] == "deployments/scale" }?["group"] == "autoscaling")
        #expect(resources.first { $0["name"] == "deployments/status" } != nil)
        let core = cluster.get("/api/v1").json["resources"]?.arrayValue ?? []
        #expect(core.first { $0["name"] == "namespaces" }?["namespaced"] == false)
        #expect(cluster.get("/apis/nope.example.com/v1").status == 404)
    }
}
