import KiraCore

/// Points stored row-major: `count` rows of `dimension` values.
public struct PointSet: Sendable {
    public var values: [Double]
    public let dimension: Int
    public var count: Int { values.count / dimension }
    public init(values: [Double], dimension: Int) {
        precondition(dimension > 0 && values.count % dimension == 0)
        self.values = values
        self.dimension = dimension
    }
}

public struct KMeansResult: Sendable {
    public var centroids: [[Double]]
    public var labels: [Int]
    /// Sum of squared distances of points to their centroid.
    public var inertia: Double
    public var iterations: Int
}

/// Lloyd's k-means with k-means++ seeding, best of `restarts` runs by inertia.
public enum KMeans {
    public static func fit(_ points: PointSet, k: Int, seed: UInt64, restarts: Int = 10,
                           maxIterations: Int = 300, tolerance: Double = 1e-10) throws -> KMeansResult {
        let n = points.count
        guard k >= 1 else { throw KiraError.invalidArgument("k must be at least 1 (got \(k))") }
        guard n >= k else { throw KiraError.invalidArgument("k-means with k = \(k) needs at least \(k) points; there are \(n)") }
        var rng = SplitMix64(seed: seed)
        var best: KMeansResult?
        for _ in 0..<max(1, restarts) {
            let start = seedPlusPlus(points, k: k, rng: &rng)
            let r = lloyd(points, centroids: start, maxIterations: maxIterations, tolerance: tolerance)
            if best == nil || r.inertia < best!.inertia { best = r }
        }
        return best!
    }

    /// k-means++ (Arthur & Vassilvitskii 2007): each new centre drawn with probability
    /// proportional to the squared distance to the nearest centre so far.
    static func seedPlusPlus(_ p: PointSet, k: Int, rng: inout SplitMix64) -> [Double] {
        let n = p.count, d = p.dimension
        var centres = [Double]()
        centres.reserveCapacity(k * d)
        let first = Int(rng.unit() * Double(n))
        centres += p.values[(first * d)..<((first + 1) * d)]
        var nearest = [Double](repeating: .infinity, count: n)
        for c in 1...k {
            let base = (c - 1) * d
            var total = 0.0
            p.values.withUnsafeBufferPointer { v in
                for i in 0..<n {
                    var s = 0.0
                    for j in 0..<d { let t = v[i * d + j] - centres[base + j]; s += t * t }
                    if s < nearest[i] { nearest[i] = s }
                    total += nearest[i]
                }
            }
            guard c < k else { break }
            var pick = n - 1
            if total > 0 {
                var target = rng.unit() * total
                for i in 0..<n {
                    target -= nearest[i]
                    if target < 0 { pick = i; break }
                }
            } else {
                pick = Int(rng.unit() * Double(n))
            }
            centres += p.values[(pick * d)..<((pick + 1) * d)]
        }
        return centres
    }

    static func lloyd(_ p: PointSet, centroids start: [Double], maxIterations: Int, tolerance: Double) -> KMeansResult {
        let n = p.count, d = p.dimension, k = start.count / d
        var centres = start
        var labels = [Int](repeating: 0, count: n)
        var iterations = 0
        for it in 1...maxIterations {
            iterations = it
            assign(p, centres: centres, k: k, labels: &labels)
            var sums = [Double](repeating: 0, count: k * d)
            var counts = [Int](repeating: 0, count: k)
            p.values.withUnsafeBufferPointer { v in
                for i in 0..<n {
                    let c = labels[i]
                    counts[c] += 1
                    for j in 0..<d { sums[c * d + j] += v[i * d + j] }
                }
            }
            var shift = 0.0
            for c in 0..<k where counts[c] > 0 {
                for j in 0..<d {
                    let m = sums[c * d + j] / Double(counts[c])
                    shift += (m - centres[c * d + j]) * (m - centres[c * d + j])
                    centres[c * d + j] = m
                }
            }
            // An empty cluster keeps its old centre; Lloyd's step cannot move it.
            if shift <= tolerance { break }
        }
        let inertia = assign(p, centres: centres, k: k, labels: &labels)
        return KMeansResult(centroids: (0..<k).map { Array(centres[($0 * d)..<(($0 + 1) * d)]) },
                            labels: labels, inertia: inertia, iterations: iterations)
    }

    /// Nearest centre per point (ties to the lower index); returns the inertia.
    @discardableResult
    static func assign(_ p: PointSet, centres: [Double], k: Int, labels: inout [Int]) -> Double {
        let n = p.count, d = p.dimension
        var inertia = 0.0
        p.values.withUnsafeBufferPointer { v in
            centres.withUnsafeBufferPointer { c in
                for i in 0..<n {
                    var bestC = 0, bestD = Double.infinity
                    for cc in 0..<k {
                        var s = 0.0
                        for j in 0..<d { let t = v[i * d + j] - c[cc * d + j]; s += t * t }
                        if s < bestD { bestD = s; bestC = cc }
                    }
                    labels[i] = bestC
                    inertia += bestD
                }
            }
        }
        return inertia
    }

    /// Calinski–Harabasz index: between-cluster dispersion / (k − 1) over within-cluster
    /// dispersion / (n − k). Nil when k < 2 or k ≥ n, where it is undefined.
    public static func calinskiHarabasz(_ p: PointSet, labels: [Int]) -> Double? {
        let n = p.count, d = p.dimension
        let k = (labels.max() ?? -1) + 1
        let used = Set(labels).count
        guard used >= 2, used < n else { return nil }
        var mean = [Double](repeating: 0, count: d)
        var sums = [Double](repeating: 0, count: k * d)
        var counts = [Int](repeating: 0, count: k)
        for i in 0..<n {
            counts[labels[i]] += 1
            for j in 0..<d {
                mean[j] += p.values[i * d + j]
                sums[labels[i] * d + j] += p.values[i * d + j]
            }
        }
        for j in 0..<d { mean[j] /= Double(n) }
        var between = 0.0, within = 0.0
        for c in 0..<k where counts[c] > 0 {
            for j in 0..<d {
                let m = sums[c * d + j] / Double(counts[c]) - mean[j]
                between += Double(counts[c]) * m * m
            }
        }
        for i in 0..<n {
            let c = labels[i]
            for j in 0..<d {
                let t = p.values[i * d + j] - sums[c * d + j] / Double(counts[c])
                within += t * t
            }
        }
        guard within > 0 else { return .infinity }
        return (between / Double(used - 1)) / (within / Double(n - used))
    }
}
