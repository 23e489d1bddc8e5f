import Foundation
import KiraCore

/// Closed planar contours → voxels of an image grid.
///
/// Rule: each contour point (patient coordinates, mm) is mapped to continuous voxel indices
/// of the grid; a contour must lie on one slice (its points' slice index within
/// `sliceTolerance` of the same whole number). On its slice a voxel is inside when its
/// centre is inside the slice's contours by the even–odd rule, all contours of the ROI on
/// that slice taken together (so a contour inside another is a hole, a contour inside a
/// hole an island again). A centre exactly on a contour edge is decided as if it were moved
/// by an infinitesimal step towards increasing column, then increasing row index
/// (half-open rule): of two contours sharing an edge, exactly one owns the centres on it,
/// and a centre on a polygon's low-index edge is inside, on its high-index edge outside.
public enum RTStructRasteriser {
    /// Largest distance, in slices, of a contour from the slice it is put on (covers the
    /// float32 rounding of coordinates written by planning systems, not contours drawn
    /// between slices).
    public static let sliceTolerance = 0.05

    /// The ROI's contours as polygons of (column, row) continuous indices, keyed by slice.
    public static func slicePolygons(_ roi: RTStructROI, on g: Geometry, path: String) throws -> [Int: [[SIMD2<Double>]]] {
        var out: [Int: [[SIMD2<Double>]]] = [:]
        for (c, contour) in roi.contours.enumerated() {
            var polygon: [SIMD2<Double>] = []
            polygon.reserveCapacity(contour.count)
            var kMin = Double.infinity, kMax = -Double.infinity
            for p in contour {
                guard let q = g.continuousIndex(physical: p) else {
                    throw KiraError.invalidGeometry(path: path, reason: "the referenced image's direction matrix cannot be inverted")
                }
                polygon.append(SIMD2(q.x, q.y))
                kMin = min(kMin, q.z); kMax = max(kMax, q.z)
            }
            let k = ((kMin + kMax) / 2).rounded()
            guard abs(kMin - k) <= sliceTolerance, abs(kMax - k) <= sliceTolerance else {
                throw KiraError.invalidGeometry(path: path, reason: "contour \(c + 1) of ROI \"\(roi.name)\" does not lie on a slice of the referenced image (slice index \(kMin)…\(kMax))")
            }
            guard k >= 0, Int(k) < g.size.z else {
                throw KiraError.invalidGeometry(path: path, reason: "contour \(c + 1) of ROI \"\(roi.name)\" lies at slice index \(Int(k)), outside the referenced image's \(g.size.z) slices")
            }
            out[Int(k), default: []].append(polygon)
        }
        return out
    }

    /// A uint8 mask (1 inside) of `size`, voxel (i, j, k) at (k·ny + j)·nx + i.
    public static func rasterise(_ slices: [Int: [[SIMD2<Double>]]], size: SIMD3<Int>) -> [UInt8] {
        let nx = size.x, ny = size.y
        var mask = [UInt8](repeating: 0, count: size.x * size.y * size.z)
        var crossings: [Double] = []
        for (k, polygons) in slices {
            for j in 0..<ny {
                let y = Double(j)
                crossings.removeAll(keepingCapacity: true)
                for poly in polygons {
                    var prev = poly[poly.count - 1]
                    for cur in poly {
                        // Half-open in y: an edge counts when it spans y with one end strictly above.
                        if (cur.y > y) != (prev.y > y) {
                            crossings.append(prev.x + (y - prev.y) * (cur.x - prev.x) / (cur.y - prev.y))
                        }
                        prev = cur
                    }
                }
                guard crossings.count >= 2 else { continue }
                crossings.sort()
                let row = (k * ny + j) * nx
                var m = 0
                while m + 1 < crossings.count {
                    // Centres i with crossings[m] ≤ i < crossings[m+1]: an odd number of edges lie strictly to their right.
                    let lo = max(0, Int(crossings[m].rounded(.up)))
                    let hi = min(nx, Int(crossings[m + 1].rounded(.up)))
                    if lo < hi { for i in lo..<hi { mask[row + i] = 1 } }
                    m += 2
                }
            }
        }
        return mask
    }
}
