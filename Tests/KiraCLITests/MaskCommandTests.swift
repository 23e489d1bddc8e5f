import Foundation
import KiraCore
import KiraIO
import KiraPreprocess
import KiraTestSupport
import Testing

@Suite("kira mask")
struct MaskCommandTests {
    static func ball(_ dir: URL) throws -> (URL, Volume) {
        let g = Geometry(size: [21, 19, 9], spacing: [0.8, 0.9, 2.5], origin: [1, 2, 3])
        var m = [UInt8](repeating: 0, count: g.voxelCount)
        var i = 0
        for z in 0..<9 { for y in 0..<19 { for x in 0..<21 {
            let d = SIMD3(Double(x - 10) * 0.8, Double(y - 9) * 0.9, Double(z - 4) * 2.5)
            if (d * d).sum() <= 16 { m[i] = 2 }
            i += 1
        } } }
        let v = try Volume(geometry: g, voxels: .uint8(m))
        let url = dir.appendingPathComponent("labels.nii.gz")
        try NIfTIWriter.write(v, to: url)
        return (url, try NIfTIReader.read(url))
    }

    @Test("ring, dilate and erode through the CLI equal the library, with sidecars", arguments: ["ring", "dilate", "erode"])
    func operations(op: String) throws {
        let dir = try TestPaths.temporaryDirectory("cli-mask")
        defer { try? FileManager.default.removeItem(at: dir) }
        let (input, labels) = try Self.ball(dir)
        let out = dir.appendingPathComponent("out.nii.gz")
        let r = try KiraRun.run(["mask", op, input.path, "-o", out.path, "--mm", "2", "--label", "2"])
        #expect(r.status == 0, Comment(rawValue: r.stderr))
        let mask = try MaskOperations.selectLabels(labels, [2])
        let expected: Volume
        switch op {
        case "ring": expected = try MaskOperations.ring(mask, width: .millimetres(2))
        case "dilate": expected = try MaskOperations.dilate(mask, by: .millimetres(2))
        default: expected = try MaskOperations.erode(mask, by: .millimetres(2))
        }
        let written = try NIfTIReader.read(out)
        var differ = 0, inside = 0
        for i in 0..<expected.geometry.voxelCount {
            if (written.voxels[i] != 0) != (expected.voxels[i] != 0) { differ += 1 }
            if written.voxels[i] != 0 { inside += 1 }
        }
        #expect(differ == 0 && inside > 0)
        #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("out.json").path))
    }

    @Test("usage and data errors exit 1 with the reason")
    func errors() throws {
        let dir = try TestPaths.temporaryDirectory("cli-mask-bad")
        defer { try? FileManager.default.removeItem(at: dir) }
        let (input, _) = try Self.ball(dir)
        let o = dir.appendingPathComponent("o.nii.gz").path
        let both = try KiraRun.run(["mask", "ring", input.path, "-o", o, "--mm", "2", "--voxels", "3"])
        #expect(both.status == 1 && both.stderr.contains("exactly one of --mm and --voxels"))
        let absent = try KiraRun.run(["mask", "label", input.path, "-o", o, "--keep", "5"])
        #expect(absent.status == 1 && absent.stderr.contains("labels present: 2"))
        #expect(!FileManager.default.fileExists(atPath: o))
    }

    @Test("habitats: fit on a cohort, write one mask per case, apply the saved model; a bad case is reported and the rest go on")
    func habitats() throws {
        let dir = try TestPaths.temporaryDirectory("cli-habitats")
        defer { try? FileManager.default.removeItem(at: dir) }
        let g = Geometry(size: [12, 6, 4], spacing: [1, 1, 2])
        var rows = ["id,t1,t2,mask"]
        var truth: [Int] = []
        for (p, scale) in [(1, 1.0), (2, 3.0)] {
            var rng = SplitMix64(seed: UInt64(p))
            var a = [Float](), b = [Float](), m = [UInt8]()
            truth = []
            for _ in 0..<4 { for _ in 0..<6 { for x in 0..<12 {
                let cls = x / 4
                a.append(Float(scale * ([100.0, 400, 250][cls] + 10 * (rng.unit() - 0.5))))
                b.append(Float(scale * ([300.0, 320, 700][cls] + 10 * (rng.unit() - 0.5))))
                m.append(1); truth.append(cls)
            } } }
            try NIfTIWriter.write(try Volume(geometry: g, voxels: .float32(a)), to: dir.appendingPathComponent("p\(p)_t1.nii.gz"))
            try NIfTIWriter.write(try Volume(geometry: g, voxels: .float32(b)), to: dir.appendingPathComponent("p\(p)_t2.nii.gz"))
            try NIfTIWriter.write(try Volume(geometry: g, voxels: .uint8(m)), to: dir.appendingPathComponent("p\(p)_mask.nii.gz"))
            rows.append("p\(p),p\(p)_t1.nii.gz,p\(p)_t2.nii.gz,p\(p)_mask.nii.gz")
        }
        rows.append("p3,missing_t1.nii.gz,p1_t2.nii.gz,p1_mask.nii.gz")
        let manifest = dir.appendingPathComponent("cases.csv")
        try (rows.joined(separator: "\n") + "\n").write(to: manifest, atomically: true, encoding: .utf8)
        let out = dir.appendingPathComponent("out")
        let r = try KiraRun.run(["mask", "habitats", "--manifest", manifest.path, "--images", "t1,t2", "--k", "2-5",
                                 "--out-dir", out.path, "--json"])
        #expect(r.status == 2, Comment(rawValue: r.stderr))
        #expect(r.stderr.contains("case p3") && r.stderr.contains("missing_t1"))
        #expect(r.json["k"] as? Int == 3)
        for p in [1, 2] {
            let h = try NIfTIReader.read(out.appendingPathComponent("p\(p)_habitats.nii.gz"))
            var map: [Int: Int] = [:], consistent = true
            for i in 0..<truth.count {
                let label = Int(h.voxels[i])
                if let known = map[truth[i]], known != label { consistent = false }
                map[truth[i]] = label
            }
            #expect(consistent && Set(map.values).count == 3)
        }
        // Applying the saved model reproduces the fitted masks.
        let again = dir.appendingPathComponent("again")
        let a = try KiraRun.run(["mask", "habitats", "--manifest", manifest.path, "--images", "t1,t2",
                                 "--model", out.appendingPathComponent("habitat_model.json").path, "--out-dir", again.path])
        #expect(a.status == 2)
        let first = try NIfTIReader.read(out.appendingPathComponent("p1_habitats.nii.gz"))
        let second = try NIfTIReader.read(again.appendingPathComponent("p1_habitats.nii.gz"))
        #expect(first.voxels == second.voxels)
    }
}
