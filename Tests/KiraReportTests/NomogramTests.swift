import Foundation
import KiraLearn
import KiraReport
import KiraTestSupport
import Testing

/// The clinical model's nomogram: points read off its scales, added and turned into a
/// probability, give the model's own prediction. The reference is statsmodels' Logit fitted
/// and predicting on the same rows (scikit-learn's breast-cancer table: radius, texture and a
/// 0/1 indicator, as a clinical table would hold them).
@Suite("Nomogram of the clinical model")
struct NomogramTests {
    static let peers = PythonPeer.has("statsmodels") && PythonPeer.has("sklearn")
    static let missing = Comment(rawValue: PythonPeer.missing("statsmodels"))

    @Test("Probability from total points equals statsmodels' Logit prediction within 1e-9 on every row", .enabled(if: peers, missing))
    func againstStatsmodels() throws {
        let out = try PythonPeer.run("""
        import json, numpy as np, statsmodels.api as sm
        from sklearn.datasets import load_breast_cancer
        d = load_breast_cancer()
        X = np.column_stack([d.data[:, 0], d.data[:, 1], (d.data[:, 7] > 0.05).astype(float)])
        y = (d.target == 0).astype(float)
        r = sm.Logit(y, sm.add_constant(X)).fit(method='newton', tol=1e-14, maxiter=200, disp=0)
        print(json.dumps(dict(columns=X.T.tolist(), y=y.tolist(), p=r.predict(sm.add_constant(X)).tolist())))
        """)
        let ref = try JSONSerialization.jsonObject(with: Data(out.utf8)) as! [String: Any]
        let columns = (ref["columns"] as! [[NSNumber]]).map { $0.map(\.doubleValue) }
        let y = (ref["y"] as! [NSNumber]).map { $0.doubleValue == 1 }
        let expected = (ref["p"] as! [NSNumber]).map(\.doubleValue)
        let logit = try LogitInference(columns: columns, names: ["radius", "texture", "concave_points_high"], y: y)
        let chart = try NomogramChart(logit: logit, columns: columns, outcome: "malignant")
        let nomogram = chart.nomogram

        // The variable with the widest effect spans exactly 0–100 points; the others start at 0
        // and stay within 100; the indicator is drawn as no/yes.
        let spans = columns.indices.map { k in abs(chart.points(k, columns[k].max()!) - chart.points(k, columns[k].min()!)) }
        #expect(abs(spans.max()! - 100) < 1e-12)
        #expect(chart.binary == [false, false, true])
        var worst = 0.0
        for i in expected.indices {
            // Points read off each drawn scale, added, and turned into a probability.
            let points = columns.indices.map { chart.points($0, columns[$0][i]) }
            #expect(points.allSatisfy { $0 >= -1e-9 && $0 <= 100 + 1e-9 })
            let total = points.reduce(0, +)
            #expect(abs(total - nomogram.casePoints[i]) < 1e-9 && total <= nomogram.totalPointsMax + 1e-9)
            worst = max(worst, abs(nomogram.probability(totalPoints: total) - expected[i]))
        }
        #expect(worst < 1e-9, "max |Δp| \(worst)")
        // The probability scale's marks are where the total points give that probability.
        for q in nomogram.pointsForProbability {
            #expect(abs(nomogram.probability(totalPoints: q.points) - q.probability) < 1e-12)
        }
        let svg = chart.svg()
        #expect(svg.contains("data-row=\"radius\"") && svg.contains("data-row=\"total\"") && svg.contains(">yes</text>"))
        print("nomogram vs statsmodels Logit predict, 569 rows: max |Δp| \(worst); largest total \(nomogram.totalPointsMax)")
    }
}
