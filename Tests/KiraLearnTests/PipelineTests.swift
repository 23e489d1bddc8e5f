import Foundation
import KiraLearn
import Testing

@Suite("Selection steps, pipelines and cross-validation")
struct PipelineTests {
    @Test("z-score, t-test, Mann–Whitney, PCA equal scikit-learn/scipy on the breast-cancer table",
          .enabled(if: Peer.sklearn, Peer.sklearnMissing))
    func steps() throws {
        let d = BreastCancer.data
        let ref = try Peer.run("""
        import numpy as np
        from scipy import stats
        from sklearn.datasets import load_breast_cancer
        from sklearn.preprocessing import StandardScaler
        from sklearn.decomposition import PCA
        X, y = load_breast_cancer(return_X_y=True); y = 1 - y
        Z = StandardScaler().fit_transform(X)
        t = [float(stats.ttest_ind(X[y == 1, j], X[y == 0, j]).pvalue) for j in range(X.shape[1])]
        u = [float(stats.mannwhitneyu(X[y == 1, j], X[y == 0, j], method='asymptotic').pvalue) for j in range(X.shape[1])]
        P = PCA(n_components=3, svd_solver='full').fit_transform(Z)
        print(json.dumps(dict(z=Z.ravel().tolist(), t=t, u=u, pca=P.ravel().tolist())))
        """) as! [String: Any]
        let z = try StepSpec(kind: .zscore).fit(d, seed: 0)
        let zx = z.apply(d.x)
        let dz = maxAbsDiff(zx.values, doubles(ref["z"]))
        let t = (0..<30).map { Univariate.tTestP(d.x.column($0), d.y) }
        let u = (0..<30).map { Univariate.mannWhitneyP(d.x.column($0), d.y) }
        // p-values span 1e-90…1: compare relative error.
        let relT = zip(t, doubles(ref["t"])).map { abs($0 - $1) / max($1, 1e-300) }.max()!
        let relU = zip(u, doubles(ref["u"])).map { abs($0 - $1) / max($1, 1e-300) }.max()!
        let zd = LabeledData(ids: d.ids, featureNames: d.featureNames, x: zx, y: d.y)
        let pca = try StepSpec(kind: .pca, value: 3).fit(zd, seed: 0).apply(zx)
        let dp = maxAbsDiff(pca.values, doubles(ref["pca"]))
        print("steps: z-score max |Δ| \(dz); t-test max rel Δp \(relT); MWU max rel Δp \(relU); PCA max |Δ| \(dp)")
        #expect(dz < 1e-12)
        #expect(relT < 1e-8)
        #expect(relU < 1e-8)
        #expect(dp < 1e-9)
    }

    @Test("z-score + L2 logistic (C = 1): probabilities equal scikit-learn's pipeline within 1e-4",
          .enabled(if: Peer.sklearn, Peer.sklearnMissing))
    func logisticPipeline() throws {
        let d = BreastCancer.data
        let train = Array(stride(from: 0, to: d.count, by: 2)), test = Array(stride(from: 1, to: d.count, by: 2))
        let ref = try Peer.run("""
        import numpy as np
        from sklearn.datasets import load_breast_cancer
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler
        from sklearn.linear_model import LogisticRegression
        X, y = load_breast_cancer(return_X_y=True); y = 1 - y
        m = make_pipeline(StandardScaler(), LogisticRegression(C=1.0, tol=1e-10, max_iter=10000)).fit(X[0::2], y[0::2])
        print(json.dumps(dict(p=m.predict_proba(X[1::2])[:, 1].tolist())))
        """) as! [String: Any]
        let f = try PipelineSpec(steps: [StepSpec(kind: .zscore)], model: ModelSpec(kind: .lr, params: ["C": "1"]))
            .fit(d.subset(train))
        let p = try f.probabilities(d.subset(test).x)
        let diff = maxAbsDiff(p, doubles(ref["p"]))
        print("z-score + LR: max |Δp| on held-out rows = \(diff)")
        #expect(diff < 1e-4)
    }

    @Test("z-score + RBF SVM (C = 1, gamma = scale): decision values within 1e-6 of SVC, AUC within 0.005",
          .enabled(if: Peer.sklearn, Peer.sklearnMissing))
    func svmPipeline() throws {
        let d = BreastCancer.data
        let train = Array(stride(from: 0, to: d.count, by: 2)), test = Array(stride(from: 1, to: d.count, by: 2))
        let ref = try Peer.run("""
        import numpy as np
        from sklearn.datasets import load_breast_cancer
        from sklearn.preprocessing import StandardScaler
        from sklearn.svm import SVC
        from sklearn.metrics import roc_auc_score
        X, y = load_breast_cancer(return_X_y=True); y = 1 - y
        s = StandardScaler().fit(X[0::2])
        out = {}
        for k in ('rbf', 'linear'):
            m = SVC(C=1.0, kernel=k, gamma='scale', tol=1e-12).fit(s.transform(X[0::2]), y[0::2])
            out[k] = m.decision_function(s.transform(X[1::2])).tolist()
        mp = SVC(C=1.0, gamma='scale', probability=True, random_state=0).fit(s.transform(X[0::2]), y[0::2])
        out['auc'] = roc_auc_score(y[1::2], mp.predict_proba(s.transform(X[1::2]))[:, 1])
        print(json.dumps(out))
        """) as! [String: Any]
        let z = try StepSpec(kind: .zscore).fit(d.subset(train), seed: 0)
        let xtr = z.apply(d.subset(train).x), xte = z.apply(d.subset(test).x)
        for k in [SVMTrainer.Kernel.rbf, .linear] {
            let m = try SVMTrainer(kernel: k, C: 1, tolerance: 1e-12).fit(xtr, d.subset(train).y, seed: 0)
            let diff = maxAbsDiff(m.decision(xte), doubles(ref[k.rawValue]))
            print("SVM \(k): max |Δ decision| = \(diff)")
            #expect(diff < 1e-6)
        }
        let f = try PipelineSpec(steps: [StepSpec(kind: .zscore)], model: ModelSpec(kind: .svm, params: ["C": "1"])).fit(d.subset(train))
        let auc = try DeLongAUC(scores: try f.probabilities(d.subset(test).x), labels: d.subset(test).y).auc
        print("SVM pipeline AUC \(auc) vs scikit-learn \(double(ref["auc"]))")
        #expect(abs(auc - double(ref["auc"])) < 0.005)
    }

    /// Pure noise with random labels: every honest estimate of the AUC is 0.5 up to sampling
    /// error. Selecting on all rows before splitting (done by hand here, which the CLI cannot
    /// do) inflates it; the pipeline's own CV does not.
    @Test("Leakage: CV AUC of selection + model on pure noise is 0.5; selecting before splitting is not")
    func leakage() throws {
        let n = 120, p = 400
        let steps = try ["zscore", "ttest:0.05", "corr:0.9", "lasso"].map(StepSpec.parse)
        let spec = PipelineSpec(steps: steps, model: ModelSpec(kind: .lr, params: ["C": "1"]))
        var honest: [Double] = [], leaky: [Double] = []
        // Eight independent noise tables: the mean AUC has SD ≈ 0.053/√8 ≈ 0.019 under the null.
        for seed in 0..<8 {
            var rng = SeededGenerator(seed: 2024 + UInt64(seed))
            var x = Matrix(rows: n, cols: p)
            for i in 0..<n { for j in 0..<p { x[i, j] = rng.uniform() * 2 - 1 } }
            var labels = (0..<n).map { $0 % 2 == 0 }
            rng.shuffle(&labels)
            let d = LabeledData(ids: (0..<n).map { "n\($0)" }, featureNames: (0..<p).map { "f\($0)" }, x: x, y: labels)
            honest.append(try CrossValidation(folds: 5, repeats: 1, seed: UInt64(seed)).run(spec, on: d).aucMean)
            // The leaky way: select on all rows, then cross-validate only the model.
            let pre = try PipelineSpec(steps: steps, model: ModelSpec(kind: .lr)).fit(d)
            let leaked = LabeledData(ids: d.ids, featureNames: pre.selectedFeatures, x: pre.transform(d.x), y: d.y)
            leaky.append(try CrossValidation(folds: 5, repeats: 1, seed: UInt64(seed))
                .run(PipelineSpec(steps: [], model: ModelSpec(kind: .lr)), on: leaked).aucMean)
        }
        let h = honest.reduce(0, +) / 8, l = leaky.reduce(0, +) / 8
        print("leakage: honest CV AUC mean \(h) \(honest); selection outside the folds \(l)")
        #expect(abs(h - 0.5) < 0.06)
        #expect(l > 0.65)
    }

    @Test("LASSO step keeps the informative features and CV is reproducible from the seed")
    func lassoAndSeeds() throws {
        var rng = SeededGenerator(seed: 5)
        let n = 200, p = 50
        var x = Matrix(rows: n, cols: p)
        for i in 0..<n { for j in 0..<p { x[i, j] = rng.uniform() * 2 - 1 } }
        // Only features 0 and 1 carry signal.
        let y = (0..<n).map { i in 3 * x[i, 0] - 2 * x[i, 1] + 0.5 * (rng.uniform() - 0.5) > 0 }
        let d = LabeledData(ids: (0..<n).map { "c\($0)" }, featureNames: (0..<p).map { "f\($0)" }, x: x, y: y)
        let f = try PipelineSpec(steps: [StepSpec(kind: .zscore), try StepSpec.parse("lasso:1se")], model: ModelSpec(kind: .lr)).fit(d)
        #expect(f.selectedFeatures.starts(with: ["f0", "f1"]))
        #expect(f.selectedFeatures.count <= 10)
        let spec = PipelineSpec(steps: [StepSpec(kind: .zscore), try StepSpec.parse("lasso")], model: ModelSpec(kind: .lr))
        let a = try CrossValidation(folds: 5, repeats: 2, seed: 9).run(spec, on: d)
        let b = try CrossValidation(folds: 5, repeats: 2, seed: 9).run(spec, on: d)
        #expect(a.probabilities == b.probabilities)
        #expect(a.aucMean > 0.9)
    }

    @Test("Stratified folds: each fold's class counts differ by at most one")
    func folds() {
        let y = (0..<53).map { $0 % 3 == 0 }
        let f = Folds.stratified(labels: y, k: 5, seed: 3)
        #expect(Set(f.flatMap { $0 }).count == 53)
        let pos = f.map { $0.filter { y[$0] }.count }
        #expect(pos.max()! - pos.min()! <= 1)
    }

    @Test("Bad input: one class, too few cases, NaN without imputation")
    func badInput() throws {
        let x = Matrix(rows: 6, cols: 2, values: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12])
        let one = LabeledData(ids: (0..<6).map { "\($0)" }, featureNames: ["a", "b"], x: x, y: [Bool](repeating: true, count: 6))
        #expect(throws: Error.self) { try PipelineSpec(steps: [], model: ModelSpec(kind: .lr)).fit(one) }
        let two = LabeledData(ids: one.ids, featureNames: ["a", "b"], x: x, y: [true, false, true, false, true, false])
        #expect(throws: Error.self) { try CrossValidation(folds: 5).run(PipelineSpec(steps: [], model: ModelSpec(kind: .lr)), on: two) }
        var nx = x
        nx[0, 1] = .nan
        let nan = LabeledData(ids: one.ids, featureNames: ["a", "b"], x: nx, y: two.y)
        #expect(throws: Error.self) { try PipelineSpec(steps: [StepSpec(kind: .zscore)], model: ModelSpec(kind: .lr)).fit(nan) }
        let f = try PipelineSpec(steps: [try StepSpec.parse("impute"), StepSpec(kind: .zscore)], model: ModelSpec(kind: .lr)).fit(nan)
        #expect(f.steps[0].fill![1] == 8)
        #expect(throws: Error.self) { try StepSpec.parse("ttest") }
        #expect(throws: Error.self) { try StepSpec.parse("corr:2") }
    }
}

@Suite("Grid search")
struct GridSearchTests {
    @Test("A grid over C and gamma is searched by inner CV; the chosen values are recorded")
    func grid() throws {
        var rng = SeededGenerator(seed: 8)
        let n = 120
        var x = Matrix(rows: n, cols: 4)
        for i in 0..<n { for j in 0..<4 { x[i, j] = rng.uniform() * 2 - 1 } }
        let y = (0..<n).map { x[$0, 0] * x[$0, 0] + x[$0, 1] * x[$0, 1] < 0.5 }
        let d = LabeledData(ids: (0..<n).map { "g\($0)" }, featureNames: ["a", "b", "c", "d"], x: x, y: y)
        let spec = PipelineSpec(steps: [StepSpec(kind: .zscore)], model: ModelSpec(kind: .svm),
                                grid: ["C": ["0.01", "1", "100"], "gamma": ["0.001", "0.5"]], seed: 1)
        let f = try spec.fit(d)
        #expect(f.gridSearch?.count == 6)
        // A circle needs a non-trivial RBF width: the tiny gamma can only draw near-linear boundaries.
        #expect(f.params["gamma"] == "0.5")
        let best = f.gridSearch!.map(\.auc).max()!
        #expect(f.gridSearch!.first { $0.params == f.params }!.auc == best)
    }
}
