import Foundation

/// A grey level × j count matrix: j is the run length (GLRLM), zone size (GLSZM), zone
/// distance (GLDZM) or dependence count (NGLDM). The four families share their counting
/// shape and most of their formulas (IBSI 3.7–3.11).
struct GreyLevelJMatrix: Sendable {
    let ng: Int
    var nj: Int
    /// ng × nj counts, row i = grey level i+1, column j = j+1.
    var counts: [Double]
    /// N_v: voxels the matrix describes (summed when matrices are merged).
    var voxels: Double

    init(ng: Int, nj: Int) {
        self.ng = ng; self.nj = nj
        counts = [Double](repeating: 0, count: ng * nj)
        voxels = 0
    }

    @inline(__always) mutating func add(level: Int, j: Int, _ n: Double = 1) {
        if j > nj { grow(to: j) }
        counts[(level - 1) * nj + j - 1] += n
    }

    mutating func grow(to newJ: Int) {
        var c = [Double](repeating: 0, count: ng * newJ)
        for i in 0..<ng { for j in 0..<nj { c[i * newJ + j] = counts[i * nj + j] } }
        counts = c; nj = newJ
    }

    static func += (a: inout GreyLevelJMatrix, b: GreyLevelJMatrix) {
        if b.nj > a.nj { a.grow(to: b.nj) }
        for i in 0..<b.ng { for j in 0..<b.nj { a.counts[i * a.nj + j] += b.counts[i * b.nj + j] } }
        a.voxels += b.voxels
    }
}

/// Marginals of one grey level × j matrix, shared by its features.
struct GreyLevelJStats: Sendable {
    let ng: Int, nj: Int
    let counts: [Double]
    /// N_s: total count (runs, zones, voxels).
    let total: Double
    let voxels: Double
    let rows: [Double]
    let cols: [Double]

    init?(_ m: GreyLevelJMatrix) {
        var rows = [Double](repeating: 0, count: m.ng)
        var cols = [Double](repeating: 0, count: m.nj)
        var total = 0.0
        for i in 0..<m.ng {
            for j in 0..<m.nj {
                let v = m.counts[i * m.nj + j]
                rows[i] += v; cols[j] += v; total += v
            }
        }
        guard total > 0 else { return nil }
        ng = m.ng; nj = m.nj; counts = m.counts; voxels = m.voxels
        self.total = total; self.rows = rows; self.cols = cols
    }

    /// (1/N_s) Σ_i rows_i · f(i).
    func rowWeighted(_ f: (Double) -> Double) -> Double {
        var s = 0.0
        for i in 0..<ng where rows[i] > 0 { s += rows[i] * f(Double(i + 1)) }
        return s / total
    }

    func colWeighted(_ f: (Double) -> Double) -> Double {
        var s = 0.0
        for j in 0..<nj where cols[j] > 0 { s += cols[j] * f(Double(j + 1)) }
        return s / total
    }

    /// (1/N_s) Σ_ij m_ij · f(i, j).
    func weighted(_ f: (Double, Double) -> Double) -> Double {
        var s = 0.0
        for i in 0..<ng {
            for j in 0..<nj {
                let v = counts[i * nj + j]
                if v > 0 { s += v * f(Double(i + 1), Double(j + 1)) }
            }
        }
        return s / total
    }

    var greyLevelMean: Double { rowWeighted { $0 } }
    var jMean: Double { colWeighted { $0 } }

    var entropy: Double {
        var h = 0.0
        for v in counts where v > 0 { let p = v / total; h -= p * log2(p) }
        return h
    }

    var energy: Double {
        var e = 0.0
        for v in counts where v > 0 { let p = v / total; e += p * p }
        return e
    }
}

/// Grey level run length matrix counting (IBSI 3.7).
enum RunLengthCounter {
    /// Runs of equal grey level along `d` inside `region`; runs end at the mask border.
    static func count(_ grid: LevelGrid, direction d: SIMD3<Int>, region: TextureRegion) -> GreyLevelJMatrix {
        var m = GreyLevelJMatrix(ng: grid.greyLevels, nj: max(grid.nx, grid.ny, grid.nz))
        let zr = region.zRange(grid.nz)
        let nx = grid.nx, ny = grid.ny, nz = grid.nz
        let step = (d.z * ny + d.y) * nx + d.x
        var voxels = 0
        grid.levels.withUnsafeBufferPointer { lv in
            @inline(__always) func inside(_ x: Int, _ y: Int, _ z: Int) -> Bool {
                x >= 0 && x < nx && y >= 0 && y < ny && z >= 0 && z < nz && zr.contains(z)
            }
            for z in zr {
                for y in 0..<ny {
                    for x in 0..<nx {
                        let i = (z * ny + y) * nx + x
                        let l = lv[i]
                        guard l > 0 else { continue }
                        voxels += 1
                        // Only a run's first voxel starts a count.
                        if inside(x - d.x, y - d.y, z - d.z) && lv[i - step] == l { continue }
                        var length = 1
                        var (cx, cy, cz, ci) = (x + d.x, y + d.y, z + d.z, i + step)
                        while inside(cx, cy, cz) && lv[ci] == l {
                            length += 1
                            cx += d.x; cy += d.y; cz += d.z; ci += step
                        }
                        m.add(level: Int(l), j: length)
                    }
                }
            }
        }
        m.voxels = Double(voxels)
        return m
    }
}
