import Foundation
import KiraLearn
import KiraTestSupport
import Testing

/// Table 1 against the Python package tableone on the same rows: per-group means/SD,
/// medians/quartiles, counts/percentages, the test chosen and its p, within 1e-8.
@Suite("Table 1 against tableone")
struct BaselineTableTests {
    static let tableone = PythonPeer.has("tableone") && Peer.sklearn
    static let missing = Comment(rawValue: PythonPeer.missing("tableone"))

    /// The breast-cancer rows cut three ways: all 569 rows by diagnosis with some values
    /// missing (Welch, Kruskal–Wallis, χ² with Yates and with 2 df), the first 24 rows (small
    /// counts: Fisher's exact), and three groups (one-way ANOVA, Kruskal–Wallis, χ² 3×3).
    enum Cut: String, CaseIterable { case diagnosis, small, threeGroups }

    static func rows(_ cut: Cut) -> (group: [String?], variables: [BaselineTable.Variable]) {
        let t = BreastCancer.table!
        var idx = Array(0..<t.x.rows)
        if cut == .small { idx = Array(0..<24) }
        let radius = idx.map { t.x[$0, 0] }, texture = idx.map { t.x[$0, 1] }
        let area = idx.map { t.x[$0, 3] }, smooth = idx.map { t.x[$0, 4] }
        let group: [String?] = cut == .threeGroups
            ? texture.map { $0 < 17 ? "low texture" : $0 < 21 ? "mid texture" : "high texture" }
            : idx.map { t.y[$0] ? "malignant" : "benign" }
        // Every 17th radius and every 23rd area missing: summaries and tests leave them out.
        let variables: [BaselineTable.Variable] = [
            .init(name: "radius", kind: .normal, values: radius.enumerated().map { $0.offset % 17 == 5 ? nil : "\($0.element)" }),
            .init(name: "area", kind: .nonnormal, values: area.enumerated().map { $0.offset % 23 == 2 ? nil : "\($0.element)" }),
            .init(name: "smoothness", kind: .normal, values: smooth.map { "\($0)" }),
            .init(name: "large", kind: .categorical, values: radius.map { $0 > 17 ? "yes" : "no" }),
            .init(name: "texture_band", kind: .categorical, values: texture.map { $0 < 16 ? "1" : $0 < 20 ? "2" : "3" }),
        ]
        return (group, variables)
    }

    @Test("Summaries, tests and p equal tableone's within 1e-8", .enabled(if: tableone, missing), arguments: Cut.allCases)
    func againstTableone(cut: Cut) throws {
        let (group, variables) = Self.rows(cut)
        let table = try BaselineTable(groupBy: "g", group: group, variables: variables)
        var columns: [String: Any] = ["g": group.map { $0 as Any }]
        for v in variables {
            columns[v.name] = v.values.map { s -> Any in
                guard let s else { return NSNull() }
                return v.kind == .categorical ? s : Double(s)!
            }
        }
        let ref = try Peer.run("""
        import pandas as pd, numpy as np
        from tableone import TableOne
        df = pd.DataFrame({k: [np.nan if v is None else v for v in vals] for k, vals in IN['columns'].items()})
        df = df.astype({k: 'float64' for k in IN['continuous']})
        t = TableOne(df, columns=IN['order'], categorical=IN['categorical'], nonnormal=IN['nonnormal'], groupby='g',
                     pval=True, include_null=False)
        out = {}
        cd = t.cont_describe
        for v in IN['continuous']:
            out[v] = {s: [float(cd.loc[v, (s, g)]) for g in IN['groups']] for s in ['count', 'mean', 'std', 'median', 'q25', 'q75']}
        cat = t.cat_describe
        for v in IN['categorical']:
            out[v] = {lvl: dict(freq=[int(cat.loc[(v, lvl), ('freq', g)]) for g in IN['groups']],
                                percent=[float(cat.loc[(v, lvl), ('percent', g)]) for g in IN['groups']])
                      for lvl in sorted(set(x for x in IN['columns'][v] if x is not None))}
        h = t.htest_table
        out['tests'] = {v: dict(p=float(h.loc[v, 'P-Value']), test=str(h.loc[v, 'Test'])) for v in IN['order']}
        print(json.dumps(out))
        """, input: [
            "columns": columns, "order": variables.map(\.name), "groups": table.groups,
            "continuous": variables.filter { $0.kind != .categorical }.map(\.name),
            "categorical": variables.filter { $0.kind == .categorical }.map(\.name),
            "nonnormal": variables.filter { $0.kind == .nonnormal }.map(\.name),
        ]) as! [String: Any]
        let tests = ref["tests"] as! [String: [String: Any]]
        var worst = 0.0
        func check(_ a: Double?, _ b: Double, _ what: String) {
            let d = abs((a ?? .nan) - b)
            worst = max(worst, d.isNaN ? .infinity : d)
            #expect(d <= 1e-8 * max(1, abs(b)), "\(what): Kira \(a.map { "\($0)" } ?? "nil"), tableone \(b)")
        }
        for row in table.rows {
            let r = ref[row.name] as! [String: Any]
            if row.kind == .categorical {
                for (k, level) in row.byGroup[0].levels!.enumerated() {
                    let l = r[level.level] as! [String: Any]
                    for (g, s) in row.byGroup.enumerated() {
                        #expect(s.levels![k].count == (l["freq"] as! [Int])[g], "\(row.name)=\(level.level) count, group \(g)")
                        check(s.levels![k].percent, doubles(l["percent"])[g], "\(row.name)=\(level.level) %")
                    }
                }
            } else {
                for (g, s) in row.byGroup.enumerated() {
                    #expect(Double(s.n) == doubles((r["count"]))[g])
                    check(s.mean, doubles(r["mean"])[g], "\(row.name) mean")
                    check(s.sd, doubles(r["std"])[g], "\(row.name) sd")
                    check(s.median, doubles(r["median"])[g], "\(row.name) median")
                    check(s.q25, doubles(r["q25"])[g], "\(row.name) q25")
                    check(s.q75, doubles(r["q75"])[g], "\(row.name) q75")
                }
            }
            let t = tests[row.name]!
            check(row.p, double(t["p"]), "\(row.name) p (\(row.test ?? "none") vs \(t["test"]!))")
            #expect(Self.sameTest(row.test, t["test"] as! String), "\(row.name): \(row.test ?? "none") vs \(t["test"]!)")
        }
        print("Table 1 (\(cut)): tests \(table.rows.map { $0.test ?? "-" }), max |Δ| = \(worst)")
    }

    /// tableone's test names, matched on their first word.
    static func sameTest(_ kira: String?, _ peer: String) -> Bool {
        guard let kira else { return peer == "Not tested" }
        let key = String(kira.prefix(while: { $0 != " " && $0 != "'" && $0 != "-" }))
        return peer.hasPrefix(key)
    }

    @Test("Fisher's exact test equals the hypergeometric sum by hand on a published table")
    func fisherByHand() {
        // [[8, 2], [1, 5]] (scipy's documented example, p = 0.034965034965034975): the
        // hypergeometric probabilities C(10,a)·C(6,9−a)/C(16,9) of the tables no more likely
        // than a = 8, from exact binomials rather than lgamma.
        func choose(_ n: Int, _ k: Int) -> Double {
            guard k >= 0, k <= n else { return 0 }
            var r = 1.0
            for i in 0..<k { r = r * Double(n - i) / Double(i + 1) }
            return r
        }
        let probs = (0...9).map { a in choose(10, a) * choose(6, 9 - a) / choose(16, 9) }
        let observed = probs[8]
        let expected = probs.filter { $0 <= observed * (1 + 1e-12) }.reduce(0, +)
        let r = GroupTests.fisherExact([[8, 2], [1, 5]])
        #expect(abs(r.p - expected) < 1e-14)
        #expect(abs(r.p - 0.034965034965034975) < 1e-14)
        #expect(r.statistic == 20)
    }
}
