import Foundation
import KiraCore

/// The LASSO step of a fitted pipeline, reproduced for a report: the L1-logistic coefficient
/// path over the λ grid the step used, the inner cross-validated log-loss (mean and SE over
/// folds) per λ, and the λ chosen (minimum, or the largest within one SE of it). The fit is
/// deterministic (the step's seed is the pipeline seed's split for that step), so the
/// features non-zero at the chosen λ are the ones the step kept.
public struct LassoCurve: Sendable, Codable, Equatable {
    public var lambdas: [Double]
    public var meanLogLoss: [Double]
    public var seLogLoss: [Double]
    public var minIndex: Int
    public var chosenIndex: Int
    public var rule: String
    /// Input feature names of the step (its columns), and the path: coefficients[λ][feature].
    public var features: [String]
    public var coefficients: [[Double]]

    /// Non-zero features at the chosen λ.
    public var selected: [String] {
        coefficients[chosenIndex].indices.filter { coefficients[chosenIndex][$0] != 0 }.map { features[$0] }
    }

    /// nil when the pipeline has no LASSO step. `training`: the rows the pipeline was fitted
    /// on, with its input features in order.
    public static func reproduce(spec: PipelineSpec, fitted: FittedPipeline, training: LabeledData) throws -> LassoCurve? {
        guard fitted.steps.count == spec.steps.count else {
            throw KiraError.invalidData("the model's fitted steps (\(fitted.steps.count)) do not match its spec (\(spec.steps.count))")
        }
        var rng = SeededGenerator(seed: spec.seed)
        var data = training
        for (k, step) in fitted.steps.enumerated() {
            let seed = rng.split()
            if step.kind == .lasso {
                let s = LassoSelection(rule: spec.steps[k].option == "min" ? .min : .oneSE, seed: seed)
                return s.curve(data)
            }
            data = LabeledData(ids: data.ids, featureNames: step.outputNames, x: step.apply(data.x), y: data.y)
        }
        return nil
    }
}

extension LassoSelection {
    /// `select`'s computation with everything kept.
    func curve(_ d: LabeledData) -> LassoCurve? {
        let whole = L1LogisticPath(d.x, d.y)
        let lmax = whole.lambdaMax
        guard lmax > 0 else { return nil }
        let lambdas = (0..<pathLength).map { lmax * pow(ratio, Double($0) / Double(pathLength - 1)) }
        let k = min(folds, d.positives, d.count - d.positives)
        guard k >= 2 else { return nil }
        var loss = [[Double]](repeating: [], count: lambdas.count)
        for test in Folds.stratified(labels: d.y, k: k, seed: seed) {
            let testSet = Set(test)
            let train = (0..<d.count).filter { !testSet.contains($0) }
            let tr = d.subset(train), te = d.subset(test)
            for (li, m) in path(tr.x, tr.y, lambdas: lambdas).enumerated() {
                loss[li].append(ThresholdMetrics.logLoss(probabilities: m.probabilities(te.x), labels: te.y))
            }
        }
        let means = loss.map { $0.reduce(0, +) / Double($0.count) }
        let ses = loss.indices.map { i -> Double in
            let l = loss[i], m = means[i]
            return (l.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(max(1, l.count - 1))).squareRoot() / Double(l.count).squareRoot()
        }
        let best = means.indices.min { means[$0] < means[$1] }!
        var chosen = best
        if rule == .oneSE { chosen = means.indices.first { means[$0] <= means[best] + ses[best] } ?? best }
        let coefficients = whole.path(lambdas: lambdas).map(\.coefficients)
        return LassoCurve(lambdas: lambdas, meanLogLoss: means, seLogLoss: ses, minIndex: best, chosenIndex: chosen,
                          rule: rule == .min ? "minimum log-loss" : "largest λ within one SE of the minimum",
                          features: d.featureNames, coefficients: coefficients)
    }
}
