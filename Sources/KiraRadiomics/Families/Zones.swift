/// Zones of linked voxels sharing a grey level (GLSZM, GLDZM; IBSI 3.8–3.9): 8-connected in a
/// slice, 26-connected in 3D.
enum ZoneCounter {
    struct Zone { let level: Int32; let size: Int; let distance: Int32 }

    /// Every zone in `region`, with its minimum edge distance taken from `distances`.
    static func zones(_ grid: LevelGrid, distances: [Int32], region: TextureRegion) -> [Zone] {
        let nx = grid.nx, ny = grid.ny, nz = grid.nz
        let zr = region.zRange(nz)
        var offsets: [SIMD3<Int>] = []
        let dzs = region.isSlice ? [0] : [-1, 0, 1]
        for dz in dzs { for dy in -1...1 { for dx in -1...1 where dx != 0 || dy != 0 || dz != 0 { offsets.append([dx, dy, dz]) } } }
        var seen = [Bool](repeating: false, count: grid.levels.count)
        var stack: [Int] = []
        var out: [Zone] = []
        grid.levels.withUnsafeBufferPointer { lv in
            for z in zr {
                for y in 0..<ny {
                    for x in 0..<nx {
                        let start = (z * ny + y) * nx + x
                        let l = lv[start]
                        guard l > 0, !seen[start] else { continue }
                        seen[start] = true
                        stack.append(start)
                        var size = 0
                        var dmin = Int32.max
                        while let i = stack.popLast() {
                            size += 1
                            dmin = min(dmin, distances[i])
                            let cx = i % nx, cy = (i / nx) % ny, cz = i / (nx * ny)
                            for o in offsets {
                                let ax = cx + o.x, ay = cy + o.y, az = cz + o.z
                                guard ax >= 0, ax < nx, ay >= 0, ay < ny, az >= 0, az < nz, zr.contains(az) else { continue }
                                let j = (az * ny + ay) * nx + ax
                                if !seen[j] && lv[j] == l { seen[j] = true; stack.append(j) }
                            }
                        }
                        out.append(Zone(level: l, size: size, distance: max(dmin, 1)))
                    }
                }
            }
        }
        return out
    }

    /// Distance of each morphological-mask voxel to the ROI edge, counted in face steps
    /// (4-connected per slice in 2D, 6-connected in 3D); voxels touching the outside are 1.
    static func edgeDistances(_ roi: ROIGrid, sliceWise: Bool) -> [Int32] {
        let nx = roi.nx, ny = roi.ny, nz = roi.nz
        let mask = roi.morphologicalMask
        var d = [Int32](repeating: 0, count: roi.count)
        var offsets: [SIMD3<Int>] = [[1, 0, 0], [-1, 0, 0], [0, 1, 0], [0, -1, 0]]
        if !sliceWise { offsets += [[0, 0, 1], [0, 0, -1]] }
        var frontier: [Int] = []
        for z in 0..<nz {
            for y in 0..<ny {
                for x in 0..<nx {
                    let i = (z * ny + y) * nx + x
                    guard mask[i] else { continue }
                    for o in offsets {
                        let ax = x + o.x, ay = y + o.y, az = z + o.z
                        if ax < 0 || ax >= nx || ay < 0 || ay >= ny || az < 0 || az >= nz || !mask[(az * ny + ay) * nx + ax] {
                            d[i] = 1; frontier.append(i); break
                        }
                    }
                }
            }
        }
        var level: Int32 = 1
        while !frontier.isEmpty {
            var next: [Int] = []
            level += 1
            for i in frontier {
                let x = i % nx, y = (i / nx) % ny, z = i / (nx * ny)
                for o in offsets {
                    let ax = x + o.x, ay = y + o.y, az = z + o.z
                    guard ax >= 0, ax < nx, ay >= 0, ay < ny, az >= 0, az < nz else { continue }
                    let j = (az * ny + ay) * nx + ax
                    if mask[j] && d[j] == 0 { d[j] = level; next.append(j) }
                }
            }
            frontier = next
        }
        return d
    }

    /// GLSZM (size) and GLDZM (distance) of `region`.
    static func matrices(_ grid: LevelGrid, distances: [Int32], region: TextureRegion) -> (size: GreyLevelJMatrix, distance: GreyLevelJMatrix) {
        let zs = zones(grid, distances: distances, region: region)
        var s = GreyLevelJMatrix(ng: grid.greyLevels, nj: 1)
        var d = GreyLevelJMatrix(ng: grid.greyLevels, nj: 1)
        let maxSize = zs.map(\.size).max() ?? 1
        let maxDist = Int(zs.map(\.distance).max() ?? 1)
        s.grow(to: maxSize); d.grow(to: maxDist)
        var voxels = 0
        for zone in zs {
            s.add(level: Int(zone.level), j: zone.size)
            d.add(level: Int(zone.level), j: Int(zone.distance))
            voxels += zone.size
        }
        s.voxels = Double(voxels); d.voxels = Double(voxels)
        return (s, d)
    }
}

/// Neighbourhood grey tone difference (NGTDM, IBSI 3.10) and neighbouring grey level
/// dependence (NGLDM, IBSI 3.11) counting: both look at every intensity-mask voxel's
/// Chebyshev neighbourhood.
enum NeighbourhoodCounter {
    struct NGTDM: Sendable {
        var s: [Double]
        var n: [Double]
        init(ng: Int) { s = [Double](repeating: 0, count: ng); n = s }
        static func += (a: inout NGTDM, b: NGTDM) {
            for i in 0..<a.s.count { a.s[i] += b.s[i]; a.n[i] += b.n[i] }
        }
    }

    static func count(_ grid: LevelGrid, distance: Int, alpha: Int, region: TextureRegion) -> (ngtdm: NGTDM, ngldm: GreyLevelJMatrix) {
        let nx = grid.nx, ny = grid.ny, nz = grid.nz
        let zr = region.zRange(nz)
        var offsets: [Int] = []
        var deltas: [SIMD3<Int>] = []
        let dz = region.isSlice ? 0 : distance
        for oz in -dz...dz { for oy in -distance...distance { for ox in -distance...distance where ox != 0 || oy != 0 || oz != 0 {
            deltas.append([ox, oy, oz]); offsets.append((oz * ny + oy) * nx + ox)
        } } }
        var t = NGTDM(ng: grid.greyLevels)
        var m = GreyLevelJMatrix(ng: grid.greyLevels, nj: deltas.count + 1)
        var voxels = 0
        grid.levels.withUnsafeBufferPointer { lv in
            for z in zr {
                for y in 0..<ny {
                    for x in 0..<nx {
                        let i = (z * ny + y) * nx + x
                        let l = Int(lv[i])
                        guard l > 0 else { continue }
                        voxels += 1
                        var sum = 0, w = 0, dependent = 0
                        let interior = x >= distance && x < nx - distance && y >= distance && y < ny - distance
                            && z >= dz && z < nz - dz
                        for k in 0..<deltas.count {
                            if !interior {
                                let o = deltas[k]
                                let ax = x + o.x, ay = y + o.y, az = z + o.z
                                guard ax >= 0, ax < nx, ay >= 0, ay < ny, az >= 0, az < nz else { continue }
                            }
                            let b = Int(lv[i + offsets[k]])
                            guard b > 0 else { continue }
                            sum += b; w += 1
                            if abs(b - l) <= alpha { dependent += 1 }
                        }
                        if w > 0 {
                            t.s[l - 1] += abs(Double(l) - Double(sum) / Double(w))
                            t.n[l - 1] += 1
                        }
                        m.add(level: l, j: dependent + 1)
                    }
                }
            }
        }
        m.voxels = Double(voxels)
        return (t, m)
    }
}
