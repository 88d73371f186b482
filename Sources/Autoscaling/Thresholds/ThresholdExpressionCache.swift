import Locking

/// Parsed expressions keyed by their text and the metrics they may name, so that each pool's rules
/// are parsed once per spec generation (a new generation with the same text hits the cache too).
/// Safe to share across tasks.
public final class ThresholdExpressionCache: Sendable {
    private struct Key: Hashable {
        let source: String
        let catalog: MetricCatalog
    }
    private let entries = Locked<[Key: Result<ThresholdExpression, ThresholdExpressionError>]>([:])
    private let capacity: Int

    /// - Parameter capacity: entries kept before the cache starts over (default 4096: two rules for 2,048 pools
    ///   with distinct rules; pools usually share a handful).
    public init(capacity: Int = 4096) {
        self.capacity = capacity
    }

    /// The parsed expression for `source` over `catalog`'s metrics, parsing it on first use. Errors
    /// are cached too.
    public func expression(for source: String, catalog: MetricCatalog = .builtIn) throws(ThresholdExpressionError) -> ThresholdExpression {
        let key = Key(source: source, catalog: catalog)
        if let hit = entries.withLock({ $0[key] }) { return try hit.get() }
        let result: Result<ThresholdExpression, ThresholdExpressionError>
        do throws(ThresholdExpressionError) {
            result = .success(try ThresholdExpression(parsing: source, catalog: catalog))
        } catch {
            result = .failure(error)
        }
        entries.withLock { entries in
            if entries.count >= capacity { entries.removeAll(keepingCapacity: true) }
            entries[key] = result
        }
        return try result.get()
    }

    /// How many texts are cached.
    public var count: Int { entries.withLock { $0.count } }
}
