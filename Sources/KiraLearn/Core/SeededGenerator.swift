import KiraCore

/// A small, fast generator whose stream depends only on the seed (SplitMix64), so folds,
/// bootstrap samples and forests are the same on every machine and Swift version.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    private var base: SplitMix64

    /// The stream starts one golden-ratio step after `seed` (models saved so far depend on it).
    public init(seed: UInt64) { base = SplitMix64(seed: seed &+ 0x9E37_79B9_7F4A_7C15) }

    public mutating func next() -> UInt64 { base.next() }

    /// Uniform in [0, 1) with 53 random bits.
    public mutating func uniform() -> Double { base.unit() }

    /// Uniform integer in 0..<n, without modulo bias.
    public mutating func below(_ n: Int) -> Int {
        precondition(n > 0)
        let bound = UInt64(n)
        let limit = UInt64.max - UInt64.max % bound
        while true {
            let v = next()
            if v < limit { return Int(v % bound) }
        }
    }

    /// Fisher–Yates written out so the permutation never depends on the standard library's algorithm.
    public mutating func shuffle<T>(_ a: inout [T]) {
        guard a.count > 1 else { return }
        for i in stride(from: a.count - 1, to: 0, by: -1) {
            a.swapAt(i, below(i + 1))
        }
    }

    /// An independent seed for a sub-task (a fold, a tree).
    public mutating func split() -> UInt64 { next() }
}
