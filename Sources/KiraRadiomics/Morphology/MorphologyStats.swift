import Foundation

/// Everything the 29 morphological features are computed from (IBSI 3.1): the mesh of the
/// morphological mask, its voxel point set, and the intensity mask's voxels for the
/// intensity-weighted features.
struct MorphologyStats: Sendable {
    var meshVolume = 0.0, meshArea = 0.0
    var voxelVolume = 0.0
    var centreOfMassShift = 0.0
    var maxDiameter = 0.0
    /// Eigenvalues of the voxel-position covariance, major first.
    var eigenvalues: [Double] = [0, 0, 0]
    var aabbVolume = 0.0, aabbArea = 0.0
    var hullVolume: Double?, hullArea: Double?
    var meanIntensity = 0.0
    var moranI: Double?, gearyC: Double?

    init(_ roi: ROIGrid) {
        let nx = roi.nx, ny = roi.ny, nz = roi.nz, sp = roi.spacing
        let mesh = MarchingCubes.mesh(roi.morphologicalMask, nx: nx, ny: ny, nz: nz, spacing: sp, origin: roi.offset)
        meshVolume = mesh.volume
        meshArea = mesh.area
        let morphCount = roi.morphologicalVoxelCount
        voxelVolume = Double(morphCount) * sp.x * sp.y * sp.z

        // Voxel point sets and centres of mass.
        var geo = SIMD3<Double>(0, 0, 0)
        var weighted = SIMD3<Double>(0, 0, 0), weightSum = 0.0
        var positions: [SIMD3<Double>] = []
        positions.reserveCapacity(morphCount)
        var intPositions: [SIMD3<Double>] = [], intValues: [Double] = []
        for z in 0..<nz { for y in 0..<ny { for x in 0..<nx {
            let i = roi.index(x, y, z)
            let p = SIMD3(Double(x), Double(y), Double(z)) * sp
            if roi.morphologicalMask[i] { positions.append(p); geo += p }
            if roi.intensityMask[i] {
                let v = roi.intensities[i]
                weighted += p * v; weightSum += v
                intPositions.append(p); intValues.append(v)
            }
        } } }
        geo /= Double(morphCount)
        centreOfMassShift = weightSum != 0 ? { let d = geo - weighted / weightSum; return dot(d, d).squareRoot() }() : .nan
        meanIntensity = intValues.reduce(0, +) / Double(intValues.count)

        // Principal component analysis of the morphological voxel positions.
        var cov = [[Double]](repeating: [0, 0, 0], count: 3)
        for p in positions {
            let d = p - geo
            for a in 0..<3 { for b in 0..<3 { cov[a][b] += d[a] * d[b] } }
        }
        let denom = Double(max(morphCount - 1, 1))
        for a in 0..<3 { for b in 0..<3 { cov[a][b] /= denom } }
        eigenvalues = symmetricEigenvalues(cov).map { max($0, 0) }

        // Bounding box and convex hull of the mesh.
        if let first = mesh.vertices.first {
            var lo = first, hi = first
            for v in mesh.vertices { lo = pointwiseMin(lo, v); hi = pointwiseMax(hi, v) }
            let e = hi - lo
            aabbVolume = e.x * e.y * e.z
            aabbArea = 2 * (e.x * e.y + e.y * e.z + e.z * e.x)
        }
        // The hull of a voxel mesh is the hull of each grid line's two extreme vertices.
        var extremes: [SIMD2<Int64>: (SIMD3<Double>, SIMD3<Double>)] = [:]
        for v in mesh.vertices {
            let key = SIMD2(Int64((v.y / sp.y * 2).rounded()), Int64((v.z / sp.z * 2).rounded()))
            if let e = extremes[key] {
                extremes[key] = (v.x < e.0.x ? v : e.0, v.x > e.1.x ? v : e.1)
            } else {
                extremes[key] = (v, v)
            }
        }
        var candidates: [SIMD3<Double>] = []
        for (_, e) in extremes.sorted(by: { ($0.key.y, $0.key.x) < ($1.key.y, $1.key.x) }) {
            candidates.append(e.0)
            if e.1 != e.0 { candidates.append(e.1) }
        }
        if let hull = ConvexHull(candidates) {
            hullVolume = hull.volume
            hullArea = hull.area
            let hv = hull.vertexIndices.map { candidates[$0] }
            var best = 0.0
            for i in 0..<hv.count { for j in (i + 1)..<hv.count { let d = hv[i] - hv[j]; best = max(best, dot(d, d)) } }
            maxDiameter = best.squareRoot()
        }
        (moranI, gearyC) = Self.prefersFFT(roi, voxels: intValues.count)
            ? Self.autocorrelationFFT(roi)
            : Self.autocorrelation(intPositions, intValues)
    }

    /// The pair loop costs ~n²/2 distance evaluations; the FFT route three transforms of the
    /// doubled bounding box. The factor is the measured ratio of the two inner loops' costs
    /// (release build, brain1/breast1-sized ROIs).
    static func prefersFFT(_ roi: ROIGrid, voxels n: Int) -> Bool {
        guard n > 1, let box = intensityBox(roi) else { return false }
        let m = Double(fftSize(box).reduce(1, *))
        return Double(n) * Double(n) / 2 > fftCostFactor * m * log2(m)
    }

    static let fftCostFactor = 4.5

    /// Bounding box of the intensity mask in grid indices.
    static func intensityBox(_ roi: ROIGrid) -> (lo: SIMD3<Int>, hi: SIMD3<Int>)? {
        var lo = SIMD3(Int.max, Int.max, Int.max), hi = SIMD3(-1, -1, -1)
        for z in 0..<roi.nz { for y in 0..<roi.ny { for x in 0..<roi.nx where roi.intensityMask[roi.index(x, y, z)] {
            lo = pointwiseMin(lo, SIMD3(x, y, z)); hi = pointwiseMax(hi, SIMD3(x, y, z))
        } } }
        return hi.x >= 0 ? (lo, hi) : nil
    }

    /// FFT grid for the linear (not circular) correlation of a box: ≥ 2·extent − 1 per axis.
    static func fftSize(_ box: (lo: SIMD3<Int>, hi: SIMD3<Int>)) -> [Int] {
        let e = box.hi &- box.lo &+ 1
        return [FFT3D.powerOfTwo(atLeast: 2 * e.x - 1), FFT3D.powerOfTwo(atLeast: 2 * e.y - 1), FFT3D.powerOfTwo(atLeast: 2 * e.z - 1)]
    }

    /// Moran's I and Geary's C as `autocorrelation`, with the pair sums written as
    /// convolutions with the inverse-distance kernel w (w(0) = 0) of the mask m, the masked
    /// deviations d and their squares q: Σ_{i≠j} w_ij m_i m_j = m·(w∗m), Σ w_ij d_i d_j = d·(w∗d),
    /// Σ w_ij (d_i − d_j)² = 2 q·(w∗m) − 2 d·(w∗d). w is even, so its transform is real and
    /// one inverse transform of W·FFT(m + i d) yields w∗m and w∗d together: three transforms
    /// of the intensity mask's box, doubled for a linear (not circular) convolution. Exact up to
    /// FFT rounding (~1e-12 relative).
    static func autocorrelationFFT(_ roi: ROIGrid) -> (Double?, Double?) {
        let values = roi.roiIntensities
        let n = values.count
        guard n > 1 else { return (nil, nil) }
        let mean = values.reduce(0, +) / Double(n)
        var ss = 0.0
        for v in values { ss += (v - mean) * (v - mean) }
        guard ss > 0 else { return (nil, nil) }
        // Only the intensity mask's bounding box matters, not the grid's local-intensity margin.
        guard let box = intensityBox(roi) else { return (nil, nil) }
        let size = fftSize(box)
        let fx = size[0], fy = size[1], fz = size[2]
        let fft = FFT3D(nx: fx, ny: fy, nz: fz)
        let total = fx * fy * fz
        var pr = [Double](repeating: 0, count: total), pi = pr
        for z in 0..<roi.nz { for y in 0..<roi.ny { for x in 0..<roi.nx {
            let i = roi.index(x, y, z)
            guard roi.intensityMask[i] else { continue }
            let j = ((z - box.lo.z) * fy + (y - box.lo.y)) * fx + (x - box.lo.x)
            pr[j] = 1; pi[j] = roi.intensities[i] - mean
        } } }
        let mr = pr, di = pi
        // The kernel at every offset the box can hold, wrapped to the FFT grid.
        let e = box.hi &- box.lo
        var wr = [Double](repeating: 0, count: total), wi = wr
        let sp = roi.spacing
        for oz in -e.z...e.z { for oy in -e.y...e.y { for ox in -e.x...e.x where ox != 0 || oy != 0 || oz != 0 {
            let d = SIMD3(Double(ox), Double(oy), Double(oz)) * sp
            wr[(((oz + fz) % fz) * fy + (oy + fy) % fy) * fx + (ox + fx) % fx] = 1 / (d * d).sum().squareRoot()
        } } }
        let extent = e &+ 1
        fft.transform(&pr, &pi, inverse: false, support: extent)
        fft.transform(&wr, &wi, inverse: false)
        for k in 0..<total { pr[k] *= wr[k]; pi[k] *= wr[k] }
        wr = []; wi = []
        fft.transform(&pr, &pi, inverse: true, support: extent)
        var sw = 0.0, sdd = 0.0, sqm = 0.0
        for k in 0..<total where mr[k] != 0 {
            let d = di[k]
            sw += pr[k]; sdd += d * pi[k]; sqm += d * d * pr[k]
        }
        let moran = Double(n) / sw * sdd / ss
        let geary = Double(n - 1) / (2 * sw) * (2 * sqm - 2 * sdd) / ss
        return (moran, geary)
    }

    /// Moran's I and Geary's C with inverse-distance weights over every pair of
    /// intensity-mask voxels; nil when the ROI has fewer than two voxels or no variance.
    static func autocorrelation(_ p: [SIMD3<Double>], _ v: [Double]) -> (Double?, Double?) {
        let n = v.count
        guard n > 1 else { return (nil, nil) }
        let mean = v.reduce(0, +) / Double(n)
        let dev = v.map { $0 - mean }
        let ss = dev.reduce(0) { $0 + $1 * $1 }
        guard ss > 0 else { return (nil, nil) }
        // Coordinates as separate arrays so four pairs are evaluated per vector step.
        let xs = p.map(\.x), ys = p.map(\.y), zs = p.map(\.z)
        let chunks = min(n, 64)
        let results = ConcurrentResults<SIMD3<Double>>(count: chunks)  // Σw, Σw·di·dj, Σw·(vi−vj)²
        DispatchQueue.concurrentPerform(iterations: chunks) { c in
            var w = 0.0, m = 0.0, g = 0.0
            xs.withUnsafeBufferPointer { xp in ys.withUnsafeBufferPointer { yp in zs.withUnsafeBufferPointer { zp in
            dev.withUnsafeBufferPointer { dd in
                @inline(__always) func load(_ b: UnsafeBufferPointer<Double>, _ j: Int) -> SIMD4<Double> {
                    UnsafeRawPointer(b.baseAddress! + j).loadUnaligned(as: SIMD4<Double>.self)
                }
                // Interleaved rows balance the triangular loop across chunks.
                var i = c
                while i < n {
                    let xi = xp[i], yi = yp[i], zi = zp[i], di = dd[i]
                    var wv = SIMD4<Double>(), mv = SIMD4<Double>(), gv = SIMD4<Double>()
                    var j = i + 1
                    while j + 4 <= n {
                        let dx = xi - load(xp, j), dy = yi - load(yp, j), dz = zi - load(zp, j)
                        let wij = 1 / (dx * dx + dy * dy + dz * dz).squareRoot()
                        let dj = load(dd, j)
                        wv += wij; mv += wij * dj
                        let diff = di - dj
                        gv += wij * diff * diff
                        j += 4
                    }
                    w += wv.sum(); m += di * mv.sum(); g += gv.sum()
                    while j < n {
                        let dx = xi - xp[j], dy = yi - yp[j], dz = zi - zp[j]
                        let wij = 1 / (dx * dx + dy * dy + dz * dz).squareRoot()
                        let dj = dd[j]
                        w += wij; m += wij * di * dj
                        let diff = di - dj
                        g += wij * diff * diff
                        j += 1
                    }
                    i += chunks
                }
            } } } }
            results.set(c, SIMD3(w, m, g))
        }
        let partial = results.values.map { $0! }
        let s = partial.reduce(SIMD3<Double>.zero, +)
        // Pairs were counted once; the definitions sum over ordered pairs.
        let wSum = 2 * s.x, mSum = 2 * s.y, gSum = 2 * s.z
        let moran = Double(n) / wSum * mSum / ss
        let geary = Double(n - 1) / (2 * wSum) * gSum / ss
        return (moran, geary)
    }
}
