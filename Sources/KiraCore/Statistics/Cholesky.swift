import Foundation

/// A dense symmetric positive-definite matrix (row-major), factorised once by Cholesky.
/// Information matrices, Hessians and log-rank covariances are all of this kind; a failed
/// factorisation means the data cannot identify the parameters, which callers report.
public struct Cholesky: Sendable {
    public let n: Int
    /// Lower triangle L with A = L Lᵀ, row-major n×n.
    private var l: [Double]

    /// Nil when `a` is not numerically positive definite: a pivot at or below
    /// `relativePivotTolerance` times its diagonal entry, or not finite.
    public init?(_ a: [Double], n: Int, relativePivotTolerance: Double = 1e-13) {
        self.n = n
        var l = [Double](repeating: 0, count: n * n)
        let ok: Bool = l.withUnsafeMutableBufferPointer { lp in
            a.withUnsafeBufferPointer { ap in
                for j in 0..<n {
                    var s = ap[j * n + j]
                    for k in 0..<j { s -= lp[j * n + k] * lp[j * n + k] }
                    // Relative to the diagonal, so badly scaled but valid matrices still pass.
                    guard s > relativePivotTolerance * max(abs(ap[j * n + j]), 1e-300), s.isFinite else { return false }
                    let d = s.squareRoot()
                    lp[j * n + j] = d
                    for i in (j + 1)..<max(n, j + 1) {
                        var t = ap[i * n + j]
                        for k in 0..<j { t -= lp[i * n + k] * lp[j * n + k] }
                        lp[i * n + j] = t / d
                    }
                }
                return true
            }
        }
        guard ok else { return nil }
        self.l = l
    }

    public func solve(_ b: [Double]) -> [Double] {
        var y = b
        for i in 0..<n {
            var s = y[i]
            for k in 0..<i { s -= l[i * n + k] * y[k] }
            y[i] = s / l[i * n + i]
        }
        for i in stride(from: n - 1, through: 0, by: -1) {
            var s = y[i]
            for k in (i + 1)..<max(n, i + 1) { s -= l[k * n + i] * y[k] }
            y[i] = s / l[i * n + i]
        }
        return y
    }

    /// A⁻¹, row-major.
    public func inverse() -> [Double] {
        var inv = [Double](repeating: 0, count: n * n)
        var e = [Double](repeating: 0, count: n)
        for j in 0..<n {
            e[j] = 1
            let col = solve(e)
            for i in 0..<n { inv[i * n + j] = col[i] }
            e[j] = 0
        }
        return inv
    }

    /// bᵀ A⁻¹ b.
    public func quadraticForm(_ b: [Double]) -> Double {
        let x = solve(b)
        var s = 0.0
        for i in 0..<n { s += b[i] * x[i] }
        return s
    }
}
