import KiraCore

/// A box of voxels in an image grid: the part of the image a bounded filter needs around
/// the ROI.
public struct FilterRegion: Equatable, Sendable {
    public var lo: SIMD3<Int>
    public var size: SIMD3<Int>

    public init(lo: SIMD3<Int>, size: SIMD3<Int>) {
        self.lo = lo
        self.size = size
    }

    /// The mask's bounding box grown by `reach` voxels plus 10 mm (IBSI's local intensity
    /// peak looks 6.2 mm around ROI voxels). An axis whose box would leave the image, or
    /// end up shorter than 8 voxels, is kept whole. nil: nothing to crop (empty mask or the
    /// whole image).
    static func around(_ mask: Volume, in image: Volume, reach: SIMD3<Int>) throws -> FilterRegion? {
        let s = image.geometry.size
        guard mask.geometry.size == s, mask.timepoints == 1, mask.components == 1 else { return nil }
        guard let (lo, hi) = nonZeroBoundingBox(mask.voxels.nonZeroMask(), size: s) else { return nil }
        let context = ImageFilters.voxels(10, image.geometry.spacing)
        var region = FilterRegion(lo: .zero, size: s)
        for a in 0..<3 {
            let m = reach[a] + context[a]
            let first = lo[a] - m, last = hi[a] + m
            if first >= 0, last < s[a], last - first + 1 >= 8 {
                region.lo[a] = first
                region.size[a] = last - first + 1
            }
        }
        return region.size == s ? nil : region
    }

    /// The box's voxels as a volume of the same type, placed where they were.
    func crop(_ v: Volume) throws -> Volume {
        try v.cropped(lo: lo, size: size)
    }
}
