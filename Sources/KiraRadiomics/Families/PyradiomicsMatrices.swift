/// pyradiomics' texture matrices (pyradiomics 3.x, `cmatrices`), counted on the ROI cropped
/// to its bounding box, in numpy's (z, y, x) index order so angle lists and matrix layouts
/// are pyradiomics' own.

/// Grey levels of the cropped ROI: 1…`ng` inside the mask, 0 outside; x fastest.
public struct PyradiomicsLevels: Sendable {
    public let nx: Int, ny: Int, nz: Int
    public let levels: [Int32]
    /// Highest grey level (pyradiomics' Ng).
    public let ng: Int
    /// Grey levels present in the ROI, ascending.
    public let present: [Int]

    public init(nx: Int, ny: Int, nz: Int, levels: [Int32]) {
        self.nx = nx; self.ny = ny; self.nz = nz
        self.levels = levels
        var seen = Set<Int32>()
        for l in levels where l > 0 { seen.insert(l) }
        present = seen.map(Int.init).sorted()
        ng = present.last ?? 0
    }

    /// Size in numpy order (z, y, x).
    var shape: SIMD3<Int> { SIMD3(nz, ny, nx) }
}

/// pyradiomics' angle set: every offset (dz, dy, dx) whose Chebyshev norm is one of the
/// distances, visited from +max to −max on each axis; offsets that cannot fit inside the ROI's
/// bounding box, or leave the force2D plane, are dropped; one of each ± pair unless bidirectional.
public enum PyradiomicsAngles {
    public static func generate(shape: SIMD3<Int>, distances: [Int], bidirectional: Bool = false,
                                force2D: Bool = false, force2DDimension: Int = 0) -> [SIMD3<Int>] {
        let maxD = distances.max() ?? 1
        var out: [SIMD3<Int>] = []
        for dz in stride(from: maxD, through: -maxD, by: -1) {
            for dy in stride(from: maxD, through: -maxD, by: -1) {
                for dx in stride(from: maxD, through: -maxD, by: -1) {
                    let a = SIMD3(dz, dy, dx)
                    let norm = max(abs(dz), abs(dy), abs(dx))
                    guard norm > 0, distances.contains(norm) else { continue }
                    if (0..<3).contains(where: { abs(a[$0]) >= shape[$0] }) { continue }
                    if force2D && a[force2DDimension] != 0 { continue }
                    if !bidirectional {
                        let positive = dz > 0 || (dz == 0 && (dy > 0 || (dy == 0 && dx > 0)))
                        if !positive { continue }
                    }
                    out.append(a)
                }
            }
        }
        return out
    }
}

/// The raw counts, before pyradiomics' Python post-processing.
enum PyradiomicsCounter {
    @inline(__always) static func offset(_ a: SIMD3<Int>, _ g: PyradiomicsLevels) -> Int { (a[0] * g.ny + a[1]) * g.nx + a[2] }

    @inline(__always) static func inside(_ z: Int, _ y: Int, _ x: Int, _ a: SIMD3<Int>, _ g: PyradiomicsLevels) -> Bool {
        let zz = z + a[0], yy = y + a[1], xx = x + a[2]
        return zz >= 0 && zz < g.nz && yy >= 0 && yy < g.ny && xx >= 0 && xx < g.nx
    }

    /// GLCM per angle: counts[a][(i − 1) * ng + (j − 1)], asymmetric.
    static func glcm(_ g: PyradiomicsLevels, angles: [SIMD3<Int>]) -> [[Double]] {
        let ng = g.ng
        return angles.map { a in
            var m = [Double](repeating: 0, count: ng * ng)
            let off = offset(a, g)
            g.levels.withUnsafeBufferPointer { lv in
                var i = 0
                for z in 0..<g.nz { for y in 0..<g.ny { for x in 0..<g.nx {
                    let li = Int(lv[i])
                    if li > 0, inside(z, y, x, a, g) {
                        let lj = Int(lv[i + off])
                        if lj > 0 { m[(li - 1) * ng + lj - 1] += 1 }
                    }
                    i += 1
                } } }
            }
            return m
        }
    }

    /// GLRLM per angle: counts[a][(level − 1) * maxRun + (run − 1)]. An angle along which no
    /// line holds two ROI voxels is emptied (pyradiomics drops such flat angles).
    static func glrlm(_ g: PyradiomicsLevels, angles: [SIMD3<Int>], maxRun: Int) -> [[Double]] {
        let ng = g.ng
        return angles.map { a in
            var m = [Double](repeating: 0, count: ng * maxRun)
            var multiElement = false
            let off = offset(a, g)
            g.levels.withUnsafeBufferPointer { lv in
                var start = 0
                for z in 0..<g.nz { for y in 0..<g.ny { for x in 0..<g.nx {
                    defer { start += 1 }
                    // A line starts where the previous voxel along −a is outside the box.
                    if inside(z, y, x, 0 &- a, g) { continue }
                    var zz = z, yy = y, xx = x, j = start
                    var gl: Int32 = -1, run = 0, elements = 0
                    while zz >= 0 && zz < g.nz && yy >= 0 && yy < g.ny && xx >= 0 && xx < g.nx {
                        let l = lv[j]
                        if l > 0 {
                            elements += 1
                            if l == gl { run += 1 } else {
                                if gl > 0 { m[(Int(gl) - 1) * maxRun + run] += 1 }
                                gl = l; run = 0
                            }
                        } else if gl > 0 {
                            m[(Int(gl) - 1) * maxRun + run] += 1
                            gl = -1
                        }
                        zz += a[0]; yy += a[1]; xx += a[2]; j += off
                    }
                    if gl > 0 { m[(Int(gl) - 1) * maxRun + run] += 1 }
                    if elements > 1 { multiElement = true }
                } } }
            }
            if !multiElement { for l in 0..<ng { m[l * maxRun] = 0 } }
            return m
        }
    }

    /// GLSZM zones: (level, size) of every connected zone of equal level, neighbours being the
    /// offsets ±a of the distance-1 angle set.
    static func zones(_ g: PyradiomicsLevels, angles: [SIMD3<Int>]) -> [(level: Int, size: Int)] {
        var visited = [Bool](repeating: false, count: g.levels.count)
        var out: [(Int, Int)] = []
        var stack: [Int] = []
        let n = g.nx * g.ny
        let both = angles + angles.map { 0 &- $0 }
        let offs = both.map { offset($0, g) }
        g.levels.withUnsafeBufferPointer { lv in
            for seed in 0..<lv.count where lv[seed] > 0 && !visited[seed] {
                let gl = lv[seed]
                visited[seed] = true
                stack.append(seed)
                var size = 0
                while let c = stack.popLast() {
                    size += 1
                    let z = c / n, y = (c % n) / g.nx, x = c % g.nx
                    for (k, a) in both.enumerated() where inside(z, y, x, a, g) {
                        let j = c + offs[k]
                        if !visited[j] && lv[j] == gl { visited[j] = true; stack.append(j) }
                    }
                }
                out.append((Int(gl), size))
            }
        }
        return out
    }

    /// GLDM: counts[(level − 1) * (2 Na + 1) + dependence], dependence = neighbours (both
    /// directions of every angle) in the ROI whose level differs by at most α.
    static func gldm(_ g: PyradiomicsLevels, angles: [SIMD3<Int>], alpha: Int) -> [Double] {
        let width = 2 * angles.count + 1
        var m = [Double](repeating: 0, count: g.ng * width)
        let both = angles + angles.map { 0 &- $0 }
        let offs = both.map { offset($0, g) }
        g.levels.withUnsafeBufferPointer { lv in
            var i = 0
            for z in 0..<g.nz { for y in 0..<g.ny { for x in 0..<g.nx {
                let li = Int(lv[i])
                if li > 0 {
                    var dep = 0
                    for (k, a) in both.enumerated() where inside(z, y, x, a, g) {
                        let lj = Int(lv[i + offs[k]])
                        if lj > 0 && abs(li - lj) <= alpha { dep += 1 }
                    }
                    m[(li - 1) * width + dep] += 1
                }
                i += 1
            } } }
        }
        return m
    }

    /// NGTDM: per level, the voxel count n (every ROI voxel, with or without neighbours) and
    /// s, the sum of |level − mean level of its ROI neighbours| (0 without neighbours).
    static func ngtdm(_ g: PyradiomicsLevels, angles: [SIMD3<Int>]) -> (n: [Double], s: [Double]) {
        var n = [Double](repeating: 0, count: g.ng), s = [Double](repeating: 0, count: g.ng)
        let both = angles + angles.map { 0 &- $0 }
        let offs = both.map { offset($0, g) }
        g.levels.withUnsafeBufferPointer { lv in
            var i = 0
            for z in 0..<g.nz { for y in 0..<g.ny { for x in 0..<g.nx {
                let li = Int(lv[i])
                if li > 0 {
                    var count = 0.0, sum = 0.0
                    for (k, a) in both.enumerated() where inside(z, y, x, a, g) {
                        let lj = lv[i + offs[k]]
                        if lj > 0 { count += 1; sum += Double(lj) }
                    }
                    n[li - 1] += 1
                    s[li - 1] += count == 0 ? 0 : abs(Double(li) - sum / count)
                }
                i += 1
            } } }
        }
        return (n, s)
    }
}
