import KiraCore

/// Splits of case indices into test folds; every case is in exactly one test fold per repeat.
public enum Folds {
    /// Stratified k-fold: each class shuffled with the seed and dealt round-robin, so every
    /// fold holds ⌊n_c/k⌋ or ⌈n_c/k⌉ cases of class c.
    public static func stratified(labels: [Bool], k: Int, seed: UInt64) -> [[Int]] {
        var rng = SeededGenerator(seed: seed)
        var pos = labels.indices.filter { labels[$0] }, neg = labels.indices.filter { !labels[$0] }
        rng.shuffle(&pos)
        rng.shuffle(&neg)
        var folds = [[Int]](repeating: [], count: k)
        for (i, c) in (pos + neg).enumerated() { folds[i % k].append(c) }
        return folds.map { $0.sorted() }
    }

    /// Checks that k-fold CV can run: every fold needs both classes in its training rows and
    /// at least one case of each class overall per fold.
    public static func check(labels: [Bool], k: Int) throws {
        let p = labels.filter { $0 }.count, n = labels.count - p
        guard k >= 2 else { throw KiraError.invalidArgument("--cv \(k): cross-validation needs at least 2 folds") }
        guard min(p, n) >= k else {
            throw KiraError.invalidData("\(k)-fold cross-validation needs at least \(k) cases of each class; there are \(p) positive and \(n) negative")
        }
    }

    /// Fixed splits from a column: rows whose value is `train` train, the others are grouped
    /// by value (`internal`, `external`, a centre name) and each evaluated once.
    public static func fixed(splitValues: [String]) throws -> (train: [Int], tests: [(name: String, rows: [Int])]) {
        let train = splitValues.indices.filter { splitValues[$0].lowercased() == "train" }
        guard !train.isEmpty else {
            throw KiraError.invalidData("split column: no row is marked 'train'")
        }
        var names: [String] = []
        for v in splitValues where v.lowercased() != "train" && !names.contains(v) { names.append(v) }
        return (train, names.map { name in (name, splitValues.indices.filter { splitValues[$0] == name }) })
    }
}
