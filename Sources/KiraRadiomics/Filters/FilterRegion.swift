import KiraCore

/// A box of voxels in an image grid: the part of the image a bounded filter needs around
/// the ROI.
struct FilterRegion: Equatable {
    var lo: SIMD3<Int>
    var size: SIMD3<Int>

    /// The mask's bounding box grown by `reach` voxels plus 10 mm (IBSI's local intensity
    /// peak looks 6.2 mm around ROI voxels). An axis whose box would leave the image, or
    /// end up shorter than 8 voxels, is kept whole. nil: nothing to crop (empty mask or the
    /// whole image).
    static func around(_ mask: Volume, in image: Volume, reach: SIMD3<Int>) throws -> FilterRegion? {
        let s = image.geometry.size
        guard mask.geometry.size == s, mask.timepoints == 1, mask.components == 1 else { return nil }
        var lo = s, hi = SIMD3(-1, -1, -1)
        let values = mask.voxels.toDoubles()
        var i = 0
        for z in 0..<s.z { for y in 0..<s.y { for x in 0..<s.x {
            if values[i] != 0 {
                lo = SIMD3(min(lo.x, x), min(lo.y, y), min(lo.z, z))
                hi = SIMD3(max(hi.x, x), max(hi.y, y), max(hi.z, z))
            }
            i += 1
        } } }
        guard hi.x >= 0 else { return nil }
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
        let s = v.geometry.size
        var g = v.geometry
        g.origin = v.geometry.physicalPoint(index: lo)
        g.size = size
        func pick<T>(_ a: [T]) -> [T] {
            var out: [T] = []
            out.reserveCapacity(size.x * size.y * size.z * v.timepoints * v.components)
            let c = v.components
            for t in 0..<v.timepoints { for z in lo.z..<(lo.z + size.z) { for y in lo.y..<(lo.y + size.y) {
                let row = (((t * s.z + z) * s.y + y) * s.x + lo.x) * c
                out.append(contentsOf: a[row..<(row + size.x * c)])
            } } }
            return out
        }
        let voxels: VoxelBuffer = switch v.voxels {
        case let .uint8(a): .uint8(pick(a))
        case let .int16(a): .int16(pick(a))
        case let .uint16(a): .uint16(pick(a))
        case let .int32(a): .int32(pick(a))
        case let .float32(a): .float32(pick(a))
        case let .float64(a): .float64(pick(a))
        }
        return try Volume(geometry: g, timepoints: v.timepoints, components: v.components, voxels: voxels, metadata: v.metadata)
    }
}
