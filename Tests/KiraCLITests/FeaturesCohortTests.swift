import Foundation
import KiraCore
import KiraIO
import KiraPreprocess
import KiraRadiomics
import KiraTestSupport
import Testing

/// Synthetic cases written to a temporary folder: a textured image and a sphere mask.
enum SyntheticCases {
    static let size = SIMD3(32, 32, 32)
    static let centre = SIMD3<Double>(15.5, 15.2, 15.8)
    static let radius = 8.0

    static func geometry(_ size: SIMD3<Int> = size) -> Geometry { Geometry(size: size, spacing: [1, 1, 1], origin: [0, 0, 0]) }

    /// Smooth structure plus a deterministic pseudo-random texture, so features are not degenerate.
    static func image(seed: UInt64 = 7, constant: Double? = nil, nanAt: SIMD3<Int>? = nil) throws -> Volume {
        let g = geometry()
        var state = seed
        var v = [Float](repeating: 0, count: g.voxelCount)
        var i = 0
        for z in 0..<g.size.z { for y in 0..<g.size.y { for x in 0..<g.size.x {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            let noise = Double(state >> 40) / Double(1 << 24)
            v[i] = Float(constant ?? (100 + 40 * sin(Double(x) / 3) * cos(Double(y) / 4) + Double(z) + 30 * noise))
            if let n = nanAt, n == SIMD3(x, y, z) { v[i] = .nan }
            i += 1
        } } }
        return try Volume(geometry: g, voxels: .float32(v))
    }

    static func sphere(radius: Double = radius, centre: SIMD3<Double> = centre, size: SIMD3<Int> = size, label: UInt8 = 1) throws -> Volume {
        let g = geometry(size)
        var m = [UInt8](repeating: 0, count: g.voxelCount)
        var i = 0
        for z in 0..<size.z { for y in 0..<size.y { for x in 0..<size.x {
            let d = SIMD3(Double(x), Double(y), Double(z)) - centre
            if (d * d).sum() <= radius * radius { m[i] = label }
            i += 1
        } } }
        return try Volume(geometry: g, voxels: .uint8(m))
    }

    static func write(_ v: Volume, _ dir: URL, _ name: String) throws -> String {
        let url = dir.appendingPathComponent(name)
        try NIfTIWriter.write(v, to: url)
        return name
    }

    /// A float image as raw NRRD.
    static func writeNRRD(_ v: Volume, _ dir: URL, _ name: String) throws -> String {
        let g = v.geometry
        let header = """
        NRRD0004
        type: float
        dimension: 3
        space: left-posterior-superior
        sizes: \(g.size.x) \(g.size.y) \(g.size.z)
        space directions: (\(g.spacing.x),0,0) (0,\(g.spacing.y),0) (0,0,\(g.spacing.z))
        space origin: (\(g.origin.x),\(g.origin.y),\(g.origin.z))
        encoding: raw
        endian: little


        """
        var data = Data(header.utf8)
        let floats = v.voxels.toFloats()
        floats.withUnsafeBytes { data.append(contentsOf: $0) }
        try data.write(to: dir.appendingPathComponent(name))
        return name
    }

    static func voxels(_ v: Volume) -> Int { (0..<v.geometry.voxelCount).reduce(0) { $0 + (v.voxels[$1] != 0 ? 1 : 0) } }
}

@Suite("kira features --manifest")
struct FeaturesCohortTests {
    static func manifest(_ dir: URL, _ rows: [[String]]) throws -> String {
        var w = CSVWriter(header: ["id", "image", "mask", "label"])
        for r in rows { w.append(r) }
        let url = dir.appendingPathComponent("cases.csv")
        try w.write(to: url)
        return url.path
    }

    /// Values of a single-case long CSV by name (empty value: nil).
    static func longValues(_ url: URL) throws -> [String: Double?] {
        let t = try CSVTable(contentsOf: url)
        let names = try t.strings("name"), values = try t.numbers("value")
        return Dictionary(uniqueKeysWithValues: zip(names, values))
    }

    @Test("bad cases fail with their reason, the others are in the table (exit 2)")
    func badCasesArePartial() throws {
        let dir = try TestPaths.temporaryDirectory("cohort-bad")
        defer { try? FileManager.default.removeItem(at: dir) }
        let image = try SyntheticCases.write(SyntheticCases.image(), dir, "image.nii.gz")
        let sphere = try SyntheticCases.write(SyntheticCases.sphere(), dir, "sphere.nii.gz")
        let small = try SyntheticCases.write(SyntheticCases.sphere(radius: 5, centre: [12, 14, 16]), dir, "small.nii.gz")
        let empty = try SyntheticCases.write(SyntheticCases.sphere(radius: 0.1, centre: [-9, -9, -9]), dir, "empty.nii.gz")
        let single = try SyntheticCases.write(SyntheticCases.sphere(radius: 0.5, centre: [10, 10, 10]), dir, "single.nii.gz")
        let constant = try SyntheticCases.write(SyntheticCases.image(constant: 42), dir, "constant.nii.gz")
        let nan = try SyntheticCases.write(SyntheticCases.image(nanAt: [15, 15, 15]), dir, "nan.nii.gz")
        let offGrid = try SyntheticCases.write(SyntheticCases.sphere(size: [30, 32, 32]), dir, "offgrid.nii.gz")
        let m = try Self.manifest(dir, [
            ["good1", image, sphere, ""], ["empty", image, empty, ""], ["single", image, single, ""],
            ["constant", constant, sphere, ""], ["absent", image, sphere, "7"], ["nan", nan, sphere, ""],
            ["grid", image, offGrid, ""], ["good2", image, small, "1"],
        ])
        let out = dir.appendingPathComponent("features.csv")
        let run = try KiraRun.run(["features", "--manifest", m, "-o", out.path, "--jobs", "2"])
        #expect(run.status == 2, Comment(rawValue: run.stderr))
        let table = try CSVTable(contentsOf: out)
        #expect(try table.strings("id") == ["good1", "constant", "good2"])
        let failures = try CSVTable(contentsOf: URL(fileURLWithPath: out.path + ".failures.csv"))
        let reasons = Dictionary(uniqueKeysWithValues: zip(try failures.strings("id"), zip(try failures.strings("status"), try failures.strings("reason")).map { $0 }))
        let expected: [(String, String, String)] = [
            ("empty", "failed", "has no non-zero voxels"), ("single", "failed", "single voxel"),
            ("absent", "failed", "no voxel with label 7"), ("nan", "failed", "nan.nii.gz has 1 NaN voxel(s) inside the region of interest"),
            ("grid", "failed", "not on the grid"), ("constant", "warning", "constant intensity 42"),
        ]
        for (id, status, text) in expected {
            let r = try #require(reasons[id], "\(id) not listed")
            #expect(r.0 == status && r.1.contains(text), "\(id): \(r)")
            #expect(run.stderr.contains("case '\(id)'"), "stderr names \(id)")
        }
        #expect(failures.rowCount == expected.count)
        // The cohort row equals the single-case run on the same inputs.
        let single1 = dir.appendingPathComponent("good1.csv")
        let s = try KiraRun.run(["features", "--image", dir.appendingPathComponent(image).path,
                                 "--mask", dir.appendingPathComponent(sphere).path, "-o", single1.path])
        #expect(s.status == 0, Comment(rawValue: s.stderr))
        let reference = try Self.longValues(single1)
        let row = table.rows[0]
        #expect(table.header.count == reference.count + 1)
        for (k, name) in table.header.enumerated() where k > 0 {
            let cell = try CSVTable.number(row[k], source: "t", row: 2, column: name)
            #expect(cell == reference[name] ?? nil, "\(name)")
        }
        // Provenance per case.
        let doc = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out.path + ".provenance.json"))) as! [String: Any]
        let cases = try #require(doc["cases"] as? [String: Any])
        #expect(Set(cases.keys) == ["good1", "constant", "good2"])
        let good1 = try #require(cases["good1"] as? [String: Any])
        #expect((good1["image_hash"] as? String)?.count == 16 && (good1["mask_hash"] as? String)?.count == 16)
        #expect(good1["input_mask_voxels"] as? Int == SyntheticCases.voxels(try SyntheticCases.sphere()))
        #expect((doc["settings_hash"] as? String)?.count == 16)
        #expect(leftoverTemporaries(in: dir).isEmpty)
        #expect(!FileManager.default.fileExists(atPath: out.path + ".journal"))
    }

    @Test("a rerun skips finished cases; --jobs does not change values; no case done exits 1")
    func resumeAndJobs() throws {
        let dir = try TestPaths.temporaryDirectory("cohort-resume")
        defer { try? FileManager.default.removeItem(at: dir) }
        var rows: [[String]] = []
        for k in 0..<4 {
            let image = try SyntheticCases.write(SyntheticCases.image(seed: UInt64(k + 1)), dir, "image\(k).nii.gz")
            let mask = try SyntheticCases.write(SyntheticCases.sphere(radius: 5 + Double(k)), dir, "mask\(k).nii.gz")
            rows.append(["case\(k)", image, mask, ""])
        }
        let out1 = dir.appendingPathComponent("one.csv"), out3 = dir.appendingPathComponent("three.csv")
        let all = try Self.manifest(dir, rows)
        let serial = try KiraRun.run(["features", "--manifest", all, "-o", out1.path, "--jobs", "1"])
        #expect(serial.status == 0, Comment(rawValue: serial.stderr))
        _ = try Self.manifest(dir, Array(rows.prefix(2)))
        let first = try KiraRun.run(["features", "--manifest", all, "-o", out3.path, "--jobs", "3"])
        #expect(first.status == 0, Comment(rawValue: first.stderr))
        let partialText = try String(contentsOf: out3, encoding: .utf8)
        #expect(partialText.split(separator: "\n").count == 3)
        _ = try Self.manifest(dir, rows)
        let second = try KiraRun.run(["features", "--manifest", all, "-o", out3.path, "--jobs", "3"])
        #expect(second.status == 0, Comment(rawValue: second.stderr))
        #expect(second.stderr.contains("2 of 4 cases already in three.csv with unchanged inputs, reused"))
        // Same bytes whether cases ran one at a time, three at a time, or over two runs.
        #expect(try String(contentsOf: out3, encoding: .utf8) == String(contentsOf: out1, encoding: .utf8))
        // Other settings on the same output are refused.
        let other = try KiraRun.run(["features", "--manifest", all, "-o", out3.path, "--region", "ring:2mm"])
        #expect(other.status == 1 && other.stderr.contains("other settings"))
        // Nothing done at all: exit 1.
        let bad = try Self.manifest(dir, [["x", "image0.nii.gz", "mask0.nii.gz", "9"]])
        let none = try KiraRun.run(["features", "--manifest", bad, "-o", dir.appendingPathComponent("none.csv").path])
        #expect(none.status == 1 && none.stderr.contains("no voxel with label 9"))
    }

    /// Issue 18 item 2: a finished case is reused only when its inputs' content is the same.
    @Test("a rerun reuses unchanged cases byte for byte and recomputes exactly the case whose mask changed")
    func rerunChecksInputHashes() throws {
        let dir = try TestPaths.temporaryDirectory("cohort-rehash")
        defer { try? FileManager.default.removeItem(at: dir) }
        let image = try SyntheticCases.write(SyntheticCases.image(), dir, "image.nii.gz")
        var rows: [[String]] = []
        for k in 0..<3 {
            let mask = try SyntheticCases.write(SyntheticCases.sphere(radius: 4 + Double(k)), dir, "mask\(k).nii.gz")
            rows.append(["c\(k)", image, mask, ""])
        }
        let manifest = try Self.manifest(dir, rows)
        let out = dir.appendingPathComponent("table.csv")
        let provenance = URL(fileURLWithPath: out.path + ".provenance.json")
        let args = ["features", "--manifest", manifest, "-o", out.path, "--jobs", "2"]
        let first = try KiraRun.run(args)
        #expect(first.status == 0, Comment(rawValue: first.stderr))
        let table1 = try Data(contentsOf: out), provenance1 = try Data(contentsOf: provenance)

        // Unchanged: everything reused, nothing recomputed, the same bytes.
        let same = try KiraRun.run(args)
        #expect(same.status == 0, Comment(rawValue: same.stderr))
        #expect(same.stderr.contains("3 of 3 cases already in table.csv with unchanged inputs, reused"), Comment(rawValue: same.stderr))
        #expect(!same.stderr.contains("recomputed"))
        #expect(try Data(contentsOf: out) == table1 && Data(contentsOf: provenance) == provenance1)

        // c1's mask rewritten in place (same path, other content): only c1 is recomputed.
        let oldHash = try InputHash.hash(file: dir.appendingPathComponent("mask1.nii.gz"))
        _ = try SyntheticCases.write(SyntheticCases.sphere(radius: 7, centre: [14, 16, 15]), dir, "mask1.nii.gz")
        let newHash = try InputHash.hash(file: dir.appendingPathComponent("mask1.nii.gz"))
        #expect(oldHash != newHash)
        let changed = try KiraRun.run(args)
        #expect(changed.status == 0, Comment(rawValue: changed.stderr))
        #expect(changed.stderr.contains("case 'c1': mask changed (hash \(oldHash) → \(newHash)), recomputed"), Comment(rawValue: changed.stderr))
        #expect(changed.stderr.components(separatedBy: "recomputed").count == 2)
        #expect(changed.stderr.contains("2 of 3 cases already in table.csv with unchanged inputs, reused"))
        let before = String(decoding: table1, as: UTF8.self).split(separator: "\n")
        let after = try String(contentsOf: out, encoding: .utf8).split(separator: "\n")
        #expect(after.count == 4 && after[0] == before[0])
        #expect(after[1] == before[1] && after[3] == before[3], "c0 and c2 keep their bytes")
        #expect(after[2] != before[2])
        // c1's row is what a fresh single-case run on the new mask gives.
        let single = dir.appendingPathComponent("c1.csv")
        let s = try KiraRun.run(["features", "--image", dir.appendingPathComponent(image).path,
                                 "--mask", dir.appendingPathComponent("mask1.nii.gz").path, "-o", single.path])
        #expect(s.status == 0, Comment(rawValue: s.stderr))
        let reference = try Self.longValues(single)
        let table = try CSVTable(contentsOf: out)
        let volume = try table.numbers("original_shape_MeshVolume")
        let fresh = try #require(reference["original_shape_MeshVolume"] ?? nil)
        #expect(volume[1] == fresh)
        #expect(volume[1] != volume[0] && volume[1] != volume[2])
        let doc = try JSONSerialization.jsonObject(with: Data(contentsOf: provenance)) as! [String: Any]
        #expect(((doc["cases"] as? [String: Any])?["c1"] as? [String: Any])?["mask_hash"] as? String == newHash)

        // A new path to the same content is reused; a new path to other content, or another
        // label, is recomputed.
        try FileManager.default.copyItem(at: dir.appendingPathComponent("mask0.nii.gz"), to: dir.appendingPathComponent("copy0.nii.gz"))
        let other = try SyntheticCases.write(SyntheticCases.sphere(radius: 3), dir, "other2.nii.gz")
        _ = try Self.manifest(dir, [["c0", image, "copy0.nii.gz", ""], ["c1", image, "mask1.nii.gz", "1"], ["c2", image, other, ""]])
        let moved = try KiraRun.run(args)
        #expect(moved.status == 0, Comment(rawValue: moved.stderr))
        #expect(!moved.stderr.contains("case 'c0'"), Comment(rawValue: moved.stderr))
        #expect(moved.stderr.contains("case 'c1': mask label changed (non-zero → 1), recomputed"), Comment(rawValue: moved.stderr))
        #expect(moved.stderr.contains("case 'c2': mask changed (hash "), Comment(rawValue: moved.stderr))
        #expect(moved.stderr.contains("1 of 3 cases already in table.csv with unchanged inputs, reused"))
        let last = try String(contentsOf: out, encoding: .utf8).split(separator: "\n")
        #expect(last[1] == before[1] && last[2] == after[2] && last[3] != before[3])
    }

    @Test("usage errors exit 1")
    func usage() throws {
        let missing = try KiraRun.run(["features", "--manifest", "/nonexistent.csv", "-o", "/tmp/x.csv"])
        #expect(missing.status == 1 && missing.stderr.contains("does not exist"))
        let noOutput = try KiraRun.run(["features", "--manifest", "/nonexistent.csv"])
        #expect(noOutput.status == 1 && noOutput.stderr.contains("needs -o"))
        let region = try KiraRun.run(["features", "--image", "/x", "--mask", "/y", "--region", "ring:5"])
        #expect(region.status == 1 && region.stderr.contains("mm or vox"))
    }
}

@Suite("kira features --region")
struct FeaturesRegionTests {
    /// Shell volume of a ball of radius r widened by w (mm³, unit voxels: voxel count).
    static func shell(_ r: Double, _ w: Double) -> Double { 4.0 / 3.0 * Double.pi * (pow(r + w, 3) - pow(r, 3)) }

    @Test("ring voxel counts equal kira mask ring and the analytic shell; tumour+ring equals the union mask file")
    func ringsOnASphere() throws {
        let dir = try TestPaths.temporaryDirectory("cohort-region")
        defer { try? FileManager.default.removeItem(at: dir) }
        let image = dir.appendingPathComponent(try SyntheticCases.write(SyntheticCases.image(), dir, "image.nii.gz")).path
        let sphereVolume = try SyntheticCases.sphere()
        let sphere = dir.appendingPathComponent(try SyntheticCases.write(sphereVolume, dir, "sphere.nii.gz")).path
        let ringFile = dir.appendingPathComponent("ring.nii.gz").path
        let mk = try KiraRun.run(["mask", "ring", sphere, "-o", ringFile, "--mm", "5"])
        #expect(mk.status == 0, Comment(rawValue: mk.stderr))
        let ring = try NIfTIReader.read(URL(fileURLWithPath: ringFile))
        // Union of the ring file and the tumour, written as a mask file.
        let union = (0..<ring.geometry.voxelCount).map { UInt8(ring.voxels[$0] != 0 || sphereVolume.voxels[$0] != 0 ? 1 : 0) }
        let unionFile = dir.appendingPathComponent(try SyntheticCases.write(Volume(geometry: ring.geometry, voxels: .uint8(union)), dir, "union.nii.gz")).path

        let run = try KiraRun.run(["features", "--image", image, "--mask", sphere, "--region", "ring:5mm",
                                   "--region", "tumour+ring:5mm", "--region", "ring:5vox", "--json"])
        #expect(run.status == 0, Comment(rawValue: run.stderr))
        let regions = try #require((run.json["diagnostics"] as? [String: Any])?["regions"] as? [String: Any])
        let ringVoxels = try #require((regions["ring:5mm"] as? [String: Any])?["morphological_mask_voxels"] as? Int)
        let ringFileVoxels = SyntheticCases.voxels(ring)
        #expect(ringVoxels == ringFileVoxels)
        // Unit spacing: 5 mm and 5 voxels are the same ring.
        #expect((regions["ring:5vox"] as? [String: Any])?["morphological_mask_voxels"] as? Int == ringVoxels)
        // Voxelisation bounds: a ring voxel p lies in r < |p − c| ≤ r + 5, and every p with
        // r < |p − c| ≤ r + 5 − √3 is in the ring (the tumour voxel nearest the sphere point
        // √3/2 inside, towards p, is within √3/2 of it), so the ring count lies between the
        // lattice counts of those two shells; the continuous shell is close to the upper one.
        func shellCount(_ outer: Double) -> Int {
            var n = 0
            for z in 0..<32 { for y in 0..<32 { for x in 0..<32 {
                let d = SIMD3(Double(x), Double(y), Double(z)) - SyntheticCases.centre
                let r2 = (d * d).sum()
                if r2 > SyntheticCases.radius * SyntheticCases.radius && r2 <= outer * outer { n += 1 }
            } } }
            return n
        }
        let lower = shellCount(SyntheticCases.radius + 5 - 3.0.squareRoot()), upper = shellCount(SyntheticCases.radius + 5)
        let analytic = Self.shell(SyntheticCases.radius, 5)
        print("ring:5mm voxels \(ringVoxels), lattice shells [\(lower), \(upper)], analytic shell \(analytic), relative \(Double(ringVoxels) / analytic - 1)")
        #expect(lower <= ringVoxels && ringVoxels <= upper)
        #expect(abs(Double(upper) / analytic - 1) < 0.01)
        #expect(abs(Double(ringVoxels) / analytic - 1) < 0.08)

        let features = try #require(run.json["features"] as? [[String: Any]])
        let names = Set(features.compactMap { $0["name"] as? String })
        #expect(names.contains("ring5mm_original_cm_contrast_3D_avg"))
        #expect(names.contains("tumour_and_ring5mm_original_shape_MeshVolume"))
        #expect(names.contains("ring5vox_original_firstorder_Mean"))

        let plain = try KiraRun.run(["features", "--image", image, "--mask", unionFile, "--json"])
        #expect(plain.status == 0, Comment(rawValue: plain.stderr))
        let reference = try #require(plain.json["features"] as? [[String: Any]])
        let byName = Dictionary(uniqueKeysWithValues: features.map { ($0["name"] as! String, $0["value"] as? Double) })
        var compared = 0
        for f in reference {
            let name = "tumour_and_ring5mm_" + (f["name"] as! String)
            let mine = try #require(byName[name], "missing \(name)")
            #expect(mine == f["value"] as? Double, "\(name)")
            compared += 1
        }
        #expect(compared > 200)
    }

    @Test("habitat:K equals the features of that habitat's mask file")
    func habitats() throws {
        let dir = try TestPaths.temporaryDirectory("cohort-habitat")
        defer { try? FileManager.default.removeItem(at: dir) }
        let image = try SyntheticCases.write(SyntheticCases.image(), dir, "image.nii.gz")
        let sphere = try SyntheticCases.sphere()
        let g = sphere.geometry
        var labels = [UInt8](repeating: 0, count: g.voxelCount), half = labels
        for i in 0..<g.voxelCount where sphere.voxels[i] != 0 {
            let x = i % g.size.x
            labels[i] = x < 16 ? 1 : 2
            if x >= 16 { half[i] = 1 }
        }
        let maskName = try SyntheticCases.write(sphere, dir, "sphere.nii.gz")
        let habitatName = try SyntheticCases.write(Volume(geometry: g, voxels: .uint8(labels)), dir, "habitats.nii.gz")
        let halfName = try SyntheticCases.write(Volume(geometry: g, voxels: .uint8(half)), dir, "half.nii.gz")
        var w = CSVWriter(header: ["id", "image", "mask", "habitats"])
        w.append(["a", image, maskName, habitatName])
        try w.write(to: dir.appendingPathComponent("cases.csv"))
        let out = dir.appendingPathComponent("h.csv")
        let run = try KiraRun.run(["features", "--manifest", dir.appendingPathComponent("cases.csv").path, "-o", out.path, "--region", "habitat:2"])
        #expect(run.status == 0, Comment(rawValue: run.stderr))
        let table = try CSVTable(contentsOf: out)
        let single = dir.appendingPathComponent("half.csv")
        let s = try KiraRun.run(["features", "--image", dir.appendingPathComponent(image).path, "--mask", dir.appendingPathComponent(halfName).path, "-o", single.path])
        #expect(s.status == 0, Comment(rawValue: s.stderr))
        let reference = try FeaturesCohortTests.longValues(single)
        #expect(table.header.count == reference.count + 1)
        for (k, name) in table.header.enumerated() where k > 0 {
            #expect(name.hasPrefix("habitat2_"))
            let cell = try CSVTable.number(table.rows[0][k], source: "t", row: 2, column: name)
            #expect(cell == reference[String(name.dropFirst("habitat2_".count))] ?? nil, "\(name)")
        }
        let absent = try KiraRun.run(["features", "--image", dir.appendingPathComponent(image).path, "--mask", dir.appendingPathComponent(maskName).path,
                                      "--region", "habitat:5", "--habitats", dir.appendingPathComponent(habitatName).path])
        #expect(absent.status == 1 && absent.stderr.contains("habitat:5") && absent.stderr.contains("labels present: 1, 2"))
    }
}
