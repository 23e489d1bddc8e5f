import KiraCore

/// The IBSI diagnostic features: what the image and the ROI masks look like after each
/// preprocessing step, so two implementations can find where they part ways.
public struct ImageDiagnostics: Sendable, Codable, Equatable {
    public var size: [Int]
    public var spacing: [Double]
    public var mean: Double
    public var min: Double
    public var max: Double

    public init(_ image: Volume) {
        let g = image.geometry
        size = [g.size.x, g.size.y, g.size.z]
        spacing = [g.spacing.x, g.spacing.y, g.spacing.z]
        let (s, lo, hi) = image.voxels.sumMinMax()
        mean = s / Double(g.voxelCount); min = lo; max = hi
    }
}

public struct ROIDiagnostics: Sendable, Codable, Equatable {
    public var size: [Int]
    public var intensityBoundingBox: [Int]
    public var morphologicalBoundingBox: [Int]
    public var intensityVoxels: Int
    public var morphologicalVoxels: Int
    /// Intensities inside the intensity mask; nil when it is empty.
    public var mean: Double?
    public var min: Double?
    public var max: Double?

    public init(image: Volume, masks: ROIMasks) {
        let g = masks.geometry
        size = [g.size.x, g.size.y, g.size.z]
        intensityBoundingBox = Self.boundingBox(masks.intensity, g.size)
        morphologicalBoundingBox = Self.boundingBox(masks.morphological, g.size)
        morphologicalVoxels = masks.morphological.reduce(0) { $0 + Int($1) }
        var n = 0, s = 0.0, lo = Double.infinity, hi = -Double.infinity
        for i in masks.intensity.indices where masks.intensity[i] != 0 {
            let v = image.voxels[i]
            n += 1; s += v; lo = Swift.min(lo, v); hi = Swift.max(hi, v)
        }
        intensityVoxels = n
        mean = n > 0 ? s / Double(n) : nil
        min = n > 0 ? lo : nil
        max = n > 0 ? hi : nil
    }

    /// Extent in voxels along x, y, z of the non-zero voxels; zeros for an empty mask.
    public static func boundingBox(_ mask: [UInt8], _ size: SIMD3<Int>) -> [Int] {
        guard let (lo, hi) = nonZeroBoundingBox(mask, size: size) else { return [0, 0, 0] }
        return [hi.x - lo.x + 1, hi.y - lo.y + 1, hi.z - lo.z + 1]
    }
}
