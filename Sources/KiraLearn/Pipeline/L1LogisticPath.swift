import Foundation

/// The L1-logistic regularisation path, minimising  (1/n) Σᵢ log(1 + exp(−ỹᵢ(xᵢ·w + b))) + λ‖w‖₁
/// (scikit-learn's C = 1 / (n λ)) for a decreasing list of λ, as glmnet does: warm starts,
/// the sequential strong rule (Tibshirani et al. 2012) with a KKT check over all features,
/// and for each λ proximal Newton steps whose quadratic models are solved by coordinate
/// descent with active-set cycling. Works on one column-major copy of the training rows and
/// keeps the linear predictor up to date, so no step copies or re-multiplies the matrix.
struct L1LogisticPath {
    /// Feature-major values: feature j's n values at j·n.
    private let xt: [Double]
    private let t: [Double]
    let n: Int
    let p: Int
    /// Largest coefficient change (per Newton step and per coordinate sweep) treated as converged.
    var tolerance = 1e-7
    var maxNewton = 100
    var maxSweeps = 10_000

    init(_ x: Matrix, _ y: [Bool]) {
        n = x.rows
        p = x.cols
        xt = x.transposed.values
        t = y.map { $0 ? 1 : 0 }
    }

    /// The smallest λ at which every coefficient is zero: the largest |gradient| at the
    /// intercept-only fit, max_j |x_j · (ȳ − y)| / n (computed as the path's own gradient, so
    /// the first λ gives exactly zero coefficients).
    var lambdaMax: Double { gradient(nullPredictor.z).map(abs).max() ?? 0 }

    private var nullPredictor: (b: Double, z: [Double]) {
        let ybar = max(1e-12, min(1 - 1e-12, t.reduce(0, +) / Double(n)))
        let b = log(ybar / (1 - ybar))
        return (b, [Double](repeating: b, count: n))
    }

    /// One model per λ (given largest first).
    func path(lambdas: [Double]) -> [LogisticModel] {
        var w = [Double](repeating: 0, count: p)
        var (b, z) = nullPredictor
        var g = gradient(z)
        var previous = g.map(abs).max() ?? 0
        var models: [LogisticModel] = []
        for l in lambdas {
            var inSet = (0..<p).map { w[$0] != 0 || abs(g[$0]) >= 2 * l - previous }
            while true {
                solve(set: (0..<p).filter { inSet[$0] }, lambda: l, w: &w, b: &b, z: &z)
                g = gradient(z)
                var violated = false
                for j in 0..<p where !inSet[j] && abs(g[j]) > l * (1 + 1e-6) {
                    inSet[j] = true
                    violated = true
                }
                if !violated { break }
            }
            models.append(LogisticModel(coefficients: w, intercept: b))
            previous = l
        }
        return models
    }

    /// ∂/∂w_j of the mean log-loss at linear predictor z.
    private func gradient(_ z: [Double]) -> [Double] {
        var r = [Double](repeating: 0, count: n)
        for i in 0..<n { r[i] = (sigmoid(z[i]) - t[i]) / Double(n) }
        var g = [Double](repeating: 0, count: p)
        xt.withUnsafeBufferPointer { x in
            r.withUnsafeBufferPointer { r in
                for j in 0..<p { g[j] = dot(x.baseAddress! + j * n, r.baseAddress!, n) }
            }
        }
        return g
    }

    private func objective(_ z: [Double], _ w: [Double], _ set: [Int], _ l: Double) -> Double {
        var loss = 0.0
        for i in 0..<n {
            let m = t[i] > 0.5 ? -z[i] : z[i]
            loss += m > 0 ? m + log1p(exp(-m)) : log1p(exp(m))
        }
        var pen = 0.0
        for j in set { pen += abs(w[j]) }
        return loss / Double(n) + l * pen
    }

    /// Proximal Newton on the coordinates in `set` (the others stay zero).
    private func solve(set: [Int], lambda l: Double, w: inout [Double], b: inout Double, z: inout [Double]) {
        let invN = 1 / Double(n)
        var v = [Double](repeating: 0, count: n), r = v, dz = v
        var a = [Double](repeating: 0, count: set.count)
        var f = objective(z, w, set, l)
        for _ in 0..<maxNewton {
            // Quadratic model at z: weights v = μ(1 − μ)/n, weighted working residual r = (y − μ)/n.
            var vSum = 0.0
            for i in 0..<n {
                let mu = sigmoid(z[i])
                v[i] = max(mu * (1 - mu), 1e-5) * invN
                r[i] = (t[i] - mu) * invN
                vSum += v[i]
            }
            xt.withUnsafeBufferPointer { x in
                for (k, j) in set.enumerated() {
                    var s = 0.0
                    let base = j * n
                    for i in 0..<n { s += v[i] * x[base + i] * x[base + i] }
                    a[k] = s
                }
            }
            let w0 = set.map { w[$0] }, b0 = b
            var db = 0.0
            xt.withUnsafeBufferPointer { xb in
                v.withUnsafeBufferPointer { vb in
                    r.withUnsafeMutableBufferPointer { rb in
                        w.withUnsafeMutableBufferPointer { wb in
                            db = Self.coordinateDescent(x: xb.baseAddress!, n: n, v: vb.baseAddress!, vSum: vSum, r: rb.baseAddress!,
                                                        w: wb.baseAddress!, a: a, set: set, lambda: l, tolerance: tolerance,
                                                        maxSweeps: maxSweeps)
                        }
                    }
                }
            }
            // The step in the linear predictor, from the coefficients that moved.
            for i in 0..<n { dz[i] = db }
            xt.withUnsafeBufferPointer { x in
                for (k, j) in set.enumerated() where w[j] != w0[k] {
                    let d = w[j] - w0[k], base = j * n
                    for i in 0..<n { dz[i] += x[base + i] * d }
                }
            }
            // Step halving between the old and the new point if the full step does not descend.
            let w1 = set.map { w[$0] }
            var alpha = 1.0
            var nz = z
            for _ in 0..<40 {
                for (k, j) in set.enumerated() { w[j] = w0[k] + alpha * (w1[k] - w0[k]) }
                b = b0 + alpha * db
                for i in 0..<n { nz[i] = z[i] + alpha * dz[i] }
                let nf = objective(nz, w, set, l)
                if nf <= f + 1e-12 * abs(f) { f = nf; break }
                alpha *= 0.5
            }
            z = nz
            var change = abs(alpha * db)
            for (k, j) in set.enumerated() { change = max(change, abs(w[j] - w0[k])) }
            if change < tolerance { return }
        }
    }

    /// Minimises the quadratic model  ½ Σ vᵢ (rᵢ/vᵢ − Δzᵢ)² + λ‖w‖₁  over the intercept step and the
    /// coefficients in `set`, updating the weighted residual r in place; returns the intercept
    /// step. Full sweeps find the active coordinates, then sweeps over the non-zero ones until
    /// they settle, then a full sweep confirms.
    private static func coordinateDescent(x: UnsafePointer<Double>, n: Int, v: UnsafePointer<Double>, vSum: Double,
                                          r: UnsafeMutablePointer<Double>, w: UnsafeMutablePointer<Double>, a: [Double],
                                          set: [Int], lambda l: Double, tolerance: Double, maxSweeps: Int) -> Double {
        var db = 0.0
        var full = true
        let all = Array(set.indices)
        var active = all
        for _ in 0..<maxSweeps {
            var maxDelta = 0.0
            var rs = 0.0
            for i in 0..<n { rs += r[i] }
            let dIntercept = rs / vSum
            if dIntercept != 0 {
                db += dIntercept
                for i in 0..<n { r[i] -= v[i] * dIntercept }
                maxDelta = abs(dIntercept)
            }
            for k in full ? all : active {
                let ak = a[k]
                guard ak > 0 else { continue }
                let j = set[k], col = x + j * n
                let u = w[j], raw = ak * u + dot(col, UnsafePointer(r), n)
                let nu = raw > l ? (raw - l) / ak : (raw < -l ? (raw + l) / ak : 0)
                let delta = nu - u
                if delta != 0 {
                    w[j] = nu
                    for i in 0..<n { r[i] -= v[i] * col[i] * delta }
                    maxDelta = max(maxDelta, abs(delta))
                }
            }
            if maxDelta < tolerance {
                if full { break }
                full = true
            } else if full {
                active = all.filter { w[set[$0]] != 0 }
                full = active.count == set.count
            }
        }
        return db
    }
}

/// x · y with four partial sums (the reduction is the inner loop of coordinate descent).
@inline(__always) private func dot(_ x: UnsafePointer<Double>, _ y: UnsafePointer<Double>, _ n: Int) -> Double {
    var s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0
    var i = 0
    while i + 4 <= n {
        s0 += x[i] * y[i]; s1 += x[i + 1] * y[i + 1]; s2 += x[i + 2] * y[i + 2]; s3 += x[i + 3] * y[i + 3]
        i += 4
    }
    while i < n { s0 += x[i] * y[i]; i += 1 }
    return (s0 + s1) + (s2 + s3)
}
