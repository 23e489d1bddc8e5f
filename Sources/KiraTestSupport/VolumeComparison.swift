import KiraCore

/// Compares two volumes voxel by voxel in physical space, whatever their axis order or
/// flips (dcm2niix flips rows, Kira keeps DICOM order): each voxel of `a` is mapped to
/// world coordinates and back into `b`'s grid.
public struct VolumeComparison: Sendable, CustomStringConvertible {
    /// Largest distance in mm between a voxel centre of `a` and the nearest voxel centre of `b`.
    public var maxPositionError: Double
    /// Largest absolute difference between matched voxel values (first component).
    public var maxValueDifference: Double
    /// Voxels of `a` that fall outside `b`'s grid.
    public var outside: Int
    public var compared: Int

    public var description: String {
        "compared \(compared) voxels: max position error \(maxPositionError) mm, max value difference \(maxValueDifference), \(outside) outside"
    }

    public init(_ a: Volume, _ b: Volume) {
        let ga = a.geometry, gb = b.geometry
        let inv = gb.indexToPhysicalMatrix.inverse ?? .identity
        let m = inv * ga.indexToPhysicalMatrix
        let off = inv * (ga.origin - gb.origin)
        var maxPos = 0.0, maxVal = 0.0, outside = 0, compared = 0
        let t = min(a.timepoints, b.timepoints)
        for z in 0..<ga.size.z {
            for y in 0..<ga.size.y {
                for x in 0..<ga.size.x {
                    let q = m * SIMD3(Double(x), Double(y), Double(z)) + off
                    let r = q.rounded(.toNearestOrEven)
                    let err = norm(gb.indexToPhysicalMatrix * (q - r))
                    maxPos = max(maxPos, err)
                    let bi = SIMD3<Int>(Int(r.x), Int(r.y), Int(r.z))
                    guard bi.x >= 0, bi.y >= 0, bi.z >= 0, bi.x < gb.size.x, bi.y < gb.size.y, bi.z < gb.size.z else {
                        outside += 1; continue
                    }
                    for tt in 0..<t {
                        let va = a.voxels[a.linearIndex(x: x, y: y, z: z, t: tt)]
                        let vb = b.voxels[b.linearIndex(x: bi.x, y: bi.y, z: bi.z, t: tt)]
                        maxVal = max(maxVal, abs(va - vb))
                        compared += 1
                    }
                }
            }
        }
        maxPositionError = maxPos
        maxValueDifference = maxVal
        self.outside = outside
        self.compared = compared
    }
}
