import Foundation
import KiraCore
import KiraIO
import KiraTestSupport
import Testing

/// `kira qc …` run as a user would: files in, JSON out, exit codes.
@Suite struct QCCommandTests {
    static let shroutFleiss: [[Double]] = [[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8], [7, 1, 2, 6], [10, 5, 6, 9], [6, 2, 4, 7]]

    static func longCSV(_ rows: [[Double]]) -> String {
        var s = "subject,judge,score\n"
        for (i, r) in rows.enumerated() { for (j, v) in r.enumerated() { s += "s\(i + 1),j\(j + 1),\(v)\n" } }
        return s
    }

    @Test("qc icc --json: the six forms with icc, f, df1, df2, p, ci95; Shrout & Fleiss published values")
    func iccShroutFleiss() throws {
        let dir = try TestPaths.temporaryDirectory("kira-qc")
        defer { try? FileManager.default.removeItem(at: dir) }
        let csv = dir.appendingPathComponent("sf.csv")
        try Self.longCSV(Self.shroutFleiss).write(to: csv, atomically: true, encoding: .utf8)
        let r = try KiraRun.run(["qc", "icc", "--data", csv.path, "--targets", "subject", "--raters", "judge", "--ratings", "score", "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let published = ["ICC1": 0.17, "ICC2": 0.29, "ICC3": 0.71, "ICC1k": 0.44, "ICC2k": 0.62, "ICC3k": 0.91]
        for (form, value) in published {
            let row = try #require(r.json[form] as? [String: Any], "missing \(form)")
            let icc = try #require(row["icc"] as? Double)
            #expect(abs(icc - value) <= 0.005, "\(form) = \(icc)")
            #expect(Set(row.keys).isSuperset(of: ["icc", "f", "df1", "df2", "p", "ci95"]))
            let ci = try #require(row["ci95"] as? [Double])
            #expect(ci.count == 2 && ci[0] < icc && icc < ci[1])
        }
        #expect(r.json["targets"] as? Int == 6 && r.json["raters"] as? Int == 4)
        // Shrout & Fleiss Table 3: F = BMS/WMS = 11.24/6.26 for ICC1, BMS/EMS = 11.24/1.02 for ICC2 and ICC3.
        #expect(abs(((r.json["ICC1"] as? [String: Any])?["f"] as? Double ?? 0) - 11.241_666_666_666_667 / 6.263_888_888_888_889) < 1e-12)
        let text = try KiraRun.run(["qc", "icc", "--data", csv.path, "--targets", "subject", "--raters", "judge", "--ratings", "score"])
        #expect(text.status == 0 && text.stdout.contains("ICC3k") && text.stdout.contains("6 targets × 4 raters"))
    }

    @Test("qc icc: missing ratings drop the target (reported); one rater is exit 1 with a message")
    func iccBadInput() throws {
        let dir = try TestPaths.temporaryDirectory("kira-qc")
        defer { try? FileManager.default.removeItem(at: dir) }
        let csv = dir.appendingPathComponent("gaps.csv")
        var text = Self.longCSV(Self.shroutFleiss)
        text = text.replacingOccurrences(of: "s2,j3,3.0", with: "s2,j3,NaN")
        try text.write(to: csv, atomically: true, encoding: .utf8)
        let r = try KiraRun.run(["qc", "icc", "--data", csv.path, "--targets", "subject", "--raters", "judge", "--ratings", "score", "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.json["dropped_targets"] as? Int == 1 && r.json["targets"] as? Int == 5)
        #expect(r.stderr.contains("dropped 1 target(s) with missing ratings: s2"))
        let one = dir.appendingPathComponent("one.csv")
        try "subject,judge,score\na,x,1\nb,x,2\nc,x,3\n".write(to: one, atomically: true, encoding: .utf8)
        let bad = try KiraRun.run(["qc", "icc", "--data", one.path, "--targets", "subject", "--raters", "judge", "--ratings", "score"])
        #expect(bad.status == 1)
        #expect(bad.stderr.contains("at least 2 raters"))
        let col = try KiraRun.run(["qc", "icc", "--data", one.path, "--targets", "subject", "--raters", "reader", "--ratings", "score"])
        #expect(col.status == 1 && col.stderr.contains("no column \"reader\""))
    }

    static func sphere(_ size: SIMD3<Int>, _ spacing: SIMD3<Double>, centre: SIMD3<Double>, radius: Double) -> [UInt8] {
        var m = [UInt8](repeating: 0, count: size.x * size.y * size.z)
        for z in 0..<size.z { for y in 0..<size.y { for x in 0..<size.x {
            let d = SIMD3(Double(x), Double(y), Double(z)) * spacing - centre
            if (d * d).sum() <= radius * radius { m[(z * size.y + y) * size.x + x] = 1 }
        } } }
        return m
    }

    static func writeMask(_ m: [UInt8], size: SIMD3<Int>, spacing: SIMD3<Double>, to url: URL, origin: SIMD3<Double> = [10, -20, 5]) throws {
        let g = Geometry(size: size, spacing: spacing, origin: origin,
                         direction: Matrix3(columns: [0, 1, 0], [-1, 0, 0], [0, 0, 1]))
        try NIfTIWriter.write(Volume(geometry: g, voxels: .uint8(m)), to: url)
    }

    @Test("qc overlap --json on NIfTI spheres equals SimpleITK reading the same files (1e-9)",
          .enabled(if: PythonPeer.has("SimpleITK"), Comment(rawValue: PythonPeer.missing("SimpleITK"))))
    func overlapAgainstSimpleITK() throws {
        let dir = try TestPaths.temporaryDirectory("kira-qc")
        defer { try? FileManager.default.removeItem(at: dir) }
        let size = SIMD3(32, 30, 14), sp = SIMD3(0.7, 0.9, 2.4)
        let a = dir.appendingPathComponent("a.nii.gz"), b = dir.appendingPathComponent("b.nii.gz")
        try Self.writeMask(Self.sphere(size, sp, centre: [11, 13, 16], radius: 7), size: size, spacing: sp, to: a)
        try Self.writeMask(Self.sphere(size, sp, centre: [12.5, 12, 18], radius: 6.5), size: size, spacing: sp, to: b)
        let r = try KiraRun.run(["qc", "overlap", "--a", a.path, "--b", b.path, "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let out = try PythonPeer.run("""
            import sys, json, SimpleITK as sitk
            a, b = sitk.ReadImage(sys.argv[1]), sitk.ReadImage(sys.argv[2])
            lo = sitk.LabelOverlapMeasuresImageFilter(); lo.Execute(a, b)
            hd = sitk.HausdorffDistanceImageFilter(); hd.Execute(a, b)
            print(json.dumps({'dice': lo.GetDiceCoefficient(), 'jaccard': lo.GetJaccardCoefficient(),
                              'volume_similarity': lo.GetVolumeSimilarity(), 'hausdorff_mm': hd.GetHausdorffDistance()}))
            """, arguments: [a.path, b.path])
        let ref = try #require(try JSONSerialization.jsonObject(with: Data(out.utf8)) as? [String: Double])
        for (key, value) in ref {
            let mine = try #require(r.json[key] as? Double, "missing \(key)")
            #expect(abs(mine - value) <= 1e-9, "\(key): kira \(mine), SimpleITK \(value)")
        }
        #expect(r.json["hd95_mm"] is Double && r.json["assd_mm"] is Double)
    }

    @Test("qc overlap: an empty mask gives the documented nulls and a note; a grid mismatch is exit 1")
    func overlapBadInput() throws {
        let dir = try TestPaths.temporaryDirectory("kira-qc")
        defer { try? FileManager.default.removeItem(at: dir) }
        let size = SIMD3(8, 8, 4), sp = SIMD3(1.0, 1.0, 3.0)
        let a = dir.appendingPathComponent("a.nii"), e = dir.appendingPathComponent("empty.nii"), s = dir.appendingPathComponent("shifted.nii")
        let m = Self.sphere(size, sp, centre: [4, 4, 4], radius: 3)
        try Self.writeMask(m, size: size, spacing: sp, to: a)
        try Self.writeMask([UInt8](repeating: 0, count: m.count), size: size, spacing: sp, to: e)
        try Self.writeMask(m, size: size, spacing: sp, to: s, origin: [10, -20, 7])
        let r = try KiraRun.run(["qc", "overlap", "--a", a.path, "--b", e.path, "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.json["dice"] as? Double == 0 && r.json["volume_similarity"] as? Double == 2)
        #expect(r.json["hausdorff_mm"] is NSNull && r.json["hd95_mm"] is NSNull && r.json["assd_mm"] is NSNull)
        #expect((r.json["note"] as? String)?.contains("mask B is empty") == true && r.stderr.contains("mask B is empty"))
        let mis = try KiraRun.run(["qc", "overlap", "--a", a.path, "--b", s.path])
        #expect(mis.status == 1)
        #expect(mis.stderr.contains("origin differs by 2 mm"), "\(mis.stderr)")
    }

    @Test("qc stability: kept features on stdout, JSON keys, --output table, bad --form is exit 1")
    func stability() throws {
        let dir = try TestPaths.temporaryDirectory("kira-qc")
        defer { try? FileManager.default.removeItem(at: dir) }
        var urls: [URL] = []
        for reader in 0..<3 {
            var s = "id,shape_Volume,texture_noise,const,diagnostics_Image\n"
            for i in 0..<12 {
                let noise = [0.3, -2.1, 1.7, 0.2, -0.9, 2.5, -1.4, 0.8, -0.1, 1.1, -2.6, 0.6][(i * 5 + reader * 7) % 12]
                let noisy = reader == 2 && i == 4 ? "NaN" : "\(noise)"
                s += "case\(i),\(Double(i * i) + Double(reader) * 0.1),\(noisy),2,hash\(i)\n"
            }
            let u = dir.appendingPathComponent("r\(reader).csv")
            try s.write(to: u, atomically: true, encoding: .utf8)
            urls.append(u)
        }
        let out = dir.appendingPathComponent("icc.csv")
        let r = try KiraRun.run(["qc", "stability", "--features"] + urls.map(\.path) + ["--id-column", "id", "--output", out.path])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout == "shape_Volume\n")
        #expect(r.stderr.contains("feature \"const\"") && r.stderr.contains("1 of 3 features kept at ICC2 ≥ 0.8"))
        #expect(r.stderr.contains("1 feature(s) have missing or NaN values") && r.stderr.contains("\"texture_noise\", 1 of 12 cases"))
        let table = try CSVTable(contentsOf: out)
        #expect(try table.strings("feature") == ["shape_Volume", "texture_noise", "const"])
        #expect(try table.strings("kept") == ["yes", "no", "no"])
        let j = try KiraRun.run(["qc", "stability", "--features"] + urls.map(\.path) + ["--id-column", "id", "--form", "icc3k", "--min-icc", "0.5", "--json"])
        #expect(j.status == 0)
        #expect(j.json["form"] as? String == "ICC3k" && j.json["kept"] as? [String] == ["shape_Volume"])
        #expect((j.json["ignored"] as? [[String: Any]])?.first?["column"] as? String == "diagnostics_Image")
        let bad = try KiraRun.run(["qc", "stability", "--features"] + urls.map(\.path) + ["--id-column", "id", "--form", "ICC4"])
        #expect(bad.status == 1 && bad.stderr.contains("--form 'ICC4'"))
        let one = try KiraRun.run(["qc", "stability", "--features", urls[0].path, "--id-column", "id"])
        #expect(one.status == 1 && one.stderr.contains("at least two tables"))
    }

    @Test("qc geometry: a clean mask exits 0; findings exit 2 with their numbers")
    func geometry() throws {
        let dir = try TestPaths.temporaryDirectory("kira-qc")
        defer { try? FileManager.default.removeItem(at: dir) }
        let size = SIMD3(20, 20, 10), sp = SIMD3(0.8, 0.8, 2.0)
        let image = dir.appendingPathComponent("image.nii"), clean = dir.appendingPathComponent("clean.nii"), messy = dir.appendingPathComponent("messy.nii")
        try Self.writeMask([UInt8](repeating: 7, count: 4000), size: size, spacing: sp, to: image)
        try Self.writeMask(Self.sphere(size, sp, centre: [8, 8, 10], radius: 5), size: size, spacing: sp, to: clean)
        var m = Self.sphere(size, sp, centre: [8, 8, 10], radius: 5)
        m[0] = 2; m[3999] = 1
        try Self.writeMask(m, size: size, spacing: sp, to: messy)
        let ok = try KiraRun.run(["qc", "geometry", image.path, clean.path, "--json"])
        #expect(ok.status == 0, "\(ok.stderr)")
        #expect(ok.json["passed"] as? Bool == true && ok.json["components"] as? Int == 1 && ok.json["grid_matches"] as? Bool == true)
        let bad = try KiraRun.run(["qc", "geometry", image.path, messy.path, "--json"])
        #expect(bad.status == 2)
        let checks = (bad.json["findings"] as? [[String: Any]])?.compactMap { $0["check"] as? String } ?? []
        #expect(checks == ["non_binary", "touches_border", "multiple_components"])
        #expect(bad.json["components"] as? Int == 3)
        let tiny = try KiraRun.run(["qc", "geometry", image.path, clean.path, "--min-voxels", "100000"])
        #expect(tiny.status == 2 && tiny.stdout.contains("tiny:"))
    }
}
