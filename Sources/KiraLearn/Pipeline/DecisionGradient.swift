import Foundation
import KiraCore

extension FittedPipeline {
    /// ∂ log(P / (1 − P)) / ∂x for one row `x` in `inputFeatures` order, P the model's
    /// probability of the positive class: what a Grad-CAM of the model's decision weights a
    /// deep feature's channel by. The log-odds, not P, so the gradient does not fade where the
    /// model is sure (P(1 − P) → 0) and a linear model's gradient is the same for every row.
    ///
    /// Back through the model, then each step in reverse: a projection multiplies by its
    /// components, a z-score divides by its scale, a fill makes a missing input's gradient 0
    /// (the output no longer depends on it), and a column subset scatters the gradient back to
    /// the kept columns (a dropped column's is 0). Models: logistic regression, and SVMs with
    /// a linear or RBF kernel (through Platt's A when fitted). Trees, ensembles and k-NN have
    /// no gradient and are refused.
    public func logOddsGradient(_ x: [Double]) throws -> [Double] {
        guard x.count == inputFeatures.count else {
            throw KiraError.invalidArgument("the model reads \(inputFeatures.count) features, the row has \(x.count)")
        }
        // Forward, keeping each step's input width and its input after the column subset
        // (what its fill and the model's kernel see).
        var widths: [Int] = [], kept: [[Double]] = []
        var row = x
        for s in steps {
            let m = s.keep.map { $0.map { row[$0] } } ?? row
            widths.append(row.count)
            kept.append(m)
            row = s.apply(Matrix(rows: 1, cols: row.count, values: row)).values
        }
        if let j = row.firstIndex(where: \.isNaN) {
            throw KiraError.invalidData("feature \"\(selectedFeatures[j])\" is missing and the model has no imputation step")
        }
        var g = try model.logOddsGradient(row)
        for (k, s) in steps.enumerated().reversed() {
            var gk: [Double]
            if let components = s.components {
                gk = [Double](repeating: 0, count: components.cols)
                for c in 0..<components.rows where g[c] != 0 {
                    for j in 0..<components.cols { gk[j] += g[c] * components[c, j] }
                }
            } else if s.center != nil, let scale = s.scale {
                gk = zip(g, scale).map { $0 / $1 }
            } else {
                gk = g
            }
            if s.fill != nil {
                for j in gk.indices where kept[k][j].isNaN { gk[j] = 0 }
            }
            if let keep = s.keep {
                var full = [Double](repeating: 0, count: widths[k])
                for (j, column) in keep.enumerated() { full[column] += gk[j] }
                g = full
            } else {
                g = gk
            }
        }
        return g
    }
}

extension FittedModel {
    /// ∂ log-odds of the positive class / ∂x at the model's input `x`.
    public func logOddsGradient(_ x: [Double]) throws -> [Double] {
        if let logistic { return logistic.coefficients }
        if let svm {
            // log-odds = −(A f + B) with Platt's sigmoid, f itself without it.
            let factor = svm.plattA.map { -$0 } ?? 1
            let p = x.count
            var g = [Double](repeating: 0, count: p)
            for s in 0..<svm.supportVectors.rows {
                let c = svm.coefficients[s]
                switch svm.kernel {
                case .linear:
                    for j in 0..<p { g[j] += c * svm.supportVectors[s, j] }
                case .rbf:
                    // ∂ exp(−γ‖x − v‖²) / ∂x = −2γ (x − v) exp(−γ‖x − v‖²)
                    var d = 0.0
                    for j in 0..<p { let t = x[j] - svm.supportVectors[s, j]; d += t * t }
                    let k = c * exp(-svm.gamma * d) * -2 * svm.gamma
                    for j in 0..<p { g[j] += k * (x[j] - svm.supportVectors[s, j]) }
                }
            }
            return g.map { $0 * factor }
        }
        throw KiraError.invalidArgument("a \(kind.rawValue) model has no gradient: a Grad-CAM of the model's decision needs a logistic regression (lr) or SVM (svm) model")
    }
}
