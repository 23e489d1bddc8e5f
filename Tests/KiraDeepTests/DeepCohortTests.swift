import Foundation
import KiraTestSupport
import Testing

/// `kira deep features --manifest` (issue 21): each cohort row is single-case `kira deep
/// features`' row for that case, byte for byte (single-case mode is checked against ONNX
/// Runtime in DeepCropTests); a rerun reuses every case and rewrites nothing; a changed mask
/// recomputes that case alone; bad cases are named in the failures file while the others go on.
@Suite("kira deep features --manifest", .serialized)
struct DeepCohortTests {
    /// A 16×16 Conv(3→4, 3×3) → Relu → GlobalAveragePool network with seeded weights (the
    /// onnx helper, written by pyenv's python3), and five 40×40×3 NIfTI cases (nibabel): three
    /// with an elliptical tumour on slice 1, one with an empty mask, one image that is not a file
    /// any reader takes.
    static func fixture(_ dir: URL) throws {
        _ = try PythonPeer.run("""
        import sys, os, numpy as np, nibabel as nib, onnx
        from onnx import helper, numpy_helper, TensorProto
        d = sys.argv[1]
        def model(seed, path):
            rng = np.random.default_rng(seed)
            w = numpy_helper.from_array(rng.standard_normal((4, 3, 3, 3)).astype(np.float32), "w")
            b = numpy_helper.from_array(rng.standard_normal(4).astype(np.float32), "b")
            x = helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", 3, 16, 16])
            y = helper.make_tensor_value_info("pooled", TensorProto.FLOAT, ["N", 4, 1, 1])
            nodes = [helper.make_node("Conv", ["input", "w", "b"], ["conv"], kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
                     helper.make_node("Relu", ["conv"], ["relu"]),
                     helper.make_node("GlobalAveragePool", ["relu"], ["pooled"])]
            g = helper.make_graph(nodes, "tiny", [x], [y], initializer=[w, b])
            onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)]), path)
        model(21, os.path.join(d, "tiny.onnx"))
        model(22, os.path.join(d, "tiny_other.onnx"))
        affine = np.diag([0.7, 0.7, 2.0, 1.0])
        yy, xx = np.mgrid[0:40, 0:40]
        def ellipse(cx, cy, rx, ry):
            m = np.zeros((40, 40, 3), np.uint8)
            m[..., 1] = (((xx - cx) / rx) ** 2 + ((yy - cy) / ry) ** 2 <= 1).T
            return m
        for k, (cx, cy, rx, ry) in enumerate([(20, 20, 6, 4), (15, 22, 4, 7), (24, 18, 8, 5)], start=1):
            img = np.random.default_rng(k).normal(100 * k, 30, (40, 40, 3)).astype(np.float32)
            nib.save(nib.Nifti1Image(img, affine), os.path.join(d, f"c{k}.nii.gz"))
            nib.save(nib.Nifti1Image(ellipse(cx, cy, rx, ry), affine), os.path.join(d, f"c{k}_mask.nii.gz"))
        nib.save(nib.Nifti1Image(ellipse(19, 19, 5, 9), affine), os.path.join(d, "c2_mask_new.nii.gz"))
        nib.save(nib.Nifti1Image(np.zeros((40, 40, 3), np.uint8), affine), os.path.join(d, "empty_mask.nii.gz"))
        open(os.path.join(d, "broken.nii.gz"), "wb").write(b"not an image")
        """, arguments: [dir.path])
        try "id,image,mask\nc1,c1.nii.gz,c1_mask.nii.gz\nc2,c2.nii.gz,c2_mask.nii.gz\nc3,c3.nii.gz,c3_mask.nii.gz\n"
            .write(to: dir.appendingPathComponent("cases.csv"), atomically: true, encoding: .utf8)
        try """
        id,image,mask
        c1,c1.nii.gz,c1_mask.nii.gz
        empty,c2.nii.gz,empty_mask.nii.gz
        c3,c3.nii.gz,c3_mask.nii.gz
        broken,broken.nii.gz,c1_mask.nii.gz

        """.write(to: dir.appendingPathComponent("bad.csv"), atomically: true, encoding: .utf8)
    }

    static let settings = ["--crop", "tumour", "--crop", "tumour+ring:2mm", "--input", "2d", "--prefix", "tiny"]

    static func lines(_ url: URL) throws -> [String] {
        try String(contentsOf: url, encoding: .utf8).split(separator: "\n").map(String.init)
    }

    /// Header and value cells (after the id) of single-case `kira deep features` for one case.
    static func single(_ dir: URL, image: String, mask: String, model: String = "tiny.onnx") throws -> (header: String, cells: String) {
        let out = dir.appendingPathComponent("single-\(UUID().uuidString).csv")
        let r = try KiraRun.run(["deep", "features", "--model", dir.appendingPathComponent(model).path,
                                 "--image", dir.appendingPathComponent(image).path, "--mask", dir.appendingPathComponent(mask).path,
                                 "-o", out.path] + settings)
        try #require(r.status == 0, "\(r.stderr)")
        let l = try lines(out)
        try #require(l.count == 2)
        return (l[0], String(l[1].drop { $0 != "," }))
    }

    @Test func cohortRowsEqualSingleCaseAndResume() throws {
        let dir = try TestPaths.temporaryDirectory("kira-deep-cohort")
        defer { try? FileManager.default.removeItem(at: dir) }
        try Self.fixture(dir)
        let out = dir.appendingPathComponent("deep.csv")
        let cohort = ["deep", "features", "--model", dir.appendingPathComponent("tiny.onnx").path,
                      "--manifest", dir.appendingPathComponent("cases.csv").path, "-o", out.path, "--jobs", "2"] + Self.settings
        let first = try KiraRun.run(cohort)
        try #require(first.status == 0, "\(first.stderr)")
        #expect(first.stderr.contains("kira deep features: 3 of 3 cases in \(out.path)"), "\(first.stderr)")

        // Two crops × four channels, each row the single-case row's cells exactly.
        let table = try Self.lines(out)
        #expect(table.count == 4)
        for (k, row) in table.dropFirst().enumerated() {
            let one = try Self.single(dir, image: "c\(k + 1).nii.gz", mask: "c\(k + 1)_mask.nii.gz")
            #expect(table[0] == one.header)
            #expect(one.header == "id," + (["tumour", "peri2mm"].flatMap { c in (1...4).map { "tiny_\(c)_f000\($0)" } }).joined(separator: ","))
            #expect(row == "c\(k + 1)" + one.cells, "case c\(k + 1)")
        }
        #expect(!FileManager.default.fileExists(atPath: out.path + ".failures.csv"))
        #expect(!FileManager.default.fileExists(atPath: out.path + ".journal"))
        let provenance = try String(contentsOf: URL(fileURLWithPath: out.path + ".provenance.json"), encoding: .utf8)
        #expect(provenance.contains("\"model_fnv1a64\"") && provenance.contains("\"crop_records\""))

        // A rerun computes nothing and leaves the table and provenance byte-identical.
        let before = try [out.path, out.path + ".provenance.json"].map { try Data(contentsOf: URL(fileURLWithPath: $0)) }
        let again = try KiraRun.run(cohort)
        #expect(again.status == 0, "\(again.stderr)")
        #expect(again.stderr.contains("3 of 3 cases already in deep.csv with unchanged inputs, reused"), "\(again.stderr)")
        #expect(!again.stderr.contains("recomputed"))
        let after = try [out.path, out.path + ".provenance.json"].map { try Data(contentsOf: URL(fileURLWithPath: $0)) }
        #expect(before == after)

        // c2's mask changes: c2 alone is recomputed, and its row is single-case mode's on the new mask.
        let mask2 = dir.appendingPathComponent("c2_mask.nii.gz")
        try FileManager.default.removeItem(at: mask2)
        try FileManager.default.copyItem(at: dir.appendingPathComponent("c2_mask_new.nii.gz"), to: mask2)
        let changed = try KiraRun.run(cohort)
        #expect(changed.status == 0, "\(changed.stderr)")
        let recomputed = changed.stderr.split(separator: "\n").filter { $0.hasSuffix(", recomputed") }
        #expect(recomputed.count == 1 && recomputed[0].hasPrefix("kira deep features: case 'c2': mask changed"), "\(changed.stderr)")
        #expect(changed.stderr.contains("2 of 3 cases already in deep.csv with unchanged inputs, reused"), "\(changed.stderr)")
        let newTable = try Self.lines(out)
        let newC2 = try Self.single(dir, image: "c2.nii.gz", mask: "c2_mask.nii.gz")
        #expect(newTable[2] == "c2" + newC2.cells)
        #expect(newTable[2] != table[2])
        #expect(newTable[1] == table[1] && newTable[3] == table[3])

        // Another model file at the same settings is another key: the table is kept and the run refused.
        let other = try KiraRun.run(["deep", "features", "--model", dir.appendingPathComponent("tiny_other.onnx").path,
                                     "--manifest", dir.appendingPathComponent("cases.csv").path, "-o", out.path] + Self.settings)
        #expect(other.status == 1 && other.stderr.contains("was computed with other settings"), "\(other.stderr)")
        #expect(try Self.lines(out) == newTable)
    }

    @Test func badCasesAreNamedAndTheOthersGoOn() throws {
        let dir = try TestPaths.temporaryDirectory("kira-deep-cohort-bad")
        defer { try? FileManager.default.removeItem(at: dir) }
        try Self.fixture(dir)
        let out = dir.appendingPathComponent("deep.csv")
        let r = try KiraRun.run(["deep", "features", "--model", dir.appendingPathComponent("tiny.onnx").path,
                                 "--manifest", dir.appendingPathComponent("bad.csv").path, "-o", out.path, "--jobs", "2"] + Self.settings)
        #expect(r.status == 2, "\(r.stderr)")
        #expect(r.stderr.contains("kira deep features: case 'empty' failed:") && r.stderr.contains("case 'broken' failed:"), "\(r.stderr)")
        #expect(r.stderr.contains("2 of 4 cases in \(out.path); 2 failed, listed in deep.csv.failures.csv"), "\(r.stderr)")
        let failures = try Self.lines(URL(fileURLWithPath: out.path + ".failures.csv"))
        #expect(failures.count == 3 && failures[0] == "id,status,reason", "\(failures)")
        #expect(failures[1].hasPrefix("empty,failed,") && failures[1].contains("empty_mask.nii.gz has no non-zero voxels"), "\(failures)")
        #expect(failures[2].hasPrefix("broken,failed,") && failures[2].contains("broken.nii.gz"), "\(failures)")
        let table = try Self.lines(out)
        #expect(table.map { String($0.prefix { $0 != "," }) } == ["id", "c1", "c3"])
        #expect(table[2] == "c3" + (try Self.single(dir, image: "c3.nii.gz", mask: "c3_mask.nii.gz")).cells)
        #expect(leftoverTemporaries(in: dir).isEmpty)
    }

    /// SIGINT while the journal fills: exit 130, no table, no temporary file; the rerun resumes
    /// from the journal (the interrupted cases are not computed again) and writes every row.
    @Test func interruptLeavesNothingHalfWrittenAndTheRerunResumes() throws {
        let dir = try TestPaths.temporaryDirectory("kira-deep-cohort-interrupt")
        defer { try? FileManager.default.removeItem(at: dir) }
        try Self.fixture(dir)
        let ids = (0..<120).map { String(format: "k%03d", $0) }
        try (["id,image,mask"] + ids.enumerated().map { "\($1),c\($0 % 3 + 1).nii.gz,c\($0 % 3 + 1)_mask.nii.gz" })
            .joined(separator: "\n").write(to: dir.appendingPathComponent("many.csv"), atomically: true, encoding: .utf8)
        let out = dir.appendingPathComponent("deep.csv")
        let journal = out.path + ".journal"
        func journalled() -> Int { ((try? String(contentsOfFile: journal, encoding: .utf8)) ?? "").split(separator: "\n").count }
        let base = ["deep", "features", "--model", dir.appendingPathComponent("tiny.onnx").path, "--manifest",
                    dir.appendingPathComponent("many.csv").path, "-o", out.path] + Self.settings
        let stopped = try KiraRun.interrupt(base + ["--quiet"], with: SIGINT, within: 20) { journalled() >= 1 }
        try #require(stopped.wasRunning, "kira ended before it could be interrupted")
        let stderr = stopped.stderr
        #expect(stopped.normalExit && stopped.status == 130, "\(stderr)")
        #expect(stderr.contains("kira deep features: interrupted (SIGINT); ") && stderr.contains(" of 120 cases done"), "\(stderr)")
        let kept = journalled()
        #expect(kept >= 1 && kept < 120)
        #expect(!FileManager.default.fileExists(atPath: out.path) && !FileManager.default.fileExists(atPath: out.path + ".provenance.json"))
        #expect(leftoverTemporaries(in: dir).isEmpty)

        let rerun = try KiraRun.run(base)
        #expect(rerun.status == 0, "\(rerun.stderr)")
        #expect(rerun.stderr.contains("\(kept) of 120 cases already in deep.csv with unchanged inputs, reused"), "\(rerun.stderr)")
        let table = try Self.lines(out)
        #expect(table.dropFirst().map { String($0.prefix { $0 != "," }) } == ids)
        let c1 = try Self.single(dir, image: "c1.nii.gz", mask: "c1_mask.nii.gz")
        #expect(table[1] == "k000" + c1.cells && table[4] == "k003" + c1.cells)
        #expect(!FileManager.default.fileExists(atPath: journal))
    }
}
