import Foundation
import KiraCore

/// L1-logistic feature selection with λ chosen by stratified inner cross-validation on the
/// training rows (held-out deviance, as glmnet's `cv.glmnet(type.measure = "deviance")`).
/// Objective: mean log-loss + λ‖w‖₁, i.e. scikit-learn's C = 1 / (n λ).
struct LassoSelection {
    enum Rule { case min, oneSE }
    var rule: Rule
    var seed: UInt64
    var pathLength = 25
    var ratio = 0.01
    var folds = 5

    func lambdaMax(_ x: Matrix, _ y: [Bool]) -> Double {
        let n = Double(x.rows)
        let ybar = Double(y.filter { $0 }.count) / n
        var best = 0.0
        for j in 0..<x.cols {
            var s = 0.0
            for i in 0..<x.rows { s += x[i, j] * ((y[i] ? 1 : 0) - ybar) }
            best = max(best, abs(s) / n)
        }
        return best
    }

    /// Gradient of the mean log-loss with respect to each coefficient at (w, b).
    func gradient(_ xt: Matrix, _ y: [Bool], _ w: [Double], _ b: Double, _ x: Matrix) -> [Double] {
        let n = x.rows
        let mu = LogisticModel(coefficients: w, intercept: b).probabilities(x)
        let r = (0..<n).map { mu[$0] - (y[$0] ? 1 : 0) }
        var g = [Double](repeating: 0, count: xt.rows)
        xt.values.withUnsafeBufferPointer { v in
            for j in 0..<xt.rows {
                var s = 0.0
                for i in 0..<n { s += v[j * n + i] * r[i] }
                g[j] = s / Double(n)
            }
        }
        return g
    }

    /// The L1 path with warm starts and the sequential strong rule (Tibshirani et al. 2012):
    /// each λ is solved on the features the rule keeps, then the KKT conditions of the
    /// discarded ones are checked and violators added back, so the solution is exact.
    func path(_ x: Matrix, _ y: [Bool], lambdas: [Double]) throws -> [LogisticModel] {
        let p = x.cols
        let xt = x.transposed
        var models: [LogisticModel] = []
        var w = [Double](repeating: 0, count: p)
        let ybar = max(1e-12, min(1 - 1e-12, Double(y.filter { $0 }.count) / Double(y.count)))
        var b = log(ybar / (1 - ybar))
        var g = gradient(xt, y, w, b, x)
        var previous = lambdaMax(x, y)
        for l in lambdas {
            var keep = Set((0..<p).filter { w[$0] != 0 || abs(g[$0]) >= 2 * l - previous })
            while true {
                let cols = keep.sorted()
                let sub = x.selecting(columns: cols)
                let warm = LogisticModel(coefficients: cols.map { w[$0] }, intercept: b)
                // Selection needs the support, not 1e-10 coefficients: a looser tolerance along the path.
                let m = try LogisticRegression(penalty: .l1, C: 1 / (Double(x.rows) * l), tolerance: 1e-5, maxIterations: 100)
                    .fit(sub, y, warmStart: warm)
                w = [Double](repeating: 0, count: p)
                for (k, j) in cols.enumerated() { w[j] = m.coefficients[k] }
                b = m.intercept
                g = gradient(xt, y, w, b, x)
                let violators = (0..<p).filter { !keep.contains($0) && abs(g[$0]) > l * (1 + 1e-6) }
                if violators.isEmpty { break }
                keep.formUnion(violators)
            }
            models.append(LogisticModel(coefficients: w, intercept: b))
            previous = l
        }
        return models
    }

    /// Indices of the features with non-zero coefficients at the chosen λ.
    func select(_ d: LabeledData) throws -> [Int] {
        let lmax = lambdaMax(d.x, d.y)
        guard lmax > 0 else { return [] }
        let lambdas = (0..<pathLength).map { lmax * pow(ratio, Double($0) / Double(pathLength - 1)) }
        let k = min(folds, d.positives, d.count - d.positives)
        var loss = [[Double]](repeating: [], count: lambdas.count)
        if k >= 2 {
            let splits = Folds.stratified(labels: d.y, k: k, seed: seed)
            for test in splits {
                let testSet = Set(test)
                let train = (0..<d.count).filter { !testSet.contains($0) }
                let tr = d.subset(train), te = d.subset(test)
                let models = try path(tr.x, tr.y, lambdas: lambdas)
                for (li, m) in models.enumerated() {
                    loss[li].append(ThresholdMetrics.logLoss(probabilities: m.probabilities(te.x), labels: te.y))
                }
            }
        }
        var chosen = lambdas.count - 1
        if k >= 2 {
            let means = loss.map { $0.reduce(0, +) / Double($0.count) }
            let best = means.indices.min { means[$0] < means[$1] }!
            chosen = best
            if rule == .oneSE {
                let l = loss[best], m = means[best]
                let se = (l.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(max(1, l.count - 1))).squareRoot() / Double(l.count).squareRoot()
                // The largest λ (earliest on the path) within one SE of the minimum.
                chosen = means.indices.first { means[$0] <= m + se } ?? best
            }
        }
        let full = try path(d.x, d.y, lambdas: Array(lambdas[0...chosen]))
        return full.last!.coefficients.indices.filter { full.last!.coefficients[$0] != 0 }
    }
}
