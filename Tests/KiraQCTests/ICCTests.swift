import Foundation
import KiraCore
import KiraQC
import KiraTestSupport
import Testing

/// pingouin's `intraclass_corr` on a long-format CSV, unrounded (its CI95 column is rounded to
/// 2 decimals by default), as JSON rows {Type, ICC, F, df1, df2, pval, CI95}.
let pingouinICCScript = """
    import sys, json, pandas as pd, pingouin as pg
    pg.options['round.column.CI95'] = None
    d = pd.read_csv(sys.argv[1], dtype={'target': str, 'rater': str})
    r = pg.intraclass_corr(data=d, targets='target', raters='rater', ratings='rating', nan_policy='omit')
    print(json.dumps([{'ICC': float(x.ICC), 'F': float(x.F), 'df1': float(x.df1), 'df2': float(x.df2),
                       'pval': float(x.pval), 'CI95': [float(c) for c in x.CI95]} for x in r.itertuples()]))
    """

@Suite("Intraclass correlation")
struct ICCTests {
    /// Shrout & Fleiss (1979), Table 2: 6 targets rated by 4 judges.
    static let shroutFleiss: [Double] = [9, 2, 5, 8, 6, 1, 3, 2, 8, 4, 6, 8, 7, 1, 2, 6, 10, 5, 6, 9, 6, 2, 4, 7]

    @Test("Shrout & Fleiss (1979) example reproduces the published ICCs (.17 .29 .71 .44 .62 .91)")
    func shroutFleissPublished() throws {
        let r = try ICC.compute(Self.shroutFleiss, targets: 6, raters: 4)
        let published: [(ICCForm, Double)] = [(.icc1, 0.17), (.icc2, 0.29), (.icc3, 0.71), (.icc1k, 0.44), (.icc2k, 0.62), (.icc3k, 0.91)]
        for (form, value) in published {
            // Published to two decimals: the exact value rounds to it.
            #expect(abs(r[form].icc - value) <= 0.005, "\(form.rawValue) = \(r[form].icc), published \(value)")
        }
        // Analytic: ICC3 = (MSB − MSE)/(MSB + 3·MSE) with MSB = 11.24167, MSE = 1.019444 (Shrout & Fleiss Table 3).
        #expect(abs(r[.icc3].icc - (11.241_666_666_666_667 - 1.019_444_444_444_444) / (11.241_666_666_666_667 + 3 * 1.019_444_444_444_444)) < 1e-12)
        #expect(r[.icc1].df1 == 5 && r[.icc1].df2 == 18 && r[.icc3].df2 == 15)
    }

    static func longCSV(_ values: [Double?], n: Int, k: Int, omitRows: Set<Int> = []) -> String {
        var lines = ["target,rater,rating"]
        for i in 0..<n {
            for j in 0..<k where !omitRows.contains(i * k + j) {
                lines.append("t\(i),r\(j),\(values[i * k + j].map { "\($0)" } ?? "NaN")")
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    struct Design: Sendable, CustomTestStringConvertible {
        var n: Int, k: Int, seed: UInt64, missing: Int
        var testDescription: String { "\(n) targets × \(k) raters, \(missing) missing, seed \(seed)" }
    }

    /// Ratings = target effect + rater bias + noise, so every ICC form is away from 0 and 1.
    static func ratings(_ d: Design) -> [Double] {
        var rng = SplitMix64(seed: d.seed)
        let targetSD = Double.random(in: 0.5...3, using: &rng)
        let bias = (0..<d.k).map { _ in Double.random(in: -1...1, using: &rng) }
        var out: [Double] = []
        for _ in 0..<d.n {
            let t = Double.random(in: -1...1, using: &rng) * targetSD * 1.7 + 10
            for j in 0..<d.k { out.append(t + bias[j] + Double.random(in: -1...1, using: &rng)) }
        }
        return out
    }

    static let designs: [Design] = [
        Design(n: 6, k: 2, seed: 11, missing: 0), Design(n: 15, k: 3, seed: 12, missing: 0),
        Design(n: 40, k: 4, seed: 13, missing: 0), Design(n: 200, k: 3, seed: 14, missing: 0),
        Design(n: 9, k: 6, seed: 15, missing: 0), Design(n: 3, k: 5, seed: 16, missing: 0),
        Design(n: 30, k: 3, seed: 21, missing: 5), Design(n: 25, k: 4, seed: 22, missing: 9),
    ]

    static func close(_ a: Double, _ b: Double, _ tol: Double = 1e-8) -> Bool {
        a == b || abs(a - b) <= tol * max(1, abs(b))
    }

    @Test("all six forms equal pingouin.intraclass_corr (ICC, F, df, p, CI95 within 1e-8)",
          .enabled(if: PythonPeer.has("pingouin"), Comment(rawValue: PythonPeer.missing("pingouin"))), arguments: designs)
    func pingouinPeer(_ d: Design) throws {
        var values: [Double?] = Self.ratings(d)
        // Missing ratings: half as NaN cells, half as absent rows; both must drop the target.
        var rng = SplitMix64(seed: d.seed &* 31)
        var omit: Set<Int> = []
        while omit.count + values.filter({ $0 == nil }).count < d.missing {
            let i = Int.random(in: 0..<values.count, using: &rng)
            if omit.contains(i) || values[i] == nil { continue }
            if Bool.random(using: &rng) { values[i] = nil } else { omit.insert(i) }
        }
        let dir = try TestPaths.temporaryDirectory("kira-icc")
        defer { try? FileManager.default.removeItem(at: dir) }
        let csv = dir.appendingPathComponent("ratings.csv")
        try Self.longCSV(values, n: d.n, k: d.k, omitRows: omit).write(to: csv, atomically: true, encoding: .utf8)
        let ratings = try RatingsTable(CSVTable(contentsOf: csv), targets: "target", raters: "rater", ratings: "rating")
        let dropped = Set((0..<values.count).filter { values[$0] == nil || omit.contains($0) }.map { $0 / d.k }).count
        #expect(ratings.droppedTargets.count == dropped)
        let kira = try ratings.icc()
        let out = try PythonPeer.run(pingouinICCScript, arguments: [csv.path])
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(out.utf8)) as? [[String: Any]])
        #expect(rows.count == 6)
        var worst = 0.0
        for (e, row) in zip(kira.estimates, rows) {
            let ci = row["CI95"] as! [Double]
            let pairs: [(String, Double, Double)] = [
                ("ICC", e.icc, row["ICC"] as! Double), ("F", e.f, row["F"] as! Double),
                ("df1", e.df1, row["df1"] as! Double), ("df2", e.df2, row["df2"] as! Double),
                ("p", e.p, row["pval"] as! Double),
                ("CI low", e.ci95?.lowerBound ?? .nan, ci[0]), ("CI high", e.ci95?.upperBound ?? .nan, ci[1]),
            ]
            for (name, mine, theirs) in pairs {
                #expect(Self.close(mine, theirs), "\(e.form.rawValue) \(name): kira \(mine), pingouin \(theirs)")
                worst = max(worst, abs(mine - theirs) / max(1, abs(theirs)))
            }
        }
        print("ICC vs pingouin, \(d.testDescription): max relative difference \(worst)")
    }

    @Test("F distribution tails and quantiles equal scipy.stats.f (1e-10 relative, df up to 10⁶)",
          .enabled(if: PythonPeer.has("scipy"), Comment(rawValue: PythonPeer.missing("scipy"))))
    func fDistribution() throws {
        let cases: [(Double, Double, Double)] = [(0.5, 1, 1), (3.2, 5, 18), (41.7, 5, 15), (1.01, 199, 398), (250, 2, 3),
                                                 (0.02, 7.3, 2.6), (12, 1, 1000), (5, 17.25, 4), (1e-3, 3, 9), (80, 30, 60),
                                                 // Satterthwaite df can be fractional, tiny or huge.
                                                 (2, 0.3, 5), (1.5, 1e6, 3), (3, 2, 1e6), (0.9, 0.05, 40)]
        let script = """
            import sys, json
            from scipy.stats import f
            c = json.loads(sys.argv[1])
            print(json.dumps([[float(f.sf(x, a, b)), float(f.ppf(0.975, a, b)), float(f.ppf(0.025, a, b))] for x, a, b in c]))
            """
        let arg = "[" + cases.map { "[\($0.0),\($0.1),\($0.2)]" }.joined(separator: ",") + "]"
        let ref = try #require(try JSONSerialization.jsonObject(with: Data(PythonPeer.run(script, arguments: [arg]).utf8)) as? [[Double]])
        var worst = 0.0
        for ((x, a, b), r) in zip(cases, ref) {
            let mine = [FDistribution.sf(x, a, b), FDistribution.ppf(0.975, a, b), FDistribution.ppf(0.025, a, b)]
            for (m, t) in zip(mine, r) {
                let rel = abs(m - t) / abs(t)
                worst = max(worst, rel)
                #expect(rel <= 1e-10, "F(\(a), \(b)) at \(x): kira \(m), scipy \(t)")
            }
        }
        print("F distribution vs scipy: max relative difference \(worst)")
    }

    @Test("bad ratings give clear errors: one rater, one target, constant, NaN, duplicate pairs")
    func badInput() throws {
        func message(_ body: () throws -> Any) -> String {
            do { _ = try body(); return "" } catch { return "\(error)" }
        }
        #expect(message { try ICC.compute([1, 2, 3], targets: 3, raters: 1) }.contains("at least 2 raters"))
        #expect(message { try ICC.compute([1, 2], targets: 1, raters: 2) }.contains("at least 2 targets"))
        #expect(message { try ICC.compute([4, 4, 4, 4, 4, 4], targets: 3, raters: 2) }.contains("zero variance"))
        #expect(message { try ICC.compute([1, 2, .nan, 4], targets: 2, raters: 2) }.contains("target 2, rater 1"))
        let dup = try CSVTable(text: "t,r,y\na,x,1\na,y,2\na,x,3\nb,x,1\nb,y,5\n", source: "dup.csv")
        #expect(message { try RatingsTable(dup, targets: "t", raters: "r", ratings: "y") }.contains("rows 2 and 4"))
        let sparse = try CSVTable(text: "t,r,y\na,x,1\na,y,NA\nb,x,1\nb,y,5\nc,x,2\n", source: "sparse.csv")
        let s = try RatingsTable(sparse, targets: "t", raters: "r", ratings: "y")
        #expect(s.droppedTargets == ["a", "c"])
        #expect(message { try s.icc() }.contains("found 1 (2 dropped for missing ratings)"))
        let bad = try CSVTable(text: "t,r,y\na,x,1\na,y,oops\n", source: "bad.csv")
        #expect(message { try RatingsTable(bad, targets: "t", raters: "r", ratings: "y") }.contains("row 3"))
    }

    /// Each case holds n targets × k raters whose target means are equal in exact arithmetic
    /// (constant within each rater; permuted rows), so MSB is 0 and no ICC exists.
    static let equalTargetMeans: [(ratings: [Double], n: Int, k: Int)] = [
        ([0.1, 0.3, 0.1, 0.3, 0.1, 0.3, 0.1, 0.3], 4, 2),
        ([0.1, 0.2, 0.3, 0.3, 0.2, 0.1, 0.2, 0.3, 0.1], 3, 3),
        ([1e6 + 0.1, 7.7, 1e6 + 0.1, 7.7], 2, 2),
        ([1, 3, 3, 1], 2, 2),
    ]

    @Test("zero between-target variance is undefined with that reason, never a tiny ICC", arguments: equalTargetMeans.indices)
    func zeroBetweenTargetVariance(_ c: Int) {
        let d = Self.equalTargetMeans[c]
        do {
            let r = try ICC.compute(d.ratings, targets: d.n, raters: d.k)
            Issue.record("expected undefined, got ICC2 \(r[.icc2].icc), F \(r[.icc2].f)")
        } catch {
            #expect("\(error)".contains("zero between-target variance"))
            #expect("\(error)".contains("undefined"))
        }
    }

    @Test("target means one rounding step apart still give an ICC when the targets really differ")
    func nearlyEqualMeansDiffer() throws {
        // Targets 1e-9 apart with raters agreeing: MSB is tiny but real, so ICC is defined (1).
        let r = try ICC.compute([1, 1, 1 + 1e-9, 1 + 1e-9, 1 + 2e-9, 1 + 2e-9], targets: 3, raters: 2)
        #expect(r[.icc2].icc == 1)
    }

    @Test("perfect agreement: every ICC is 1, F is infinite, p is 0, no NaN")
    func perfectAgreement() throws {
        let r = try ICC.compute([1, 1, 3, 3, 7, 7, 2, 2], targets: 4, raters: 2)
        for e in r.estimates {
            #expect(e.icc == 1)
            #expect(e.p == 0 || e.form == .icc1 || e.form == .icc1k)
            #expect(!e.icc.isNaN && !e.p.isNaN)
        }
        #expect(r[.icc3].f == .infinity)
    }
}
