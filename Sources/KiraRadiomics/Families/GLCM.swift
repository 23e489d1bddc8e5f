import Foundation

/// Grey level co-occurrence matrix (IBSI 3.6): symmetric counts of grey-level pairs at
/// Chebyshev distance δ along one direction.
struct GLCMatrix: Sendable {
    let ng: Int
    /// ng × ng counts, row i = level i+1.
    var counts: [Double]

    init(ng: Int) { self.ng = ng; counts = [Double](repeating: 0, count: ng * ng) }

    var total: Double { counts.reduce(0, +) }

    static func += (a: inout GLCMatrix, b: GLCMatrix) {
        for i in 0..<a.counts.count { a.counts[i] += b.counts[i] }
    }

    /// Counts pairs (k, k + δ·d) inside `region`, both voxels in the intensity mask.
    static func count(_ grid: LevelGrid, direction d: SIMD3<Int>, distance: Int, region: TextureRegion) -> GLCMatrix {
        var m = GLCMatrix(ng: grid.greyLevels)
        let dx = d.x * distance, dy = d.y * distance, dz = d.z * distance
        let ng = grid.greyLevels
        let zr = region.zRange(grid.nz)
        grid.levels.withUnsafeBufferPointer { lv in
            m.counts.withUnsafeMutableBufferPointer { c in
                for z in zr {
                    let z2 = z + dz
                    guard z2 >= 0 && z2 < grid.nz else { continue }
                    for y in max(0, -dy)..<min(grid.ny, grid.ny - dy) {
                        let row = (z * grid.ny + y) * grid.nx
                        let row2 = (z2 * grid.ny + y + dy) * grid.nx + dx
                        for x in max(0, -dx)..<min(grid.nx, grid.nx - dx) {
                            let a = Int(lv[row + x])
                            guard a > 0 else { continue }
                            let b = Int(lv[row2 + x])
                            guard b > 0 else { continue }
                            c[(a - 1) * ng + b - 1] += 1
                            c[(b - 1) * ng + a - 1] += 1
                        }
                    }
                }
            }
        }
        return m
    }
}

/// Marginals and moments of one normalised GLCM, shared by its 25 features.
struct GLCMStats: Sendable {
    let ng: Int
    let p: [Double]
    let px: [Double]
    /// p_{x-y}(k), k = 0…ng-1.
    let diff: [Double]
    /// p_{x+y}(k), index k-2 for k = 2…2ng.
    let sum: [Double]
    let mu: Double
    let variance: Double
    let hxy: Double, hx: Double, hxy1: Double, hxy2: Double

    init?(_ m: GLCMatrix) {
        let total = m.total
        guard total > 0 else { return nil }
        ng = m.ng
        let p = m.counts.map { $0 / total }
        var px = [Double](repeating: 0, count: ng)
        var diff = [Double](repeating: 0, count: ng)
        var sum = [Double](repeating: 0, count: 2 * ng - 1)
        var hxy = 0.0
        for i in 0..<ng {
            for j in 0..<ng {
                let v = p[i * ng + j]
                guard v > 0 else { continue }
                px[i] += v
                diff[abs(i - j)] += v
                sum[i + j] += v
                hxy -= v * log2(v)
            }
        }
        var mu = 0.0
        for i in 0..<ng { mu += Double(i + 1) * px[i] }
        var variance = 0.0, hx = 0.0
        for i in 0..<ng where px[i] > 0 {
            variance += (Double(i + 1) - mu) * (Double(i + 1) - mu) * px[i]
            hx -= px[i] * log2(px[i])
        }
        var hxy1 = 0.0, hxy2 = 0.0
        for i in 0..<ng where px[i] > 0 {
            for j in 0..<ng where px[j] > 0 {
                let q = px[i] * px[j]
                hxy1 -= p[i * ng + j] * log2(q)
                hxy2 -= q * log2(q)
            }
        }
        self.p = p; self.px = px; self.diff = diff; self.sum = sum
        self.mu = mu; self.variance = variance
        self.hxy = hxy; self.hx = hx; self.hxy1 = hxy1; self.hxy2 = hxy2
    }

    /// Σ_ij f(i, j) p_ij with 1-based grey levels.
    @inline(__always) func weighted(_ f: (Double, Double) -> Double) -> Double {
        var s = 0.0
        for i in 0..<ng {
            for j in 0..<ng {
                let v = p[i * ng + j]
                if v > 0 { s += f(Double(i + 1), Double(j + 1)) * v }
            }
        }
        return s
    }
}
