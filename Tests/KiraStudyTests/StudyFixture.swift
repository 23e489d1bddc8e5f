import Foundation
import KiraCore
import KiraIO
import KiraTestSupport

/// A small synthetic cohort written as NIfTI files: one MR-like modality, two readers, a
/// planted signal (the tumour's intensity spread is larger in high cases, with overlap),
/// survival driven by the label, three splits.
struct StudyFixture {
    let dir: URL
    let cases: Int
    var studyFile: URL { dir.appendingPathComponent("study.yaml") }
    var cohortFile: URL { dir.appendingPathComponent("cases.csv") }
    var results: URL { dir.appendingPathComponent("results") }
    static let geometry = Geometry(size: [20, 20, 12], spacing: [1, 1, 1.5], origin: [-10, -10, -9])

    static func split(_ i: Int, of n: Int) -> String {
        i < n * 6 / 10 ? "train" : i < n * 8 / 10 ? "internal" : "external"
    }

    /// `high`: the case's label; reader 2's mask has a radius half a voxel larger on odd cases.
    static func caseVolumes(_ i: Int, seed: UInt64 = 19) -> (image: [Float], r1: [UInt8], r2: [UInt8], high: Bool, ki67: Double) {
        var rng = SplitMix64(seed: seed &* 1000 &+ UInt64(i))
        func normal() -> Double {
            let u = max(rng.unit(), 1e-12), v = rng.unit()
            return (-2 * log(u)).squareRoot() * cos(2 * .pi * v)
        }
        let high = i % 2 == 0
        let ki67 = high ? 25 + 40 * rng.unit() : 3 + 15 * rng.unit()
        let spread = high ? 18 + 24 * rng.unit() : 8 + 20 * rng.unit()
        let g = geometry
        let radius = 3.5 + rng.unit()
        let centre = SIMD3<Double>(10 + rng.unit() - 0.5, 10 + rng.unit() - 0.5, 6)
        var image = [Float](repeating: 0, count: g.voxelCount)
        var r1 = [UInt8](repeating: 0, count: g.voxelCount), r2 = r1
        for z in 0..<g.size.z { for y in 0..<g.size.y { for x in 0..<g.size.x {
            let k = x + g.size.x * (y + g.size.y * z)
            let d = SIMD3<Double>(Double(x) - centre.x, Double(y) - centre.y, (Double(z) - centre.z) * 1.5)
            let r = (d * d).sum().squareRoot()
            let inside = r <= radius
            image[k] = Float(inside ? 200 + spread * normal() : 100 + 6 * normal())
            if inside { r1[k] = 1 }
            if r <= radius + (i % 2 == 1 ? 0.6 : 0) { r2[k] = 1 }
        } } }
        return (image, r1, r2, high, ki67)
    }

    /// Writes `cases` cases and the study file; `extra` is appended to the study file.
    static func make(cases: Int = 30, study: String? = nil) throws -> StudyFixture {
        let dir = try TestPaths.temporaryDirectory("kira-study")
        let f = StudyFixture(dir: dir, cases: cases)
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("images"), withIntermediateDirectories: true)
        var csv = CSVWriter(header: ["case_id", "ki67", "set", "dfs_months", "dfs_event", "mr_path", "mr_r1", "mr_r2"])
        for i in 0..<cases {
            let id = String(format: "case%03d", i)
            let v = caseVolumes(i)
            let g = geometry
            let img = "images/\(id)_mr.nii.gz", m1 = "images/\(id)_r1.nii.gz", m2 = "images/\(id)_r2.nii.gz"
            try NIfTIWriter.write(try Volume(geometry: g, voxels: .float32(v.image)), to: dir.appendingPathComponent(img))
            try NIfTIWriter.write(try Volume(geometry: g, voxels: .uint8(v.r1)), to: dir.appendingPathComponent(m1))
            try NIfTIWriter.write(try Volume(geometry: g, voxels: .uint8(v.r2)), to: dir.appendingPathComponent(m2))
            var rng = SplitMix64(seed: 77 &+ UInt64(i))
            let t = -log(max(rng.unit(), 1e-12)) / (v.high ? 0.05 : 0.012)
            let time = min(t, 60), event = t < 60
            csv.append([id, String(format: "%.1f", v.ki67), split(i, of: cases), String(format: "%.2f", time), event ? "1" : "0",
                        img, m1, i % 3 == 2 ? "" : m2])
        }
        try csv.write(to: f.cohortFile)
        try (study ?? Self.defaultStudy).write(to: f.studyFile, atomically: true, encoding: .utf8)
        return f
    }

    static let defaultStudy = """
    cohort: cases.csv
    id: case_id
    label: {column: ki67, threshold: 20}
    split: {column: set}
    survival: {time: dfs_months, event: dfs_event}
    modalities:
      mr:
        image: mr_path
        masks: [mr_r1, mr_r2]
        features: {preset: default}
    regions: [tumour, ring:2mm]
    reproducibility: {form: ICC2, min: 0.80}
    selection: [zscore, mwu:0.2, corr:0.9]
    models: {lr: {C: [0.1, 1]}, svm: {C: 1}}
    validation: {cv: 3, repeats: 2, seed: 0}
    output: results/

    """

    /// Every file under `results` (cache and ledger excluded) with its bytes.
    /// Every output file's bytes by relative path (per-study reports too), but the cache and ledger.
    func outputs() throws -> [String: Data] {
        var out: [String: Data] = [:]
        func add(_ dir: URL, _ prefix: String) throws {
            for name in try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted()
            where !name.hasPrefix("ledger.sqlite") && name != "cache" {
                let url = dir.appendingPathComponent(name)
                var isDir: ObjCBool = false
                if FileManager.default.fileExists(atPath: url.path, isDirectory: &isDir), isDir.boolValue {
                    try add(url, prefix + name + "/")
                } else {
                    out[prefix + name] = try Data(contentsOf: url)
                }
            }
        }
        try add(results, "")
        return out
    }

    func remove() { try? FileManager.default.removeItem(at: dir) }
}
