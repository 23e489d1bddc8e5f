import Foundation
import KiraCore

/// Binary logistic regression with scikit-learn's objective
///   C · Σᵢ log(1 + exp(−ỹᵢ (xᵢ·w + b))) + (1 − ρ)/2 ‖w‖² + ρ ‖w‖₁,
/// the intercept b unpenalised; ρ = 0 for L2, 1 for L1, `l1Ratio` for elastic net, and no
/// penalty term at all for `.none`. Solved to machine precision: Newton's method for the
/// smooth penalties, proximal Newton with coordinate descent (as glmnet) when there is an L1 term.
public struct LogisticRegression: Sendable, Codable, Equatable {
    public enum Penalty: String, Sendable, Codable, CaseIterable { case none, l1, l2, elasticnet }

    public var penalty: Penalty
    public var C: Double
    public var l1Ratio: Double
    public var tolerance: Double
    public var maxIterations: Int

    public init(penalty: Penalty = .l2, C: Double = 1, l1Ratio: Double = 0.5, tolerance: Double = 1e-10,
                maxIterations: Int = 500) {
        self.penalty = penalty
        self.C = C
        self.l1Ratio = l1Ratio
        self.tolerance = tolerance
        self.maxIterations = maxIterations
    }

    var rho: Double {
        switch penalty { case .none, .l2: 0; case .l1: 1; case .elasticnet: l1Ratio }
    }

    func validate() throws {
        guard C > 0, C.isFinite || penalty == .none else {
            throw KiraError.invalidArgument("logistic regression: C must be a positive number, got \(C)")
        }
        guard (0...1).contains(l1Ratio) else {
            throw KiraError.invalidArgument("logistic regression: l1_ratio must be in [0, 1], got \(l1Ratio)")
        }
    }

    public func fit(_ x: Matrix, _ y: [Bool], warmStart: LogisticModel? = nil) throws -> LogisticModel {
        try validate()
        let n = x.rows, p = x.cols
        let target = y.map { $0 ? 1.0 : 0.0 }
        let scaleC = penalty == .none ? 1.0 : C
        let l2 = penalty == .none ? 0 : (1 - rho), l1 = penalty == .none ? 0 : rho
        var w = warmStart?.coefficients ?? [Double](repeating: 0, count: p)
        var b = warmStart?.intercept ?? {
            let m = max(1e-12, min(1 - 1e-12, target.reduce(0, +) / Double(n)))
            return log(m / (1 - m))
        }()
        if l1 == 0 && p <= 400 {
            try newton(x, target, C: scaleC, l2: l2, w: &w, b: &b)
        } else {
            try proximalNewton(x, target, C: scaleC, l2: l2, l1: l1, w: &w, b: &b)
        }
        guard b.isFinite, w.allSatisfy(\.isFinite) else {
            throw KiraError.invalidData("logistic regression did not converge (the classes may be perfectly separated; use an L2 penalty)")
        }
        return LogisticModel(coefficients: w, intercept: b)
    }

    func objective(_ x: Matrix, _ t: [Double], C: Double, l2: Double, l1: Double, w: [Double], b: Double) -> Double {
        let z = LogisticModel(coefficients: w, intercept: b).decision(x)
        var loss = 0.0
        for i in 0..<t.count {
            // log(1 + exp(−s z)) with s = ±1, written to stay finite.
            let m = t[i] > 0.5 ? -z[i] : z[i]
            loss += m > 0 ? m + log1p(exp(-m)) : log1p(exp(m))
        }
        var pen = 0.0
        for v in w { pen += 0.5 * l2 * v * v + l1 * abs(v) }
        return C * loss + pen
    }

    private func newton(_ x: Matrix, _ t: [Double], C: Double, l2: Double, w: inout [Double], b: inout Double) throws {
        let n = x.rows, p = x.cols, d = p + 1
        var f = objective(x, t, C: C, l2: l2, l1: 0, w: w, b: b)
        for _ in 0..<maxIterations {
            let z = LogisticModel(coefficients: w, intercept: b).decision(x)
            var g = [Double](repeating: 0, count: d)
            var h = [Double](repeating: 0, count: d * d)
            x.values.withUnsafeBufferPointer { xv in
                for i in 0..<n {
                    let mu = sigmoid(z[i]), r = C * (mu - t[i]), wt = C * mu * (1 - mu)
                    let row = i * p
                    for j in 0..<p {
                        let xij = xv[row + j]
                        g[j] += r * xij
                        let s = wt * xij
                        for k in 0...j { h[j * d + k] += s * xv[row + k] }
                        h[p * d + j] += s
                    }
                    g[p] += r
                    h[p * d + p] += wt
                }
            }
            for j in 0..<p { g[j] += l2 * w[j]; h[j * d + j] += l2 }
            for j in 0..<d { for k in 0..<j { h[k * d + j] = h[j * d + k] } }
            // Any positive pivot still gives a Newton direction; step halving guards the rest.
            guard let step = Cholesky(h, n: d, relativePivotTolerance: 0)?.solve(g) else {
                throw KiraError.invalidData("logistic regression: singular Hessian (constant or duplicated features without a penalty)")
            }
            var alpha = 1.0, accepted = false
            var nw = w, nb = b, nf = f
            for _ in 0..<60 {
                for j in 0..<p { nw[j] = w[j] - alpha * step[j] }
                nb = b - alpha * step[p]
                nf = objective(x, t, C: C, l2: l2, l1: 0, w: nw, b: nb)
                if nf <= f + 1e-12 * abs(f) { accepted = true; break }
                alpha *= 0.5
            }
            let change = step.map { abs($0) * alpha }.max() ?? 0
            if accepted { w = nw; b = nb; f = nf }
            let scale = 1 + max(abs(b), w.map(abs).max() ?? 0)
            if !accepted || change < tolerance * scale { return }
        }
    }

    private func proximalNewton(_ x: Matrix, _ t: [Double], C: Double, l2: Double, l1: Double,
                                w: inout [Double], b: inout Double) throws {
        let n = x.rows, p = x.cols
        // Column-major copy: coordinate descent walks features.
        let xt = x.transposed
        var f = objective(x, t, C: C, l2: l2, l1: l1, w: w, b: b)
        var colSq = [Double](repeating: 0, count: p)
        for _ in 0..<maxIterations {
            let z = LogisticModel(coefficients: w, intercept: b).decision(x)
            var wt = [Double](repeating: 0, count: n), r = wt
            for i in 0..<n {
                let mu = sigmoid(z[i])
                wt[i] = max(C * mu * (1 - mu), 1e-300)
                r[i] = C * (mu - t[i])
            }
            // Gradient of the loss at the current point, and weighted column norms.
            var g = [Double](repeating: 0, count: p)
            xt.values.withUnsafeBufferPointer { xv in
                for j in 0..<p {
                    var s = 0.0, q = 0.0
                    let base = j * n
                    for i in 0..<n { let v = xv[base + i]; s += r[i] * v; q += wt[i] * v * v }
                    g[j] = s; colSq[j] = q
                }
            }
            let gb = r.reduce(0, +), hb = wt.reduce(0, +)
            // Minimise the quadratic model plus the penalty over the step d by coordinate descent;
            // xd holds X·d (including the intercept step).
            var dw = [Double](repeating: 0, count: p), db = 0.0
            var xd = [Double](repeating: 0, count: n)
            // glmnet's active-set cycling: full sweeps only to find the active coordinates,
            // then sweeps over the non-zero ones until they settle.
            let stop = tolerance * 0.1 * (1 + (w.map(abs).max() ?? 0))
            var fullSweep = true
            var active: [Int] = Array(0..<p)
            for _ in 0..<1000 {
                var maxDelta = 0.0
                var s = gb
                for i in 0..<n { s += wt[i] * xd[i] }
                let deltaB = -s / hb
                if deltaB != 0 {
                    db += deltaB
                    for i in 0..<n { xd[i] += deltaB }
                    maxDelta = max(maxDelta, abs(deltaB))
                }
                let coords = fullSweep ? Array(0..<p) : active
                xt.values.withUnsafeBufferPointer { xv in
                    for j in coords {
                        let base = j * n
                        var q = g[j]
                        for i in 0..<n { q += wt[i] * xv[base + i] * xd[i] }
                        let a = colSq[j] + l2
                        guard a > 0 else { continue }
                        let u = w[j] + dw[j]
                        // Gradient of the smooth part at u, then a soft-thresholded Newton step.
                        let grad = q + l2 * u
                        let raw = a * u - grad
                        let nu = raw > l1 ? (raw - l1) / a : (raw < -l1 ? (raw + l1) / a : 0)
                        let delta = nu - u
                        if delta != 0 {
                            dw[j] += delta
                            for i in 0..<n { xd[i] += delta * xv[base + i] }
                            maxDelta = max(maxDelta, abs(delta))
                        }
                    }
                }
                if maxDelta < stop {
                    if fullSweep { break }
                    fullSweep = true
                } else if fullSweep {
                    active = (0..<p).filter { w[$0] + dw[$0] != 0 }
                    fullSweep = active.count == p
                }
            }
            var alpha = 1.0, accepted = false
            var nw = w, nb = b, nf = f
            for _ in 0..<60 {
                for j in 0..<p { nw[j] = w[j] + alpha * dw[j] }
                nb = b + alpha * db
                nf = objective(x, t, C: C, l2: l2, l1: l1, w: nw, b: nb)
                if nf <= f + 1e-12 * abs(f) { accepted = true; break }
                alpha *= 0.5
            }
            let change = max(abs(db), dw.map(abs).max() ?? 0) * alpha
            if accepted { w = nw; b = nb; f = nf }
            let scale = 1 + max(abs(b), w.map(abs).max() ?? 0)
            if !accepted || change < tolerance * scale { return }
        }
    }
}

/// A fitted logistic model: P(positive) = σ(x·w + b).
public struct LogisticModel: Sendable, Codable, Equatable {
    public var coefficients: [Double]
    public var intercept: Double

    public init(coefficients: [Double], intercept: Double) {
        self.coefficients = coefficients
        self.intercept = intercept
    }

    public func decision(_ x: Matrix) -> [Double] {
        var out = [Double](repeating: intercept, count: x.rows)
        let p = x.cols
        x.values.withUnsafeBufferPointer { xv in
            coefficients.withUnsafeBufferPointer { w in
                for i in 0..<x.rows {
                    var s = intercept
                    for j in 0..<p { s += xv[i * p + j] * w[j] }
                    out[i] = s
                }
            }
        }
        return out
    }

    public func probabilities(_ x: Matrix) -> [Double] { decision(x).map(sigmoid) }
}
