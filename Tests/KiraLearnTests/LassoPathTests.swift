import Foundation
import KiraCore
@testable import KiraLearn
import Testing

@Suite("L1-logistic path (the LASSO selection step)")
struct LassoPathTests {
    /// More features than cases, correlated in pairs, a few carrying signal.
    static func data(n: Int, p: Int, seed: UInt64) -> (Matrix, [Bool]) {
        var rng = SeededGenerator(seed: seed)
        var x = Matrix(rows: n, cols: p)
        for i in 0..<n {
            for j in 0..<p {
                let g = rng.uniform() * 2 - 1
                x[i, j] = j % 2 == 1 ? 0.7 * x[i, j - 1] + 0.3 * g : g
            }
        }
        let y = (0..<n).map { i in 2 * x[i, 0] - 1.5 * x[i, 3] + x[i, 8] + (rng.uniform() - 0.5) > 0 }
        return (x, y)
    }

    /// The reference is Kira's exact L1 logistic regression at C = 1/(nλ), solved to 1e-10
    /// (equal to scikit-learn's saga to 1e-6 in LogisticRegressionTests).
    @Test("Every λ on the path equals LogisticRegression(penalty: l1, C = 1/(nλ)): coefficients within 1e-5, same support",
          arguments: [(120, 300), (200, 40)])
    func pathEqualsExactFits(n: Int, p: Int) throws {
        let (x, y) = Self.data(n: n, p: p, seed: UInt64(n + p))
        let solver = L1LogisticPath(x, y)
        let lmax = solver.lambdaMax
        let lambdas = (0..<12).map { lmax * pow(0.02, Double($0) / 11) }
        let models = solver.path(lambdas: lambdas)
        var worst = 0.0
        for (l, m) in zip(lambdas, models) {
            let exact = try LogisticRegression(penalty: .l1, C: 1 / (Double(n) * l), tolerance: 1e-10, maxIterations: 1000).fit(x, y)
            let d = max(abs(m.intercept - exact.intercept), maxAbsDiff(m.coefficients, exact.coefficients))
            worst = max(worst, d)
            #expect(d < 1e-5, "λ = \(l): max coefficient difference \(d)")
            // Support: coefficients that are clearly non-zero in one are non-zero in the other.
            for j in 0..<p where abs(exact.coefficients[j]) > 1e-4 { #expect(m.coefficients[j] != 0, "λ = \(l): feature \(j)") }
            for j in 0..<p where abs(m.coefficients[j]) > 1e-4 { #expect(exact.coefficients[j] != 0, "λ = \(l): feature \(j)") }
        }
        print("L1 path \(n)×\(p): max |Δ| against exact fits \(worst)")
        // At λmax every coefficient is zero and the intercept is the log-odds of the prevalence.
        #expect(models[0].coefficients.allSatisfy { $0 == 0 })
        let prev = Double(y.filter { $0 }.count) / Double(n)
        #expect(abs(models[0].intercept - log(prev / (1 - prev))) < 1e-9)
    }
}
