import ArgumentParser
import Foundation
import KiraCore
import KiraIO
import KiraQC

struct QCGeometryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "geometry",
        abstract: "Check a segmentation against its image: grid, labels, size, border, components.",
        discussion: """
        IMAGE and MASK are NIfTI, NRRD or raster files. Checks (each finding is named):
          grid_mismatch        size, spacing, origin (mm) or direction (degrees) differ
          empty, tiny          no ROI voxel; under --min-voxels or --min-volume
          non_binary           more than one non-zero label, non-integer or NaN values
          touches_border       ROI on the first/last slice of an axis (size > 1)
          multiple_components  more than one connected piece (26-connectivity)
        Inside = every non-zero voxel. Border and component checks use the mask's own \
        grid.

        \(QCOutput.exitText)
        """
    )

    @Argument(help: "The image (NIfTI, NRRD, PNG/JPEG/TIFF).")
    var image: String

    @Argument(help: "The mask (label map) drawn on it.")
    var mask: String

    @Option(help: "An ROI with fewer voxels is reported as tiny.")
    var minVoxels: Int = 64

    @Option(help: "An ROI smaller than this volume (mm³) is reported as tiny (0 = off).")
    var minVolume: Double = 0

    @Flag(help: "Print one JSON document on stdout.")
    var json = false

    func validate() throws {
        for p in [image, mask] where !FileManager.default.fileExists(atPath: p) { throw ValidationError("'\(p)' does not exist") }
        guard minVoxels >= 0 else { throw ValidationError("--min-voxels must not be negative") }
        guard minVolume >= 0, minVolume.isFinite else { throw ValidationError("--min-volume must be a non-negative number of mm³") }
    }

    struct Grid: Encodable {
        var size: [Int], spacing: [Double], origin: [Double], direction: [[Double]]
        init(_ g: Geometry) {
            size = [g.size.x, g.size.y, g.size.z]
            spacing = [g.spacing.x, g.spacing.y, g.spacing.z]
            origin = [g.origin.x, g.origin.y, g.origin.z]
            direction = g.direction.columns.map { [$0.x, $0.y, $0.z] }
        }
    }

    struct Difference: Encodable {
        var kind: String
        var description: String
        var image: [Double]?
        var mask: [Double]?
        var distance_mm: Double?
        var axis: String?
        var degrees: Double?
        init(_ d: GeometryDifference) {
            description = d.description
            switch d {
            case let .size(m, i):
                kind = "size"; mask = [m.x, m.y, m.z].map(Double.init); image = [i.x, i.y, i.z].map(Double.init)
            case let .spacing(m, i):
                kind = "spacing"; mask = [m.x, m.y, m.z]; image = [i.x, i.y, i.z]
            case let .origin(distance):
                kind = "origin"; distance_mm = distance
            case let .direction(a, deg):
                kind = "direction"; axis = ["i", "j", "k"][a]; degrees = deg
            }
        }
    }

    struct Report: Encodable {
        struct Finding: Encodable { var check: String; var message: String }
        struct Label: Encodable { var value: Double; var voxels: Int }
        struct Box: Encodable { var lower: [Int]; var upper: [Int] }
        var image: String, mask: String
        var passed: Bool
        var findings: [Finding]
        var grid_matches: Bool
        var grid_differences: [Difference]
        var image_grid: Grid, mask_grid: Grid
        var labels: [Label]
        var non_finite_voxels: Int
        var voxel_count: Int
        var volume_mm3: Double
        var bounding_box: Box?
        var touches_border: [String]
        var components: Int
        var component_sizes: [Int]
    }

    func run() throws {
        let qc: SegmentationQC
        do {
            let img = try ImageFileReader.read(URL(fileURLWithPath: image))
            let m = try QCOverlapCommand.readMask(mask)
            qc = try SegmentationQC.check(image: img.geometry, mask: m, minVoxels: minVoxels, minVolume: minVolume)
        } catch { throw QCOutput.fail("geometry", error) }
        if json {
            try QCOutput.printJSON(Report(
                image: image, mask: mask, passed: qc.passed,
                findings: qc.findings.map { .init(check: $0.check.rawValue, message: $0.message) },
                grid_matches: qc.gridDifferences.isEmpty, grid_differences: qc.gridDifferences.map(Difference.init),
                image_grid: Grid(qc.imageGeometry), mask_grid: Grid(qc.maskGeometry),
                labels: qc.labels.map { .init(value: $0.value, voxels: $0.voxels) }, non_finite_voxels: qc.nonFiniteVoxels,
                voxel_count: qc.voxelCount, volume_mm3: qc.volume,
                bounding_box: qc.boundingBox.map { .init(lower: [$0.lower.x, $0.lower.y, $0.lower.z], upper: [$0.upper.x, $0.upper.y, $0.upper.z]) },
                touches_border: qc.borderFaces, components: qc.components.count, component_sizes: qc.components))
        } else {
            print("\(mask): \(qc.voxelCount) voxels, \(QCOutput.format(qc.volume)) mm³, \(qc.components.count) component(s)")
            if qc.passed { print("all checks passed") }
            for f in qc.findings { print("\(f.check.rawValue): \(f.message)") }
        }
        if !qc.passed { throw ExitCode(KiraExit.partial.rawValue) }
    }
}
