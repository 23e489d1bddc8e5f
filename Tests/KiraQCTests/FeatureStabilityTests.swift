import Foundation
import KiraCore
import KiraQC
import KiraTestSupport
import Testing

/// Three readers' feature tables with every situation the stability report must handle.
enum StabilityFixture {
    static let readers = 3, cases = 30

    /// Writes reader_a.csv … reader_c.csv into `dir` and returns their URLs.
    static func write(to dir: URL, seed: UInt64 = 7) throws -> [URL] {
        var rng = SplitMix64(seed: seed)
        let truth = (0..<cases).map { _ in (Double.random(in: 0...10, using: &rng), Double.random(in: 0...10, using: &rng)) }
        var urls: [URL] = []
        for reader in 0..<readers {
            var lines = ["case_id,stable,noisy,constant,gappy,diagnostics_Versions_PyRadiomics" + (reader == 1 ? "" : ",only_some")]
            let bias = Double(reader) * 0.3
            // Reader c misses case 29; reader a has an extra case.
            let ids = (0..<cases).filter { reader != 2 || $0 != 29 } + (reader == 0 ? [99] : [])
            for i in ids {
                let t = i < cases ? truth[i] : (5, 5)
                let stable = t.0 * 3 + bias + Double.random(in: -0.2...0.2, using: &rng)
                let noisy = t.1 + Double.random(in: -6...6, using: &rng)
                // Gappy: missing for reader b on cases 3 and 7 (NA and empty).
                let gappy: String = reader == 1 && i == 3 ? "NA" : (reader == 1 && i == 7 ? "" : "\(t.0 - bias + Double.random(in: -1...1, using: &rng))")
                lines.append("c\(i),\(stable),\(noisy),4.5,\(gappy),v3.0.1" + (reader == 1 ? "" : ",1"))
            }
            let url = dir.appendingPathComponent("reader_\(["a", "b", "c"][reader]).csv")
            try (lines.joined(separator: "\n") + "\n").write(to: url, atomically: true, encoding: .utf8)
            urls.append(url)
        }
        return urls
    }
}

@Suite("Feature stability")
struct FeatureStabilityTests {
    @Test("cases matched by id, missing values dropped per feature, text and partial columns ignored")
    func structure() throws {
        let dir = try TestPaths.temporaryDirectory("kira-stability")
        defer { try? FileManager.default.removeItem(at: dir) }
        let urls = try StabilityFixture.write(to: dir)
        let r = try FeatureStability.evaluate(tables: urls.map(CSVTable.init(contentsOf:)), idColumn: "case_id", form: .icc2, minICC: 0.8)
        #expect(r.cases.count == 29)
        #expect(r.unmatchedCases == ["c29", "c99"])
        #expect(r.features.map(\.name) == ["stable", "noisy", "constant", "gappy"])
        #expect(Set(r.ignored.map(\.column)) == ["diagnostics_Versions_PyRadiomics", "only_some"])
        #expect(r.ignored.first { $0.column == "only_some" }?.reason.contains("reader_b.csv") == true)
        let byName = Dictionary(uniqueKeysWithValues: r.features.map { ($0.name, $0) })
        #expect(byName["gappy"]?.droppedCases == 2 && byName["gappy"]?.cases == 27)
        #expect(byName["constant"]?.estimate == nil && byName["constant"]?.reason?.contains("zero variance") == true)
        #expect(byName["constant"]?.kept == false)
        #expect(r.kept.contains("stable") && !r.kept.contains("noisy"))
    }

    @Test("per-feature ICC equals pingouin on the same merged tables (1e-8), every form",
          .enabled(if: PythonPeer.has("pingouin"), Comment(rawValue: PythonPeer.missing("pingouin"))))
    func pingouinPeer() throws {
        let dir = try TestPaths.temporaryDirectory("kira-stability")
        defer { try? FileManager.default.removeItem(at: dir) }
        let urls = try StabilityFixture.write(to: dir)
        let script = """
            import sys, json, pandas as pd, pingouin as pg
            pg.options['round.column.CI95'] = None
            frames = []
            for j, path in enumerate(sys.argv[1:]):
                d = pd.read_csv(path, dtype={'case_id': str})
                d['reader'] = str(j)
                frames.append(d)
            common = set.intersection(*[set(f.case_id) for f in frames])
            long = pd.concat(frames)
            long = long[long.case_id.isin(common)]
            out = {}
            for feat in ['stable', 'noisy', 'gappy']:
                r = pg.intraclass_corr(data=long, targets='case_id', raters='reader', ratings=feat, nan_policy='omit')
                out[feat] = {t: [float(x.ICC), float(x.CI95[0]), float(x.CI95[1])] for t, x in zip(['ICC1','ICC2','ICC3','ICC1k','ICC2k','ICC3k'], r.itertuples())}
            print(json.dumps(out))
            """
        let ref = try #require(try JSONSerialization.jsonObject(with: Data(PythonPeer.run(script, arguments: urls.map(\.path)).utf8)) as? [String: [String: [Double]]])
        let tables = try urls.map(CSVTable.init(contentsOf:))
        var worst = 0.0
        for form in ICCForm.allCases {
            let r = try FeatureStability.evaluate(tables: tables, idColumn: "case_id", form: form)
            for f in r.features where f.name != "constant" {
                let e = try #require(f.estimate)
                let p = try #require(ref[f.name]?[form.rawValue])
                let mine = [e.icc, e.ci95?.lowerBound ?? .nan, e.ci95?.upperBound ?? .nan]
                for (m, t) in zip(mine, p) {
                    worst = max(worst, abs(m - t))
                    #expect(abs(m - t) <= 1e-8, "\(f.name) \(form.rawValue): kira \(m), pingouin \(t)")
                }
            }
        }
        print("feature stability vs pingouin: max |difference| \(worst)")
    }

    @Test("a feature constant within each reader is undefined (zero between-target variance), not ICC -1e-30")
    func constantWithinReader() throws {
        // Reader a gives 0.1 to every case and reader b 0.3: the cases do not differ at all.
        let a = try CSVTable(text: "id,f,g\n1,0.1,1\n2,0.1,2\n3,0.1,3\n", source: "a.csv")
        let b = try CSVTable(text: "id,f,g\n1,0.3,1.1\n2,0.3,2.2\n3,0.3,2.9\n", source: "b.csv")
        let r = try FeatureStability.evaluate(tables: [a, b], idColumn: "id", form: .icc2, minICC: 0.8)
        let f = try #require(r.features.first { $0.name == "f" })
        #expect(f.estimate == nil && !f.kept)
        #expect(f.reason?.contains("zero between-target variance") == true)
        #expect(r.kept == ["g"])
    }

    @Test("fewer than two readers or common cases is an error naming the problem")
    func badInput() throws {
        let a = try CSVTable(text: "id,f\n1,2\n2,3\n", source: "a.csv")
        let b = try CSVTable(text: "id,f\n1,2\n3,3\n", source: "b.csv")
        #expect(throws: KiraError.self) { try FeatureStability.evaluate(tables: [a], idColumn: "id") }
        do { _ = try FeatureStability.evaluate(tables: [a, b], idColumn: "id"); Issue.record("no error") } catch {
            #expect("\(error)".contains("only 1 case id(s) appear in every table"))
        }
        let dup = try CSVTable(text: "id,f\n1,2\n1,3\n", source: "dup.csv")
        do { _ = try FeatureStability.evaluate(tables: [a, dup], idColumn: "id"); Issue.record("no error") } catch {
            #expect("\(error)".contains("dup.csv: id \"1\" appears in rows 2 and 3"))
        }
        do { _ = try FeatureStability.evaluate(tables: [a, b], idColumn: "case"); Issue.record("no error") } catch {
            #expect("\(error)".contains("no column \"case\""))
        }
    }
}
