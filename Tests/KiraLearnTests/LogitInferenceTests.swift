import Foundation
import KiraLearn
import Testing

/// The clinical model's odds ratios against statsmodels' Logit on the same rows.
@Suite("Logit inference against statsmodels")
struct LogitInferenceTests {
    static let statsmodels = Peer.available("statsmodels", "sklearn")
    static let missing = Comment(rawValue: "needs python3 with statsmodels and scikit-learn (make peers); not importable here")

    /// Raw (unscaled) breast-cancer columns, as a clinical table would hold them: radius,
    /// texture, and a 0/1 indicator; on all rows and on the first 120.
    @Test("Coefficients, SE, z, p, ORs and their 95% CI equal Logit's within 1e-6",
          .enabled(if: statsmodels, missing), arguments: [569, 120])
    func againstStatsmodels(rows: Int) throws {
        let t = BreastCancer.table!
        let radius = (0..<rows).map { t.x[$0, 0] }, texture = (0..<rows).map { t.x[$0, 1] }
        let concave = (0..<rows).map { t.x[$0, 7] > 0.05 ? 1.0 : 0.0 }
        let y = Array(t.y[0..<rows])
        let columns = [radius, texture, concave], names = ["radius", "texture", "concave_points_high"]
        let (uni, multi) = try LogitInference.univariateAndMultivariate(columns: columns, names: names, y: y)
        let ref = try Peer.run("""
        import numpy as np, statsmodels.api as sm
        X = np.array(IN['columns']).T
        y = np.array(IN['y'], dtype=float)
        def fit(cols):
            r = sm.Logit(y, sm.add_constant(X[:, cols])).fit(method='newton', tol=1e-14, maxiter=200, disp=0)
            ci = np.exp(r.conf_int())
            return dict(b=r.params.tolist(), se=r.bse.tolist(), z=r.tvalues.tolist(), p=r.pvalues.tolist(),
                        lo=ci[:, 0].tolist(), hi=ci[:, 1].tolist(), ll=float(r.llf))
        print(json.dumps(dict(multi=fit([0, 1, 2]), uni=[fit([j]) for j in range(3)])))
        """, input: ["columns": columns, "y": y.map { $0 ? 1 : 0 }]) as! [String: Any]
        func rel(_ a: Double, _ b: Double) -> Double { abs(a - b) / max(1, abs(b)) }
        var worst = 0.0
        func compare(_ terms: [LogitInference.Term], _ r: [String: Any], offset: Int) {
            for (k, term) in terms.enumerated() {
                let j = k + offset
                let diffs = [
                    rel(term.coefficient, doubles(r["b"])[j]), rel(term.standardError, doubles(r["se"])[j]),
                    rel(term.z, doubles(r["z"])[j]), abs(term.p - doubles(r["p"])[j]),
                    rel(term.oddsRatio, exp(doubles(r["b"])[j])),
                    rel(term.oddsRatioCI95[0], doubles(r["lo"])[j]), rel(term.oddsRatioCI95[1], doubles(r["hi"])[j]),
                ]
                worst = max(worst, diffs.max()!)
                #expect(diffs.max()! < 1e-6, "\(term.name): \(diffs)")
            }
        }
        let m = ref["multi"] as! [String: Any]
        compare(multi.terms, m, offset: 0)
        #expect(rel(multi.logLikelihood, double(m["ll"])) < 1e-9)
        for (j, u) in uni.enumerated() { compare([u], (ref["uni"] as! [[String: Any]])[j], offset: 1) }
        print("Logit (\(rows) rows): max relative |Δ| = \(worst); ORs \(multi.terms.dropFirst().map { $0.oddsRatio })")
    }

    @Test("Perfectly separated outcome is refused with a message, not a huge odds ratio")
    func separation() {
        let x = (0..<20).map(Double.init)
        #expect(throws: (any Error).self) {
            try LogitInference(columns: [x], names: ["x"], y: x.map { $0 >= 10 })
        }
    }
}
