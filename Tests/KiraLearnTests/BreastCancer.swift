import Foundation
import KiraLearn

/// scikit-learn's breast-cancer Wisconsin table (569 × 30, real data), read from the copy the
/// scikit-learn package ships, once per test process. Label: malignant = positive.
enum BreastCancer {
    struct Table: @unchecked Sendable { var x: Matrix; var y: [Bool]; var names: [String] }

    static let table: Table? = {
        guard Peer.sklearn, let out = try? Peer.run("""
        from sklearn.datasets import load_breast_cancer
        d = load_breast_cancer()
        print(json.dumps(dict(x=d.data.tolist(), y=[int(v == 0) for v in d.target], names=[n.replace(' ', '_') for n in d.feature_names])))
        """) as? [String: Any] else { return nil }
        let rows = (out["x"] as! [[Any]]).map { doubles($0) }
        return Table(x: Matrix(rows), y: doubles(out["y"]).map { $0 == 1 }, names: out["names"] as! [String])
    }()

    static var data: LabeledData {
        let t = table!
        return LabeledData(ids: (0..<t.x.rows).map { "case\($0)" }, featureNames: t.names, x: t.x, y: t.y)
    }
}
