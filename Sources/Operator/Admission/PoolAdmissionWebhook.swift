import Autoscaling
import HTTPKit
import JSON
import Kube
import Locking

/// The operator's validating admission webhook for ElasticInferencePools: the API server POSTs an
/// AdmissionReview for each create and update of a pool (`config/webhook`), and the answer is
/// ``PoolAdmission``'s: the same validation as `eipctl validate`, the lints as warnings (kubectl
/// prints them), and a refusal for a second pool on a Deployment another pool holds.
///
/// Served over HTTPS on the webhook port (`--webhook-bind-address`, default `:9443`), at
/// controller-runtime's path for the kind, by every replica: a standby answers as the leader does.
/// Answers as controller-runtime's webhook handler does: HTTP 200 with an AdmissionReview in the
/// request's apiVersion, whatever the verdict; a body that is not JSON, or not a review, is refused
/// with code 400 inside the review.
public final class PoolAdmissionWebhook: Sendable {
    /// controller-runtime's path for a validating webhook of `aiops.example.com/v1alpha2` `ElasticInferencePool`.
    public static let path = "/validate-aiops-example-com-v1alpha2-elasticinferencepool"

    /// The pools of a namespace (the one being written among them or not), for the claim check; nil
    /// when they cannot be read now (the claim check is then skipped, and a warning says so).
    public typealias PoolLister = @Sendable (_ namespace: String) -> [JSONValue]?

    let pools: PoolLister
    let log: Logger?
    let expressions = ThresholdExpressionCache()
    private let verdicts = Locked<[String: Int]>([:])

    /// A webhook reading other pools through `pools`, logging each refusal to `log`.
    public init(pools: @escaping PoolLister, log: Logger? = nil) {
        self.pools = pools
        self.log = log
    }

    /// Reviews handled so far, by verdict (`allowed`, `denied`, `errored`), for `/metrics`.
    public var counts: [String: Int] { verdicts.withLock { $0 } }

    /// Serves one HTTP request (the ``HTTPServer`` handler).
    public func handle(_ request: HTTPRequest, _ writer: HTTPResponseWriter) {
        guard request.path == Self.path else {
            writer.send(status: 404, headers: [("Content-Type", "text/plain")], body: Array("404 page not found\n".utf8))
            return
        }
        guard request.method == "POST" else {
            writer.send(status: 405, headers: [("Content-Type", "text/plain")], body: Array("method not allowed\n".utf8))
            return
        }
        let answer: JSONValue
        let contentType = request.header("content-type")?.split(separator: ";").first.map { $0.trimmingSpaces() } ?? ""
        if contentType != "application/json" {
            answer = AdmissionResponse.errored("", code: 400, "contentType=\(contentType), expected application/json").review(apiVersion: "admission.k8s.io/v1")
            count("errored")
        } else {
            do throws(AdmissionReviewError) {
                let review = try AdmissionRequest(body: request.body)
                answer = self.review(review).review(apiVersion: review.apiVersion)
            } catch {
                answer = AdmissionResponse.errored("", code: 400, error.description).review(apiVersion: "admission.k8s.io/v1")
                count("errored")
            }
        }
        writer.send(status: 200, headers: [("Content-Type", "application/json")], body: Array(answer.compactText.utf8))
    }

    /// The verdict on one review.
    public func review(_ request: AdmissionRequest) -> AdmissionResponse {
        guard let operation = PoolAdmission.Operation(rawValue: request.operation), let object = request.object else {
            // Registered for CREATE and UPDATE only; anything else is no business of ours.
            count("allowed")
            return .allowed(request.uid)
        }
        let verdict = PoolAdmission.review(operation, object: object, old: request.oldObject,
                                           pools: pools(request.namespace), cache: expressions)
        guard let message = verdict.message else {
            count("allowed")
            return .allowed(request.uid, warnings: verdict.warnings.map(\.description))
        }
        count("denied")
        log?.info("admission refused", [("namespace", request.namespace), ("pool", request.name), ("operation", request.operation),
                                        ("dryRun", request.dryRun), ("reason", message)])
        return .denied(request.uid, message, warnings: verdict.warnings.map(\.description))
    }

    private func count(_ verdict: String) { verdicts.withLock { $0[verdict, default: 0] += 1 } }

    /// The pool lister the process uses: the pool informer's cache once it has synced; before that,
    /// a LIST of the namespace through `reader` (controller-runtime's API reader: uncached, bounded by
    /// its client's timeout); nil when that fails too.
    public static func poolLister(cache: Informer, reader: KubeClient) -> PoolLister {
        { namespace in
            if cache.hasSynced { return cache.list(namespace: namespace) }
            return awaitBlocking { () async -> [JSONValue]? in
                try? await reader.list(.elasticInferencePools, namespace: namespace).items
            }
        }
    }
}
