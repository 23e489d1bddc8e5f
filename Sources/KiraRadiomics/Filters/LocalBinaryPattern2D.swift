import Foundation
import KiraCore
import KiraPreprocess

/// pyradiomics' LBP2D image type: scikit-image's `local_binary_pattern` on every slice.
/// P neighbours on a circle of radius R (in voxels), neighbour p at row offset −R sin(2πp/P)
/// and column offset R cos(2πp/P), both rounded to 5 decimals, read by bilinear interpolation
/// with zeros outside the slice; a neighbour ≥ the centre counts 1.
/// Methods: `default` (∑ s_p 2^p), `ror` (the smallest code over circular rotations),
/// `uniform` (∑ s_p when the pattern changes at most twice along p = 0…P−1, else P + 1).
enum LocalBinaryPattern2D {
    enum Method: String, CaseIterable { case `default`, ror, uniform }

    /// `dimension`: pyradiomics' force2Ddimension (0: slices along z, rows y, columns x;
    /// 1: along y, rows z, columns x; 2: along x, rows y, columns z).
    static func apply(_ image: Volume, radius: Double, samples: Int, method: Method, dimension: Int) throws -> Volume {
        let grid = try FilterGrid(image)
        let s = grid.size
        let (sliceAxis, rowAxis, colAxis) = [(2, 1, 0), (1, 2, 0), (0, 1, 2)][dimension]
        let stride = SIMD3(1, s.x, s.x * s.y)
        let rows = s[rowAxis], cols = s[colAxis]
        let rowStride = stride[rowAxis], colStride = stride[colAxis], sliceStride = stride[sliceAxis]
        let angles = (0..<samples).map { 2 * Double.pi * Double($0) / Double(samples) }
        let dr = angles.map { round5(-radius * sin($0)) }
        let dc = angles.map { round5(radius * cos($0)) }
        var out = [Double](repeating: 0, count: grid.count)
        let input = grid.values
        out.withUnsafeMutableBufferPointer { buf in
            let shared = SharedBuffer(p: buf.baseAddress!)
            parallelChunks(s[sliceAxis]) { slices in
                var bits = [Int](repeating: 0, count: samples)
                input.withUnsafeBufferPointer { v in
                    for k in slices {
                        let base = k * sliceStride
                        @inline(__always) func pixel(_ r: Int, _ c: Int) -> Double {
                            r < 0 || r >= rows || c < 0 || c >= cols ? 0 : v[base + r * rowStride + c * colStride]
                        }
                        for r in 0..<rows { for c in 0..<cols {
                            let centre = v[base + r * rowStride + c * colStride]
                            for p in 0..<samples {
                                let y = Double(r) + dr[p], x = Double(c) + dc[p]
                                let r0 = Int(y.rounded(.down)), c0 = Int(x.rounded(.down))
                                let r1 = Int(y.rounded(.up)), c1 = Int(x.rounded(.up))
                                let fy = y - Double(r0), fx = x - Double(c0)
                                let top = (1 - fx) * pixel(r0, c0) + fx * pixel(r0, c1)
                                let bottom = (1 - fx) * pixel(r1, c0) + fx * pixel(r1, c1)
                                bits[p] = (1 - fy) * top + fy * bottom - centre >= 0 ? 1 : 0
                            }
                            shared.p[base + r * rowStride + c * colStride] = code(bits, method)
                        } }
                    }
                }
            }
        }
        return try FilterGrid(size: s, values: out).volume(like: image)
    }

    static func code(_ bits: [Int], _ method: Method) -> Double {
        let n = bits.count
        switch method {
        case .default:
            var v = 0
            for p in 0..<n where bits[p] == 1 { v |= 1 << p }
            return Double(v)
        case .ror:
            var best = Int.max
            for shift in 0..<n {
                var v = 0
                for p in 0..<n where bits[(p + shift) % n] == 1 { v |= 1 << p }
                best = min(best, v)
            }
            return Double(best)
        case .uniform:
            var changes = 0
            for p in 0..<(n - 1) where bits[p] != bits[p + 1] { changes += 1 }
            return changes <= 2 ? Double(bits.reduce(0, +)) : Double(n + 1)
        }
    }

    /// numpy.round(x, 5).
    static func round5(_ x: Double) -> Double { (x * 1e5).rounded(.toNearestOrEven) / 1e5 }
}
