import Foundation
import KiraLearn
import Testing

@Suite("Logistic regression against scikit-learn")
struct LogisticRegressionTests {
    /// Standardised breast-cancer features (scikit-learn's StandardScaler), so both sides
    /// solve the same problem; solvers run to tight tolerances on both sides.
    @Test("Coefficients equal LogisticRegression's within 1e-6 for every penalty",
          .enabled(if: Peer.sklearn, Peer.sklearnMissing),
          arguments: [("l2", 1.0, 0.0, 30), ("none", 1.0, 0.0, 6), ("l1", 0.5, 1.0, 30), ("elasticnet", 0.5, 0.5, 30)])
    func coefficients(penalty: String, C: Double, l1Ratio: Double, features: Int) throws {
        let ref = try Peer.run("""
        import numpy as np
        from sklearn.datasets import load_breast_cancer
        from sklearn.preprocessing import StandardScaler
        from sklearn.linear_model import LogisticRegression
        X, y = load_breast_cancer(return_X_y=True)
        y = 1 - y
        X = StandardScaler().fit_transform(X)[:, :IN['features']]
        pen = IN['penalty']
        if pen == 'l2':
            m = LogisticRegression(C=IN['C'], l1_ratio=0.0, solver='newton-cholesky', tol=1e-14, max_iter=1000)
        elif pen == 'none':
            m = LogisticRegression(C=np.inf, solver='newton-cholesky', tol=1e-14, max_iter=1000)
        else:
            m = LogisticRegression(C=IN['C'], l1_ratio=IN['l1'], solver='saga', tol=1e-13, max_iter=200000)
        m.fit(X, y)
        print(json.dumps(dict(x=X.tolist(), coef=m.coef_[0].tolist(), b=float(m.intercept_[0]), p=m.predict_proba(X)[:, 1].tolist())))
        """, input: ["penalty": penalty, "C": C, "l1": l1Ratio, "features": features]) as! [String: Any]
        let x = Matrix((ref["x"] as! [[Any]]).map { doubles($0) })
        let y = BreastCancer.data.y
        let model = try LogisticRegression(penalty: .init(rawValue: penalty)!, C: C, l1Ratio: l1Ratio).fit(x, y)
        let dc = maxAbsDiff(model.coefficients, doubles(ref["coef"]))
        let dp = maxAbsDiff(model.probabilities(x), doubles(ref["p"]))
        print("LR \(penalty) C=\(C): max |Δcoef| = \(dc), |Δintercept| = \(abs(model.intercept - double(ref["b"]))), max |Δp| = \(dp)")
        #expect(dc < 1e-6)
        #expect(abs(model.intercept - double(ref["b"])) < 1e-6)
        #expect(dp < 1e-6)
        if penalty == "l1" {
            // The same features are exactly zero.
            #expect(model.coefficients.map { $0 == 0 } == doubles(ref["coef"]).map { $0 == 0 })
        }
    }
}
