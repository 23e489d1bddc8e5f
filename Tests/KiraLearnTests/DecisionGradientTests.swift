import Foundation
import KiraLearn
import Testing

/// The log-odds gradient a decision Grad-CAM weights deep channels by, checked against the
/// pipeline's own probabilities: central differences of log(P / (1 − P)) per input feature.
@Suite("Decision gradient of a fitted pipeline")
struct DecisionGradientTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var steps: [String]
        var model: ModelSpec.Kind
        var params: [String: String]
        var testDescription: String { "\(steps.joined(separator: " → ")) → \(model.rawValue) \(params)" }
    }

    static let cases: [Case] = [
        Case(steps: ["impute", "zscore", "pca:5"], model: .lr, params: ["C": "1"]),
        Case(steps: ["zscore", "mwu:0.05", "corr:0.9"], model: .svm, params: ["C": "1", "kernel": "rbf"]),
        Case(steps: ["zscore", "variance"], model: .svm, params: ["C": "0.1", "kernel": "linear"]),
        Case(steps: ["zscore", "lasso"], model: .lr, params: ["C": "1"]),
    ]

    @Test("∂ log-odds / ∂x equals central differences of the pipeline's probabilities (relative 1e-6)", arguments: cases)
    func matchesFiniteDifferences(_ c: Case) throws {
        let d = BreastCancer.data
        let spec = PipelineSpec(steps: try c.steps.map(StepSpec.parse), model: ModelSpec(kind: c.model, params: c.params))
        let fitted = try spec.fit(d)
        func logOdds(_ row: [Double]) throws -> Double {
            let p = try fitted.probabilities(Matrix(rows: 1, cols: row.count, values: row))[0]
            return log(p / (1 - p))
        }
        // Rows the model is not sure of, where log(P / (1 − P)) keeps its digits.
        let probabilities = try fitted.probabilities(d.x)
        let rows = (0..<d.x.rows).filter { (0.05...0.95).contains(probabilities[$0]) }.prefix(4)
        #expect(rows.count >= 2, "the model should be unsure of a few rows")
        var worst = 0.0
        for i in rows {
            let x = (0..<d.x.cols).map { d.x[i, $0] }
            let g = try fitted.logOddsGradient(x)
            let scale = g.map(abs).max()!
            #expect(scale > 0)
            for j in 0..<x.count {
                // A step of 1e-4 of the column's spread: central differences err by O(h²).
                let spread = d.x.column(j).max()! - d.x.column(j).min()!
                let h = 1e-4 * spread
                var up = x, down = x
                up[j] += h; down[j] -= h
                let fd = (try logOdds(up) - logOdds(down)) / (2 * h)
                worst = max(worst, abs(fd - g[j]) / scale)
                #expect(abs(fd - g[j]) <= 1e-6 * scale + 1e-9, "row \(i), \(d.featureNames[j]): \(g[j]) vs \(fd)")
            }
        }
        print("\(c.testDescription): max |Δ| / max |gradient| = \(worst)")
    }

    @Test("A missing input imputed by the pipeline has gradient 0; the other columns keep theirs")
    func imputedInputHasNoGradient() throws {
        let d = BreastCancer.data
        let fitted = try PipelineSpec(steps: try ["impute", "zscore"].map(StepSpec.parse), model: ModelSpec(kind: .lr, params: ["C": "1"])).fit(d)
        var x = (0..<d.x.cols).map { d.x[0, $0] }
        let full = try fitted.logOddsGradient(x)
        x[3] = .nan
        let g = try fitted.logOddsGradient(x)
        #expect(g[3] == 0 && full[3] != 0)
        #expect(g.indices.filter { $0 != 3 }.allSatisfy { g[$0] == full[$0] })
    }

    @Test("A tree model has no gradient: refused with a message naming it")
    func treesRefused() throws {
        let d = BreastCancer.data
        let fitted = try PipelineSpec(steps: [StepSpec(kind: .zscore)], model: ModelSpec(kind: .rf, params: ["n_estimators": "5"])).fit(d)
        #expect(throws: (any Error).self) { try fitted.logOddsGradient((0..<d.x.cols).map { d.x[0, $0] }) }
        do { _ = try fitted.logOddsGradient((0..<d.x.cols).map { d.x[0, $0] }) } catch {
            #expect("\(error)".contains("rf model has no gradient"))
        }
    }
}
