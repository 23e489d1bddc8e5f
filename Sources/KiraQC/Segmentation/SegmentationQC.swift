import Foundation
import KiraCore
import KiraPreprocess

/// Checks on a segmentation and the image it belongs to, each reported with its numbers.
///
/// - grid: the mask's grid against the image's (`GeometryTolerance.standard`): size, spacing,
///   origin distance in mm, angle between axes in degrees.
/// - labels: the distinct values in the mask; more than one non-zero value, or values that are
///   not whole numbers (or NaN/infinite), is "non-binary". Inside = every non-zero voxel.
/// - empty / tiny: no inside voxel, or fewer than `minVoxels` (or less than `minVolume` mm³).
/// - border: the ROI has voxels on the first or last slice of an axis; axes with a single voxel
///   (2D images) have no border.
/// - components: connected pieces of the ROI under 26-connectivity; more than one is reported.
///
/// Border and component checks run on the mask's own grid, so they are reported even when the
/// grid does not match the image's.
public struct SegmentationQC: Sendable {
    public enum Check: String, Sendable, CaseIterable, Codable {
        case gridMismatch = "grid_mismatch"
        case empty
        case tiny
        case nonBinary = "non_binary"
        case touchesBorder = "touches_border"
        case multipleComponents = "multiple_components"
    }

    public struct Finding: Sendable, Equatable {
        public var check: Check
        public var message: String
    }

    public var imageGeometry: Geometry
    public var maskGeometry: Geometry
    public var gridDifferences: [GeometryDifference]
    /// Non-zero finite values with their voxel counts.
    public var labels: [LabelCount]
    public var nonFiniteVoxels: Int
    public var voxelCount: Int
    public var volume: Double
    /// Lowest and highest voxel index of the ROI along x, y, z; nil for an empty mask.
    public var boundingBox: (lower: SIMD3<Int>, upper: SIMD3<Int>)?
    /// Faces the ROI touches, as "x-", "x+", "y-", "y+", "z-", "z+".
    public var borderFaces: [String]
    /// Component sizes in voxels, largest first.
    public var components: [Int]
    public var findings: [Finding]

    public var passed: Bool { findings.isEmpty }

    public static func check(image: Geometry, mask: Volume, minVoxels: Int = 64, minVolume: Double = 0) throws -> SegmentationQC {
        guard mask.components == 1, mask.timepoints == 1 else {
            throw KiraError.invalidArgument("a mask must be one 3D label map; this one has \(mask.timepoints) time points and \(mask.components) components")
        }
        let g = mask.geometry
        let differences = g.differences(from: image)
        let (allLabels, nonFinite) = LabelCounts.of(mask.voxels)
        let labels = allLabels.filter { $0.value != 0 }
        let inside = LabelCounts.binary(mask.voxels)
        let count = labels.reduce(0) { $0 + $1.voxels } + nonFinite
        let volume = Double(count) * g.spacing.x * g.spacing.y * g.spacing.z * abs(g.direction.determinant)

        var lower = SIMD3<Int>(repeating: .max), upper = SIMD3<Int>(repeating: -1)
        let s = g.size
        for z in 0..<s.z {
            for y in 0..<s.y {
                let row = (z * s.y + y) * s.x
                for x in 0..<s.x where inside[row + x] != 0 {
                    let p = SIMD3(x, y, z)
                    lower = pointwiseMin(lower, p); upper = pointwiseMax(upper, p)
                }
            }
        }
        let box = count > 0 ? (lower, upper) : nil
        var faces: [String] = []
        if let box {
            for (a, name) in ["x", "y", "z"].enumerated() where s[a] > 1 {
                if box.0[a] == 0 { faces.append(name + "-") }
                if box.1[a] == s[a] - 1 { faces.append(name + "+") }
            }
        }
        let components = ConnectedComponents.sizes(of: inside, size: s)

        var findings: [Finding] = []
        if !differences.isEmpty {
            findings.append(.init(check: .gridMismatch, message: "mask grid differs from the image grid: " + differences.map(\.description).joined(separator: "; ")))
        }
        if count == 0 {
            findings.append(.init(check: .empty, message: "the mask has no non-zero voxel"))
        } else if count < minVoxels || volume < minVolume {
            findings.append(.init(check: .tiny, message: "the ROI has \(count) voxels (\(fmt(volume)) mm³); minimum \(minVoxels) voxels" + (minVolume > 0 ? ", \(fmt(minVolume)) mm³" : "")))
        }
        let fractional = labels.filter { $0.value.rounded() != $0.value }
        if labels.count > 1 || !fractional.isEmpty || nonFinite > 0 {
            var parts: [String] = []
            if labels.count > 1 { parts.append("labels " + labels.map { "\(fmt($0.value)) (\($0.voxels) voxels)" }.joined(separator: ", ")) }
            if !fractional.isEmpty { parts.append("\(fractional.count) non-integer value(s), e.g. \(fmt(fractional[0].value))") }
            if nonFinite > 0 { parts.append("\(nonFinite) NaN or infinite voxel(s)") }
            findings.append(.init(check: .nonBinary, message: "the mask is not binary: " + parts.joined(separator: "; ")))
        }
        if !faces.isEmpty {
            findings.append(.init(check: .touchesBorder, message: "the ROI touches the image border at " + faces.joined(separator: ", ")))
        }
        if components.count > 1 {
            let shown = components.prefix(10).map(String.init).joined(separator: ", ") + (components.count > 10 ? ", …" : "")
            findings.append(.init(check: .multipleComponents, message: "the ROI has \(components.count) connected components (26-connectivity) of \(shown) voxels"))
        }
        return SegmentationQC(imageGeometry: image, maskGeometry: g, gridDifferences: differences, labels: labels,
                              nonFiniteVoxels: nonFinite, voxelCount: count, volume: volume, boundingBox: box,
                              borderFaces: faces, components: components, findings: findings)
    }

    private static func fmt(_ v: Double) -> String {
        v.rounded() == v && abs(v) < 1e15 ? String(Int(v)) : String(format: "%.6g", v)
    }
}
