/// "Did you mean …?": the closest known name to a misspelt one.
public enum NameSuggestion {
    /// The closest of `candidates` to `name` within an edit distance of 2, if any. Ties go to the
    /// first candidate. Case-insensitive unless `caseSensitive`.
    public static func closest(to name: String, in candidates: [String], caseSensitive: Bool = false) -> String? {
        let key = Array(caseSensitive ? name : name.lowercased())
        var best: (candidate: String, distance: Int)?
        for candidate in candidates {
            let d = distance(key, Array(caseSensitive ? candidate : candidate.lowercased()))
            if d <= 2, d < (best?.distance ?? Int.max) { best = (candidate, d) }
        }
        return best?.candidate
    }

    /// Levenshtein distance in which swapping two neighbours counts as one edit.
    public static func distance(_ a: [Character], _ b: [Character]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous2 = [Int](repeating: 0, count: b.count + 1)
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    current[j] = min(current[j], previous2[j - 2] + 1)
                }
            }
            (previous2, previous) = (previous, current)
        }
        return previous[b.count]
    }
}
