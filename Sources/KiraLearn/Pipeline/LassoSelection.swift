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

    func path(_ x: Matrix, _ y: [Bool], lambdas: [Double]) -> [LogisticModel] {
        L1LogisticPath(x, y).path(lambdas: lambdas)
    }

    /// Indices of the features with non-zero coefficients at the chosen λ.
    func select(_ d: LabeledData) throws -> [Int] {
        let whole = L1LogisticPath(d.x, d.y)
        let lmax = whole.lambdaMax
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
                let models = path(tr.x, tr.y, lambdas: lambdas)
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
        let full = whole.path(lambdas: Array(lambdas[0...chosen]))
        return full.last!.coefficients.indices.filter { full.last!.coefficients[$0] != 0 }
    }
}
