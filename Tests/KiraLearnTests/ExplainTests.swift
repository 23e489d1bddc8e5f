import Foundation
import KiraLearn
import Testing

@Suite("SHAP and nomograms")
struct ExplainTests {
    @Test("TreeSHAP equals the shap package on scikit-learn's gradient-boosted trees",
          .enabled(if: Peer.shap, Peer.shapMissing))
    func treeShap() throws {
        let ref = try Peer.run("""
        import numpy as np, shap
        from sklearn.datasets import load_breast_cancer
        from sklearn.ensemble import GradientBoostingClassifier
        X, y = load_breast_cancer(return_X_y=True); y = 1 - y
        m = GradientBoostingClassifier(n_estimators=20, max_depth=3, random_state=0).fit(X, y)
        trees = []
        for est in m.estimators_[:, 0]:
            t = est.tree_
            trees.append(dict(f=t.feature.tolist(), th=t.threshold.tolist(), l=t.children_left.tolist(), r=t.children_right.tolist(),
                              v=t.value[:, 0, 0].tolist(), c=t.weighted_n_node_samples.tolist()))
        ex = shap.TreeExplainer(m)
        sv = ex.shap_values(X[:40])
        print(json.dumps(dict(trees=trees, base=float(m._raw_predict_init(X[:1])[0, 0]), lr=m.learning_rate,
            shap=np.asarray(sv).ravel().tolist(), expected=float(np.ravel(ex.expected_value)[0]), x=X[:40].tolist())))
        """) as! [String: Any]
        let trees = (ref["trees"] as! [[String: Any]]).map { t in
            Tree(feature: doubles(t["f"]).map { Int($0) }, threshold: doubles(t["th"]), left: doubles(t["l"]).map { Int($0) },
                 right: doubles(t["r"]).map { Int($0) }, value: doubles(t["v"]), cover: doubles(t["c"]))
        }
        let e = TreeEnsemble(combination: .logit, trees: trees, weights: [Double](repeating: double(ref["lr"]), count: trees.count),
                             base: double(ref["base"]))
        let x = Matrix((ref["x"] as! [[Any]]).map { doubles($0) })
        let s = ShapExplanation.trees(e, x: x, features: (0..<30).map { "f\($0)" })
        let diff = maxAbsDiff(s.values.flatMap { $0 }, doubles(ref["shap"]))
        print("TreeSHAP: max |Δφ| vs shap = \(diff); base \(s.baseValue) vs \(double(ref["expected"]))")
        #expect(diff < 1e-9)
        #expect(abs(s.baseValue - double(ref["expected"])) < 1e-9)
        // Local accuracy: base + Σφ = the model's log-odds.
        for i in 0..<x.rows {
            let total: Double = s.baseValue + s.values[i].reduce(0, +)
            #expect(abs(total - e.raw(x.row(i))) < 1e-9)
        }
    }

    @Test("Linear SHAP: φ = w (x − mean), sums to the log-odds; nomogram points reproduce it")
    func linear() throws {
        let m = LogisticModel(coefficients: [2, -1, 0.5], intercept: 0.3)
        let x = Matrix([[1, 2, 3], [0, -1, 4], [2, 0, -2]])
        let mean = [1.0, 1.0 / 3, 5.0 / 3]
        let s = ShapExplanation.linear(m, x: x, background: mean, features: ["a", "b", "c"])
        let lp = m.decision(x)
        for i in 0..<3 {
            let total: Double = s.baseValue + s.values[i].reduce(0, +)
            #expect(abs(total - lp[i]) < 1e-14)
        }
        let expected: [Double] = [0, -(2 - 1.0 / 3), 0.5 * (3 - 5.0 / 3)]
        #expect(maxAbsDiff(s.values[0], expected) < 1e-15)
        let n = try Nomogram(m, features: ["a", "b", "c"], min: [0, -1, -2], max: [2, 2, 4], x: x)
        // Widest span: a, 2 × 2 = 4 log-odds = 100 points.
        #expect(n.axes[0].pointsPerUnit == 50)
        for i in 0..<3 {
            let fromPoints: Double = n.intercept + n.pointsToLogOdds * n.casePoints[i]
            #expect(abs(fromPoints - lp[i]) < 1e-12)
            #expect(abs(n.caseProbability[i] - 1 / (1 + exp(-lp[i]))) < 1e-14)
        }
        // By hand: spans 4, 3, 3 log-odds → 100, 75, 75 points (0.04 log-odds per point), 250 in
        // all; zero points = every contribution at its low end: 0.3 + 2·0 − 1·2 + 0.5·(−2) = −2.7.
        #expect(abs(n.totalPointsMax - 250) < 1e-12)
        #expect(abs(n.pointsToLogOdds - 0.04) < 1e-15 && abs(n.intercept + 2.7) < 1e-14)
        #expect(n.probabilityAxis.count == 26 && n.probabilityAxis.first!.points == 0 && n.probabilityAxis.last!.points == 250)
        #expect(abs(n.probabilityAxis[0].probability - 1 / (1 + exp(2.7))) < 1e-15)
        #expect(abs(n.probabilityAxis[25].probability - 1 / (1 + exp(-7.3))) < 1e-15)
        let half = n.pointsForProbability.first { $0.probability == 0.5 }!
        #expect(abs(half.points - 67.5) < 1e-12)
        // σ(−2.7) ≈ 0.063, σ(7.3) ≈ 0.9993: the ticks 0.1 … 0.99 are reachable, 0.01 and 0.05 are not.
        #expect(n.pointsForProbability.map(\.probability) == [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99])
        for tick in n.pointsForProbability { #expect(abs(n.probability(totalPoints: tick.points) - tick.probability) < 1e-14) }
    }
}
