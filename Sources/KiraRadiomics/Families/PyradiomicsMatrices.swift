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

    /// The levels inside a −1 border one voxel wide, built once for every counter of the
    /// map (one with a larger distance builds its own).
    let padded: PaddedLevels

    public init(nx: Int, ny: Int, nz: Int, levels: [Int32]) {
        self.nx = nx; self.ny = ny; self.nz = nz
        self.levels = levels
        // Levels run from 1 to a few hundred at most: a flag per level, not a hashed set.
        let top = Int(levels.max() ?? 0)
        var seen = [Bool](repeating: false, count: max(top, 0) + 1)
        for l in levels where l > 0 { seen[Int(l)] = true }
        present = seen.indices.filter { $0 > 0 && seen[$0] }
        ng = present.last ?? 0
        padded = PaddedLevels(nx: nx, ny: ny, nz: nz, levels: levels, pad: 1)
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

/// The levels of a `PyradiomicsLevels` inside a border of `pad` voxels marked −1 (outside
/// the box; 0 stays "in the box, outside the ROI"). With the border no neighbour lookup
/// needs a bounds test: a neighbour outside the box reads −1, which no level equals, and a
/// line along an angle ends where it meets −1.
struct PaddedLevels {
    /// Where the box's voxels sit in the padded array (x fastest).
    struct Layout {
        let nx: Int, ny: Int, nz: Int, pad: Int
        var px: Int { nx + 2 * pad }
        var py: Int { ny + 2 * pad }
        var count: Int { px * py * (nz + 2 * pad) }

        /// Index step of the numpy-order offset (dz, dy, dx).
        func offset(_ a: SIMD3<Int>) -> Int { (a[0] * py + a[1]) * px + a[2] }

        /// The index steps of every angle and of its opposite (a voxel's whole neighbourhood).
        func offsets(bothWays angles: [SIMD3<Int>]) -> [Int] { (angles + angles.map { 0 &- $0 }).map(offset) }

        /// Calls `body` with the padded index of every box voxel, x fastest.
        @inline(__always)
        func forEachBoxVoxel(_ body: (Int) -> Void) {
            let (px, py) = (self.px, self.py)
            for z in 0..<nz { for y in 0..<ny {
                let row = ((z + pad) * py + y + pad) * px + pad
                for x in 0..<nx { body(row + x) }
            } }
        }
    }

    let layout: Layout
    var levels: [Int32]
    /// Padded indices of the ROI's voxels (level > 0), in box order (x fastest). The ROI is
    /// often a small part of its box, so the counters walk this list, not the box.
    let roi: [Int]

    /// `g`'s padded levels with a border wide enough for `angles`.
    static func of(_ g: PyradiomicsLevels, angles: [SIMD3<Int>]) -> PaddedLevels {
        let pad = max(1, angles.map { max(abs($0[0]), abs($0[1]), abs($0[2])) }.max() ?? 1)
        return pad <= g.padded.layout.pad ? g.padded : PaddedLevels(nx: g.nx, ny: g.ny, nz: g.nz, levels: g.levels, pad: pad)
    }

    init(nx: Int, ny: Int, nz: Int, levels: [Int32], pad: Int) {
        let layout = Layout(nx: nx, ny: ny, nz: nz, pad: pad)
        var out = [Int32](repeating: -1, count: layout.count)
        var roi: [Int] = []
        roi.reserveCapacity(levels.count)
        out.withUnsafeMutableBufferPointer { o in
            levels.withUnsafeBufferPointer { lv in
                var from = 0
                layout.forEachBoxVoxel { to in
                    let l = lv[from]
                    o[to] = l
                    if l > 0 { roi.append(to) }
                    from += 1
                }
            }
        }
        self.layout = layout
        self.levels = out
        self.roi = roi
    }

    /// Whether some line along the index step `off` meets the ROI at two voxels or more.
    func hasLineWithTwoROIVoxels(along off: Int) -> Bool {
        levels.withUnsafeBufferPointer { lv in
            for start in roi {
                var j = start + off
                while lv[j] >= 0 {
                    if lv[j] > 0 { return true }
                    j += off
                }
            }
            return false
        }
    }
}

/// The raw counts, before pyradiomics' Python post-processing.
enum PyradiomicsCounter {
    /// GLCM per angle: counts[a][(i − 1) * ng + (j − 1)], asymmetric.
    static func glcm(_ g: PyradiomicsLevels, angles: [SIMD3<Int>]) -> [[Double]] {
        let ng = g.ng
        let padded = PaddedLevels.of(g, angles: angles)
        return angles.map { a in
            var m = [Double](repeating: 0, count: ng * ng)
            let off = padded.layout.offset(a)
            padded.levels.withUnsafeBufferPointer { lv in
                m.withUnsafeMutableBufferPointer { m in
                    for i in padded.roi {
                        let lj = Int(lv[i + off])
                        if lj > 0 { m[(Int(lv[i]) - 1) * ng + lj - 1] += 1 }
                    }
                }
            }
            return m
        }
    }

    /// GLRLM per angle: counts[a][(level − 1) * maxRun + (run − 1)]. An angle along which no
    /// line holds two ROI voxels is emptied (pyradiomics drops such flat angles).
    static func glrlm(_ g: PyradiomicsLevels, angles: [SIMD3<Int>], maxRun: Int) -> [[Double]] {
        let ng = g.ng
        let padded = PaddedLevels.of(g, angles: angles)
        return angles.map { a in
            var m = [Double](repeating: 0, count: ng * maxRun)
            let off = padded.layout.offset(a)
            // A run starts at an ROI voxel whose predecessor along a holds another level (or
            // is outside the ROI or the box); it goes on while the level stays the same.
            var longest = 0
            padded.levels.withUnsafeBufferPointer { lv in
                m.withUnsafeMutableBufferPointer { m in
                    for start in padded.roi {
                        let l = lv[start]
                        guard lv[start - off] != l else { continue }
                        var j = start + off, run = 1
                        while lv[j] == l { run += 1; j += off }
                        m[(Int(l) - 1) * maxRun + run - 1] += 1
                        longest = max(longest, run)
                    }
                }
            }
            // A run of two is a line with two ROI voxels; with only single runs, look for a line
            // holding two ROI voxels apart.
            let multiElement = longest > 1 || padded.hasLineWithTwoROIVoxels(along: off)
            if !multiElement { for l in 0..<ng { m[l * maxRun] = 0 } }
            return m
        }
    }

    /// GLSZM zones: (level, size) of every connected zone of equal level, neighbours being the
    /// offsets ±a of the distance-1 angle set.
    static func zones(_ g: PyradiomicsLevels, angles: [SIMD3<Int>]) -> [(level: Int, size: Int)] {
        // Visited voxels are set to 0 in this copy, so they match no level again.
        var padded = PaddedLevels.of(g, angles: angles)
        var out: [(Int, Int)] = []
        let offs = padded.layout.offsets(bothWays: angles)
        let stack = UnsafeMutablePointer<Int>.allocate(capacity: max(1, g.nx * g.ny * g.nz))
        defer { stack.deallocate() }
        let roi = padded.roi
        padded.levels.withUnsafeMutableBufferPointer { lv in
            offs.withUnsafeBufferPointer { offs in
                for seed in roi {
                    let gl = lv[seed]
                    guard gl > 0 else { continue }
                    lv[seed] = 0
                    stack[0] = seed
                    var top = 1, size = 0
                    while top > 0 {
                        top -= 1
                        let c = stack[top]
                        size += 1
                        for o in offs where lv[c + o] == gl {
                            lv[c + o] = 0
                            stack[top] = c + o
                            top += 1
                        }
                    }
                    out.append((Int(gl), size))
                }
            }
        }
        return out
    }

    /// GLDM: counts[(level − 1) * (2 Na + 1) + dependence], dependence = neighbours (both
    /// directions of every angle) in the ROI whose level differs by at most α.
    static func gldm(_ g: PyradiomicsLevels, angles: [SIMD3<Int>], alpha: Int) -> [Double] {
        let width = 2 * angles.count + 1
        var m = [Double](repeating: 0, count: g.ng * width)
        let padded = PaddedLevels.of(g, angles: angles)
        let offs = padded.layout.offsets(bothWays: angles)
        padded.levels.withUnsafeBufferPointer { lv in
            offs.withUnsafeBufferPointer { offs in
                m.withUnsafeMutableBufferPointer { m in
                    for i in padded.roi {
                        let li = Int(lv[i])
                        // Counted with sign masks, not branches: whether a neighbour qualifies
                        // is data, not a pattern a branch predictor learns (the compiler turns
                        // a conditional increment back into a branch).
                        var dep = 0
                        for o in offs {
                            let lj = Int(lv[i + o])
                            let inROI = (0 &- lj) >> 63              // −1 when lj > 0
                            let far = (alpha &- abs(li &- lj)) >> 63  // −1 when |li − lj| > α
                            dep &-= inROI & ~far
                        }
                        m[(li - 1) * width + dep] += 1
                    }
                }
            }
        }
        return m
    }

    /// NGTDM: per level, the voxel count n (every ROI voxel, with or without neighbours) and
    /// s, the sum of |level − mean level of its ROI neighbours| (0 without neighbours).
    static func ngtdm(_ g: PyradiomicsLevels, angles: [SIMD3<Int>]) -> (n: [Double], s: [Double]) {
        var n = [Double](repeating: 0, count: g.ng), s = [Double](repeating: 0, count: g.ng)
        let padded = PaddedLevels.of(g, angles: angles)
        let offs = padded.layout.offsets(bothWays: angles)
        padded.levels.withUnsafeBufferPointer { lv in
            offs.withUnsafeBufferPointer { offs in
                n.withUnsafeMutableBufferPointer { n in
                    s.withUnsafeMutableBufferPointer { s in
                        for i in padded.roi {
                            let li = Int(lv[i])
                            // Integer sums without branches (a neighbour outside the ROI adds 0):
                            // the levels are small integers, so these equal the double sums.
                            var count = 0, sum = 0
                            for o in offs {
                                let lj = Int(max(lv[i + o], 0))
                                count &+= min(lj, 1)
                                sum &+= lj
                            }
                            n[li - 1] += 1
                            s[li - 1] += count == 0 ? 0 : abs(Double(li) - Double(sum) / Double(count))
                        }
                    }
                }
            }
        }
        return (n, s)
    }
}
