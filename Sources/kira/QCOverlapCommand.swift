import ArgumentParser
import Foundation
import KiraCore
import KiraIO
import KiraQC

struct QCOverlapCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "overlap",
        abstract: "Agreement between two masks on one grid: Dice, Jaccard, volume similarity, Hausdorff, HD95, ASSD (mm).",
        discussion: """
        Masks are NIfTI/NRRD label maps on the same grid (a mismatch is an error naming what \
        differs); inside = non-zero, or = --label. Distances are physical (mm), between voxel \
        centres, using the grids' spacing.

        Dice, Jaccard and volume similarity 2(|A|−|B|)/(|A|+|B|) as ITK's \
        LabelOverlapMeasuresImageFilter; Hausdorff over all mask voxels as ITK's \
        HausdorffDistanceImageFilter. Surface = mask voxels with a face neighbour outside the \
        mask (the image edge counts as outside along axes longer than one voxel); HD95 = 95th \
        percentile of the pooled distances from each surface to the other, with linear \
        interpolation (numpy's default); ASSD = their mean.

        Empty masks: both empty → Dice 1, Jaccard 1, volume similarity 0, distances 0; one empty \
        → Dice 0, Jaccard 0, volume similarity ±2, distances null; a note says so on stderr and \
        in the JSON (key "note").

        \(QCOutput.exitText)
        """
    )

    @Option(name: .customLong("a"), help: "First mask (reader A).")
    var maskA: String

    @Option(name: .customLong("b"), help: "Second mask (reader B).")
    var maskB: String

    @Option(help: "Compare only this label value in both masks (default: every non-zero voxel).")
    var label: Int?

    @Flag(help: "Print one JSON document on stdout.")
    var json = false

    func validate() throws {
        for (flag, p) in [("--a", maskA), ("--b", maskB)] where !FileManager.default.fileExists(atPath: p) {
            throw ValidationError("\(flag) '\(p)' does not exist")
        }
        if let label, label == 0 { throw ValidationError("--label 0 is the background; choose a non-zero label") }
    }

    struct Report: Encodable {
        var a: String, b: String
        var dice: Double, jaccard: Double, volume_similarity: Double
        var hausdorff_mm: JSONNumber, hd95_mm: JSONNumber, assd_mm: JSONNumber, surface_hausdorff_mm: JSONNumber
        var voxels_a: Int, voxels_b: Int, voxels_both: Int
        var volume_a_mm3: Double, volume_b_mm3: Double
        var spacing: [Double]
        var note: String?
    }

    func run() throws {
        let m: OverlapMeasures
        let geometry: Geometry
        do {
            let a = try Self.readMask(maskA), b = try Self.readMask(maskB)
            let d = b.geometry.differences(from: a.geometry)
            guard d.isEmpty else { throw KiraError.gridMismatch(mask: maskB, image: maskA, differences: d) }
            geometry = a.geometry
            let l = label.map(Double.init)
            m = try OverlapMeasures.compute(a: LabelCounts.binary(a.voxels, label: l), b: LabelCounts.binary(b.voxels, label: l), geometry: geometry)
        } catch { throw QCOutput.fail("overlap", error) }
        if let note = m.note { QCOutput.warn("overlap", note) }
        if json {
            try QCOutput.printJSON(Report(a: maskA, b: maskB, dice: m.dice, jaccard: m.jaccard, volume_similarity: m.volumeSimilarity,
                                          hausdorff_mm: JSONNumber(m.hausdorff), hd95_mm: JSONNumber(m.hd95), assd_mm: JSONNumber(m.assd),
                                          surface_hausdorff_mm: JSONNumber(m.surfaceHausdorff),
                                          voxels_a: m.voxelsA, voxels_b: m.voxelsB, voxels_both: m.voxelsBoth,
                                          volume_a_mm3: m.volumeA, volume_b_mm3: m.volumeB,
                                          spacing: [geometry.spacing.x, geometry.spacing.y, geometry.spacing.z], note: m.note))
            return
        }
        let rows: [(String, String)] = [
            ("dice", QCOutput.format(m.dice)), ("jaccard", QCOutput.format(m.jaccard)),
            ("volume_similarity", QCOutput.format(m.volumeSimilarity)),
            ("hausdorff_mm", QCOutput.format(m.hausdorff)), ("hd95_mm", QCOutput.format(m.hd95)), ("assd_mm", QCOutput.format(m.assd)),
            ("voxels_a", String(m.voxelsA)), ("voxels_b", String(m.voxelsB)), ("voxels_both", String(m.voxelsBoth)),
        ]
        for (k, v) in rows { print(k.padding(toLength: 18, withPad: " ", startingAt: 0) + v) }
    }

    /// A single-component 3D label map; 4D or multi-component files are errors.
    static func readMask(_ path: String) throws -> Volume {
        let v = try ImageFileReader.read(URL(fileURLWithPath: path))
        guard v.components == 1, v.timepoints == 1 else {
            throw KiraError.unsupportedFormat(path: path, reason: "a mask must be one 3D label map; this file has \(v.timepoints) time points and \(v.components) components")
        }
        if let problem = v.geometry.validationErrors().first { throw KiraError.invalidGeometry(path: path, reason: problem) }
        return v
    }
}
