import Foundation
import KiraCore

/// Exact Euclidean distance transform on a 3D grid with anisotropic spacing, in mm.
///
/// The squared distance is separable, so it is computed as three 1D passes (x, then y, then z),
/// each the lower envelope of parabolas `f(q) + (s·(p − q))²` (Felzenszwalb & Huttenlocher,
/// "Distance transforms of sampled functions", Theory of Computing 8, 2012). Each pass is linear
/// in the line length and lines are independent, so every pass runs its lines concurrently.
///
/// Distances are between voxel centres; the buffer layout is Kira's (x fastest, then y, then z).
///
/// Empty feature set: when no voxel is a feature, no distance exists and every entry is
/// `+infinity` (callers test `isFinite`; nothing is NaN).
public enum EuclideanDistanceTransform {
    /// Squared distance (mm²) from every voxel to the nearest voxel whose mask value is non-zero;
    /// 0 on those voxels. `+infinity` everywhere when the mask has no non-zero voxel.
    public static func squaredDistances(to mask: [UInt8], size: SIMD3<Int>, spacing: SIMD3<Double>) -> [Double] {
        checkArguments(count: mask.count, size: size, spacing: spacing)
        var d = mask.map { $0 != 0 ? 0.0 : Double.infinity }
        transform(&d, size: size, spacing: spacing)
        return d
    }

    /// Distance (mm) from every voxel to the nearest non-zero voxel (the square root of `squaredDistances`).
    public static func distances(to mask: [UInt8], size: SIMD3<Int>, spacing: SIMD3<Double>) -> [Double] {
        var d = squaredDistances(to: mask, size: size, spacing: spacing)
        d.withUnsafeMutableBufferPointer { b in for i in b.indices { b[i] = b[i].squareRoot() } }
        return d
    }

    /// Squared distance (mm²) from every voxel to the nearest *background* voxel (mask value 0);
    /// 0 on background voxels. This is what erosion needs: a mask voxel survives an erosion by r
    /// mm when its value exceeds r².
    ///
    /// `outsideIsBackground`: when true the image is treated as surrounded by background, so a
    /// mask voxel on the border is one voxel spacing from the background beyond it; when false
    /// only voxels in the image count, and a mask filling the whole image gives `+infinity`.
    public static func squaredDistancesToBackground(of mask: [UInt8], size: SIMD3<Int>, spacing: SIMD3<Double>,
                                                    outsideIsBackground: Bool = false) -> [Double] {
        checkArguments(count: mask.count, size: size, spacing: spacing)
        guard outsideIsBackground else {
            var d = mask.map { $0 == 0 ? 0.0 : Double.infinity }
            transform(&d, size: size, spacing: spacing)
            return d
        }
        // One layer of background around the image, transformed, then cropped back.
        let p = size &+ 2
        var padded = [Double](repeating: 0, count: p.x * p.y * p.z)
        for z in 0..<size.z {
            for y in 0..<size.y {
                let src = (z * size.y + y) * size.x
                let dst = ((z + 1) * p.y + (y + 1)) * p.x + 1
                for x in 0..<size.x { padded[dst + x] = mask[src + x] == 0 ? 0 : .infinity }
            }
        }
        transform(&padded, size: p, spacing: spacing)
        var out = [Double](repeating: 0, count: mask.count)
        for z in 0..<size.z {
            for y in 0..<size.y {
                let src = ((z + 1) * p.y + (y + 1)) * p.x + 1
                let dst = (z * size.y + y) * size.x
                for x in 0..<size.x { out[dst + x] = padded[src + x] }
            }
        }
        return out
    }

    /// Distance (mm) from every voxel to the nearest background voxel; see `squaredDistancesToBackground`.
    public static func distancesToBackground(of mask: [UInt8], size: SIMD3<Int>, spacing: SIMD3<Double>,
                                             outsideIsBackground: Bool = false) -> [Double] {
        var d = squaredDistancesToBackground(of: mask, size: size, spacing: spacing, outsideIsBackground: outsideIsBackground)
        d.withUnsafeMutableBufferPointer { b in for i in b.indices { b[i] = b[i].squareRoot() } }
        return d
    }

    /// Replaces `f` (0 on features, +infinity elsewhere, or any non-negative sampled function)
    /// by its squared-distance transform `min_q f(q) + |p − q|²` in mm².
    public static func transform(_ f: inout [Double], size: SIMD3<Int>, spacing: SIMD3<Double>) {
        checkArguments(count: f.count, size: size, spacing: spacing)
        guard !f.isEmpty else { return }
        let strides = SIMD3(1, size.x, size.x * size.y)
        f.withUnsafeMutableBufferPointer { buffer in
            let base = SharedBuffer(base: buffer.baseAddress!)
            for axis in 0..<3 where size[axis] > 1 {  // a 1-voxel line is its own transform
                let n = size[axis]
                let stride = strides[axis]
                // Lines along `axis` are indexed by the other two coordinates.
                let (a, b) = axis == 0 ? (1, 2) : (axis == 1 ? (0, 2) : (0, 1))
                let lines = size[a] * size[b]
                let s = spacing[axis]
                let chunks = min(lines, 4 * activeProcessors)
                DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
                    var scratch = LineScratch(n)
                    let lo = chunk * lines / chunks, hi = (chunk + 1) * lines / chunks
                    for line in lo..<hi {
                        let start = (line % size[a]) * strides[a] + (line / size[a]) * strides[b]
                        scratch.run(base.base + start, count: n, stride: stride, spacing: s)
                    }
                }
            }
        }
    }

    private static let activeProcessors = max(1, ProcessInfo.processInfo.activeProcessorCount)

    private static func checkArguments(count: Int, size: SIMD3<Int>, spacing: SIMD3<Double>) {
        precondition(size.x >= 0 && size.y >= 0 && size.z >= 0 && count == size.x * size.y * size.z,
                     "distance transform: \(count) voxels for a \(size.x)×\(size.y)×\(size.z) grid")
        precondition((0..<3).allSatisfy { spacing[$0] > 0 && spacing[$0].isFinite },
                     "distance transform: spacing must be positive, got \(spacing)")
    }
}

/// A raw pointer shared by workers that each touch disjoint lines.
private struct SharedBuffer: @unchecked Sendable {
    let base: UnsafeMutablePointer<Double>
}


/// Per-worker buffers for the 1D lower envelope.
private struct LineScratch {
    var values: [Double]
    /// Positions (in mm) of the parabolas' apices on the envelope.
    var sites: [Double]
    var apex: [Double]
    /// Where each envelope parabola starts to be the lowest.
    var bounds: [Double]

    init(_ n: Int) {
        values = .init(repeating: 0, count: n)
        sites = .init(repeating: 0, count: n)
        apex = .init(repeating: 0, count: n)
        bounds = .init(repeating: 0, count: n + 1)
    }

    /// In place: line[p] ← min_q line[q] + (s·(p − q))²; infinite entries are not sites.
    mutating func run(_ line: UnsafeMutablePointer<Double>, count n: Int, stride: Int, spacing s: Double) {
        values.withUnsafeMutableBufferPointer { f in
        sites.withUnsafeMutableBufferPointer { v in
        apex.withUnsafeMutableBufferPointer { h in
        bounds.withUnsafeMutableBufferPointer { z in
            for i in 0..<n { f[i] = line[i * stride] }
            var k = -1
            for q in 0..<n {
                let fq = f[q]
                guard fq.isFinite else { continue }
                let xq = Double(q) * s
                if k < 0 {
                    k = 0; v[0] = xq; h[0] = fq; z[0] = -.infinity; z[1] = .infinity
                    continue
                }
                // Drop envelope parabolas that the new one undercuts everywhere they were lowest.
                // z[0] is -infinity, so the loop stops at the latest on the first parabola.
                var cross = ((fq + xq * xq) - (h[k] + v[k] * v[k])) / (2 * (xq - v[k]))
                while cross <= z[k] {
                    k -= 1
                    cross = ((fq + xq * xq) - (h[k] + v[k] * v[k])) / (2 * (xq - v[k]))
                }
                k += 1
                v[k] = xq; h[k] = fq; z[k] = cross; z[k + 1] = .infinity
            }
            guard k >= 0 else { return }  // no site on this line: it stays +infinity
            var j = 0
            for p in 0..<n {
                let xp = Double(p) * s
                while z[j + 1] < xp { j += 1 }
                let d = xp - v[j]
                line[p * stride] = h[j] + d * d
            }
        }}}}
    }
}
