import Foundation
import KiraCore
import KiraLearn
import Testing

@Suite("KernelSHAP against shap's KernelExplainer")
struct KernelSHAPTests {
    /// The first `m` breast-cancer features, z-scored, and a Kira model on them.
    static func problem(m: Int) throws -> (x: Matrix, y: [Bool]) {
        let d = BreastCancer.data
        var x = d.x.selecting(columns: Array(0..<m))
        for j in 0..<m {
            let c = x.column(j)
            let mean = c.reduce(0, +) / Double(c.count)
            let sd = (c.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(c.count)).squareRoot()
            for i in 0..<x.rows { x[i, j] = (x[i, j] - mean) / sd }
        }
        return (x, d.y)
    }

    /// shap evaluates the same model, rebuilt in numpy from Kira's fitted parameters; with
    /// nsamples = 2^M every coalition is enumerated and l1_reg = 0 leaves the fit unregularised.
    static let peer = """
    import numpy as np, shap
    def f(X):
        X = np.atleast_2d(X)
        if IN['kind'] == 'svm':
            sv = np.array(IN['sv']); d2 = ((X[:, None, :] - sv[None, :, :]) ** 2).sum(-1)
            dec = np.exp(-IN['gamma'] * d2) @ np.array(IN['coef']) - IN['rho']
            return 1 / (1 + np.exp(IN['A'] * dec + IN['B']))
        tx = np.array(IN['tx']); ty = np.array(IN['ty'], dtype=float)
        d2 = ((X[:, None, :] - tx[None, :, :]) ** 2).sum(-1)
        idx = np.argsort(d2, axis=1, kind='stable')[:, :IN['k']]
        return ty[idx].mean(axis=1)
    bg = np.array(IN['bg']); x = np.array(IN['x']); M = x.shape[1]
    ex = shap.KernelExplainer(f, bg)
    sv = ex.shap_values(x, nsamples=2 ** M, l1_reg=0, silent=True)
    print(json.dumps(dict(phi=np.asarray(sv).ravel().tolist(), base=float(ex.expected_value), fx=f(x).tolist())))
    """

    @Test("Exact enumeration equals shap (same background, all coalitions) within 1e-8; Σφ = f(x) − E f",
          .enabled(if: Peer.shap, Peer.shapMissing), arguments: [("svm", 8), ("svm", 12), ("knn", 6)])
    func againstShap(kind: String, m: Int) throws {
        let (x, y) = try Self.problem(m: m)
        let train = Array(stride(from: 0, to: x.rows, by: 2)), rest = Array(stride(from: 1, to: x.rows, by: 2))
        let xt = x.selecting(rows: train), yt = train.map { y[$0] }
        let bg = x.selecting(rows: Array(rest.prefix(10))), cases = x.selecting(rows: Array(rest[20..<25]))
        var input: [String: Any] = ["kind": kind, "bg": (0..<bg.rows).map { Array(bg.row($0)) },
                                    "x": (0..<cases.rows).map { Array(cases.row($0)) }]
        let f: (Matrix) -> [Double]
        if kind == "svm" {
            let s = try SVMTrainer(kernel: .rbf, C: 1).fit(xt, yt, seed: 0)
            f = s.probabilities
            input.merge(["sv": (0..<s.supportVectors.rows).map { Array(s.supportVectors.row($0)) }, "coef": s.coefficients,
                         "rho": s.rho, "gamma": s.gamma, "A": s.plattA!, "B": s.plattB!]) { $1 }
        } else {
            let k = try KNNModel(k: 15, x: xt, y: yt)
            f = k.probabilities
            input.merge(["tx": (0..<xt.rows).map { Array(xt.row($0)) }, "ty": yt.map { $0 ? 1 : 0 }, "k": 15]) { $1 }
        }
        let ref = try Peer.run(Self.peer, input: input) as! [String: Any]
        // The peer's model is the same function.
        #expect(maxAbsDiff(f(cases), doubles(ref["fx"])) < 1e-12)
        let e = try KernelSHAP().explain(f, x: cases, background: bg, features: (0..<m).map { "f\($0)" }, output: "probability")
        let diff = maxAbsDiff(e.values.flatMap { $0 }, doubles(ref["phi"]))
        print("KernelSHAP \(kind) M=\(m): max |Δφ| vs shap = \(diff), |Δbase| = \(abs(e.baseValue - double(ref["base"])))")
        #expect(diff < 1e-8)
        #expect(abs(e.baseValue - double(ref["base"])) < 1e-12)
        let fx = f(cases)
        for i in 0..<cases.rows {
            #expect(abs(e.values[i].reduce(0, +) - (fx[i] - e.baseValue)) < 1e-12)
        }
    }

    @Test("Sampled coalitions (M = 14): seeded, Σφ exact, close to the all-coalition values")
    func sampled() throws {
        // A smooth synthetic function with interactions, so exact Shapley values differ from any linear shortcut.
        let m = 14
        let f: (Matrix) -> [Double] = { x in
            (0..<x.rows).map { i in
                var s = 0.0
                for j in 0..<m { s += Double(j % 5 - 2) * 0.3 * x[i, j] }
                return 1 / (1 + exp(-(s + x[i, 0] * x[i, 1] - 0.5 * x[i, 2] * x[i, 13])))
            }
        }
        var rng = SeededGenerator(seed: 4)
        let bg = Matrix(rows: 8, cols: m, values: (0..<(8 * m)).map { _ in rng.uniform() * 2 - 1 })
        let x = Matrix(rows: 3, cols: m, values: (0..<(3 * m)).map { _ in rng.uniform() * 2 - 1 })
        let names = (0..<m).map { "f\($0)" }
        let a = try KernelSHAP(seed: 1).explain(f, x: x, background: bg, features: names, output: "probability")
        let b = try KernelSHAP(seed: 1).explain(f, x: x, background: bg, features: names, output: "probability")
        let exact = try KernelSHAP(exactLimit: 14).explain(f, x: x, background: bg, features: names, output: "probability")
        #expect(a.values == b.values)
        #expect(a.method.contains("sampled") && exact.method.contains("all"))
        let fx = f(x)
        var worst = 0.0
        for i in 0..<x.rows {
            #expect(abs(a.values[i].reduce(0, +) - (fx[i] - a.baseValue)) < 1e-12)
            worst = max(worst, maxAbsDiff(a.values[i], exact.values[i]))
        }
        let scale = exact.values.flatMap { $0 }.map(abs).max()!
        print("KernelSHAP sampled (2076 of 16382 coalitions): max |Δφ| vs exact \(worst), largest |φ| \(scale)")
        #expect(worst < 0.02 * scale)
    }
}
