import KiraCore

/// k nearest neighbours (Euclidean), P(positive) = share of positives among the k nearest
/// training cases (scikit-learn's uniform weights). Ties in distance: the earlier training row.
public struct KNNModel: Sendable, Codable, Equatable {
    public var k: Int
    public var x: Matrix
    public var y: [Bool]

    public init(k: Int, x: Matrix, y: [Bool]) throws {
        guard k >= 1, k <= x.rows else {
            throw KiraError.invalidArgument("knn: k = \(k) but the training set has \(x.rows) cases")
        }
        self.k = k
        self.x = x
        self.y = y
    }

    public func probabilities(_ q: Matrix) -> [Double] {
        let p = q.cols, n = x.rows
        var out = [Double](repeating: 0, count: q.rows)
        var dist = [(Double, Int)](repeating: (0, 0), count: n)
        q.values.withUnsafeBufferPointer { qv in
            x.values.withUnsafeBufferPointer { xv in
                for i in 0..<q.rows {
                    for r in 0..<n {
                        var d = 0.0
                        for j in 0..<p { let t = qv[i * p + j] - xv[r * p + j]; d += t * t }
                        dist[r] = (d, r)
                    }
                    let nearest = dist.sorted { $0.0 < $1.0 || ($0.0 == $1.0 && $0.1 < $1.1) }.prefix(k)
                    out[i] = Double(nearest.filter { y[$0.1] }.count) / Double(k)
                }
            }
        }
        return out
    }
}
