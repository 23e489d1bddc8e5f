import Foundation
import KiraCore
import KiraPreprocess

/// Agreement between two binary masks on the same grid, with distances in mm.
///
/// Definitions (A = first mask, B = second; voxels are points at their centres):
/// - Dice = 2|A∩B| / (|A| + |B|); Jaccard = |A∩B| / |A∪B|;
///   volume similarity = 2(|A| − |B|) / (|A| + |B|) (ITK's LabelOverlapMeasuresImageFilter).
/// - Hausdorff = max(max_{a∈A} d(a, B), max_{b∈B} d(b, A)) over all mask voxels, as ITK's
///   HausdorffDistanceImageFilter computes it.
/// - Surface of a mask: its voxels with at least one of the 6 face neighbours outside the mask;
///   beyond the image edge counts as outside along axes with more than one voxel (so a 2D mask
///   gets an in-plane contour, not a surface made of every voxel).
/// - Surface distances: d(s, ∂B) for every s on ∂A and d(s, ∂A) for every s on ∂B, pooled.
///   ASSD = their mean; HD95 = their 95th percentile with linear interpolation between order
///   statistics (numpy's default `percentile`: rank h = 0.95·(N − 1)); `surfaceHausdorff` = their
///   maximum.
///
/// Empty masks: both empty → the masks agree by convention (Dice = Jaccard = 1, volume
/// similarity = 0, every distance 0); exactly one empty → Dice = Jaccard = 0, volume similarity
/// ±2, and no distance exists (nil, with `note` saying why). Nothing is ever NaN.
public struct OverlapMeasures: Sendable, Equatable {
    public var voxelsA: Int
    public var voxelsB: Int
    public var voxelsBoth: Int
    public var volumeA: Double
    public var volumeB: Double
    public var dice: Double
    public var jaccard: Double
    public var volumeSimilarity: Double
    public var hausdorff: Double?
    public var hd95: Double?
    public var assd: Double?
    public var surfaceHausdorff: Double?
    public var note: String?

    /// `a` and `b` hold one value per voxel of `geometry` (non-zero = inside).
    public static func compute(a: [UInt8], b: [UInt8], geometry g: Geometry) throws -> OverlapMeasures {
        guard a.count == g.voxelCount, b.count == g.voxelCount else {
            throw KiraError.invalidData("overlap: masks hold \(a.count) and \(b.count) voxels; the grid has \(g.voxelCount)")
        }
        var na = 0, nb = 0, both = 0
        for i in 0..<a.count {
            let x = a[i] != 0, y = b[i] != 0
            if x { na += 1 }
            if y { nb += 1 }
            if x && y { both += 1 }
        }
        let voxelVolume = g.spacing.x * g.spacing.y * g.spacing.z * abs(g.direction.determinant)
        var m = OverlapMeasures(voxelsA: na, voxelsB: nb, voxelsBoth: both, volumeA: Double(na) * voxelVolume,
                                volumeB: Double(nb) * voxelVolume, dice: 1, jaccard: 1, volumeSimilarity: 0,
                                hausdorff: 0, hd95: 0, assd: 0, surfaceHausdorff: 0, note: nil)
        if na == 0 && nb == 0 {
            m.note = "both masks are empty: they agree by convention (Dice 1, distances 0)"
            return m
        }
        m.dice = 2 * Double(both) / Double(na + nb)
        m.jaccard = Double(both) / Double(na + nb - both)
        m.volumeSimilarity = 2 * Double(na - nb) / Double(na + nb)
        if na == 0 || nb == 0 {
            m.hausdorff = nil; m.hd95 = nil; m.assd = nil; m.surfaceHausdorff = nil
            m.note = "mask \(na == 0 ? "A" : "B") is empty: surface distances are undefined"
            return m
        }
        // Every distance is between voxels of A, B or their surfaces, so the transforms only
        // need the bounding box of A ∪ B: exact, and far smaller than the image for a tumour.
        // Surfaces are found on the full grid first, where the image edge is known.
        let surfaceA = surface(of: a, size: g.size), surfaceB = surface(of: b, size: g.size)
        let box = boundingBox(a, b, size: g.size)
        let (ca, cb) = (crop(a, g.size, box), crop(b, g.size, box))
        let (sa, sb) = (crop(surfaceA, g.size, box), crop(surfaceB, g.size, box))
        let size = box.upper &- box.lower &+ 1, s = g.spacing
        var worst = 0.0
        do {
            let toB = EuclideanDistanceTransform.squaredDistances(to: cb, size: size, spacing: s)
            for i in 0..<ca.count where ca[i] != 0 { worst = max(worst, toB[i]) }
        }
        do {
            let toA = EuclideanDistanceTransform.squaredDistances(to: ca, size: size, spacing: s)
            for i in 0..<cb.count where cb[i] != 0 { worst = max(worst, toA[i]) }
        }
        m.hausdorff = worst.squareRoot()

        var pooled: [Double] = []
        do {
            let toSurfaceB = EuclideanDistanceTransform.squaredDistances(to: sb, size: size, spacing: s)
            for i in 0..<sa.count where sa[i] != 0 { pooled.append(toSurfaceB[i].squareRoot()) }
        }
        do {
            let toSurfaceA = EuclideanDistanceTransform.squaredDistances(to: sa, size: size, spacing: s)
            for i in 0..<sb.count where sb[i] != 0 { pooled.append(toSurfaceA[i].squareRoot()) }
        }
        pooled.sort()
        m.assd = pooled.reduce(0, +) / Double(pooled.count)
        m.hd95 = percentile(sorted: pooled, 0.95)
        m.surfaceHausdorff = pooled.last!
        return m
    }

    /// Lowest and highest index holding a voxel of either mask (at least one is non-empty).
    static func boundingBox(_ a: [UInt8], _ b: [UInt8], size: SIMD3<Int>) -> (lower: SIMD3<Int>, upper: SIMD3<Int>) {
        var lower = size, upper = SIMD3<Int>(repeating: -1)
        for z in 0..<size.z {
            for y in 0..<size.y {
                let row = (z * size.y + y) * size.x
                var first = -1, last = -1
                for x in 0..<size.x where a[row + x] != 0 || b[row + x] != 0 {
                    if first < 0 { first = x }
                    last = x
                }
                guard first >= 0 else { continue }
                lower = pointwiseMin(lower, SIMD3(first, y, z))
                upper = pointwiseMax(upper, SIMD3(last, y, z))
            }
        }
        return (lower, upper)
    }

    static func crop(_ m: [UInt8], _ size: SIMD3<Int>, _ box: (lower: SIMD3<Int>, upper: SIMD3<Int>)) -> [UInt8] {
        let n = box.upper &- box.lower &+ 1
        var out = [UInt8](repeating: 0, count: n.x * n.y * n.z)
        for z in 0..<n.z {
            for y in 0..<n.y {
                let src = ((z + box.lower.z) * size.y + (y + box.lower.y)) * size.x + box.lower.x
                let dst = (z * n.y + y) * n.x
                for x in 0..<n.x { out[dst + x] = m[src + x] }
            }
        }
        return out
    }

    /// Linear interpolation between order statistics at rank q·(N − 1) (numpy's default).
    public static func percentile(sorted v: [Double], _ q: Double) -> Double {
        let h = q * Double(v.count - 1)
        let lo = Int(h.rounded(.down))
        guard lo + 1 < v.count else { return v[v.count - 1] }
        return v[lo] + (h - Double(lo)) * (v[lo + 1] - v[lo])
    }

    /// Mask voxels with a face neighbour outside the mask (see the type's definition).
    public static func surface(of mask: [UInt8], size: SIMD3<Int>) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: mask.count)
        let sx = size.x, sxy = size.x * size.y
        for z in 0..<size.z {
            for y in 0..<size.y {
                for x in 0..<size.x {
                    let i = z * sxy + y * sx + x
                    guard mask[i] != 0 else { continue }
                    func outside(_ c: Int, _ n: Int, _ step: Int) -> Bool {
                        // Edges of a single-voxel axis are not edges of the object.
                        if n == 1 { return false }
                        return c == 0 || c == n - 1 || mask[i - step] == 0 || mask[i + step] == 0
                    }
                    if outside(x, size.x, 1) || outside(y, size.y, sx) || outside(z, size.z, sxy) { out[i] = 1 }
                }
            }
        }
        return out
    }
}
