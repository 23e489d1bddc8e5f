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
        (moranI, gearyC) = intValues.count <= Self.directPairLimit
            ? Self.autocorrelation(intPositions, intValues)
            : Self.autocorrelationFFT(roi)
    }

    /// Above this many voxels the pair sums go through FFT correlation instead of a pair loop.
    static let directPairLimit = 4000

    /// Moran's I and Geary's C as `autocorrelation`, but with the pair sums written as
    /// correlations of the masked deviations (d), their squares (q) and the mask (m):
    /// Σ_{i≠j} w_ij d_i d_j = Σ_{o≠0} w(o) (d⋆d)(o), and likewise for Σw and Geary's
    /// Σ w (d_i − d_j)² = 2 Σ w (q⋆m) − 2 Σ w (d⋆d). Exact up to FFT rounding (~1e-12 relative).
    static func autocorrelationFFT(_ roi: ROIGrid) -> (Double?, Double?) {
        let values = roi.roiIntensities
        let n = values.count
        guard n > 1 else { return (nil, nil) }
        let mean = values.reduce(0, +) / Double(n)
        var ss = 0.0
        for v in values { ss += (v - mean) * (v - mean) }
        guard ss > 0 else { return (nil, nil) }
        let fx = FFT3D.powerOfTwo(atLeast: 2 * roi.nx - 1), fy = FFT3D.powerOfTwo(atLeast: 2 * roi.ny - 1)
        let fz = FFT3D.powerOfTwo(atLeast: 2 * roi.nz - 1)
        let fft = FFT3D(nx: fx, ny: fy, nz: fz)
        let total = fx * fy * fz
        // Pack the mask (real part) and deviations (imaginary part) into one transform.
        var mr = [Double](repeating: 0, count: total), di = mr
        var qr = mr, qi = mr
        for z in 0..<roi.nz { for y in 0..<roi.ny { for x in 0..<roi.nx {
            let i = roi.index(x, y, z)
            guard roi.intensityMask[i] else { continue }
            let j = (z * fy + y) * fx + x
            let d = roi.intensities[i] - mean
            mr[j] = 1; di[j] = d; qr[j] = d * d
        } } }
        fft.transform(&mr, &di, inverse: false)
        fft.transform(&qr, &qi, inverse: false)
        // Unpack M and D from the packed spectrum P = M + iD: M_k = (P_k + conj P_-k)/2, D_k = (P_k − conj P_-k)/(2i).
        var ar = [Double](repeating: 0, count: total), ai = ar  // |D|² + i|M|²
        var cr = ar, ci = ar                                   // Q·conj(M)
        for z in 0..<fz { for y in 0..<fy { for x in 0..<fx {
            let k = (z * fy + y) * fx + x
            let nk = (((fz - z) % fz) * fy + (fy - y) % fy) * fx + (fx - x) % fx
            let pr = mr[k], pi = di[k], qr2 = mr[nk], qi2 = -di[nk]
            let mRe = (pr + qr2) / 2, mIm = (pi + qi2) / 2
            let dRe = (pi - qi2) / 2, dIm = -(pr - qr2) / 2
            ar[k] = dRe * dRe + dIm * dIm
            ai[k] = mRe * mRe + mIm * mIm
            cr[k] = qr[k] * mRe + qi[k] * mIm
            ci[k] = qi[k] * mRe - qr[k] * mIm
        } } }
        mr = []; di = []; qr = []; qi = []
        fft.transform(&ar, &ai, inverse: true)
        fft.transform(&cr, &ci, inverse: true)
        var sw = 0.0, sdd = 0.0, sqm = 0.0
        let sp = roi.spacing
        for z in 0..<fz { for y in 0..<fy { for x in 0..<fx {
            let ox = x < fx / 2 ? x : x - fx, oy = y < fy / 2 ? y : y - fy, oz = z < fz / 2 ? z : z - fz
            guard ox != 0 || oy != 0 || oz != 0 else { continue }
            let k = (z * fy + y) * fx + x
            let d = SIMD3(Double(ox), Double(oy), Double(oz)) * sp
            let w = 1 / (d * d).sum().squareRoot()
            sdd += w * ar[k]; sw += w * ai[k]; sqm += w * cr[k]
        } } }
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
        let chunks = min(n, 64)
        let results = ConcurrentResults<SIMD3<Double>>(count: chunks)  // Σw, Σw·di·dj, Σw·(vi−vj)²
        DispatchQueue.concurrentPerform(iterations: chunks) { c in
            var w = 0.0, m = 0.0, g = 0.0
            p.withUnsafeBufferPointer { pp in dev.withUnsafeBufferPointer { dd in
                // Interleaved rows balance the triangular loop across chunks.
                var i = c
                while i < n {
                    let pi = pp[i], di = dd[i]
                    for j in (i + 1)..<n {
                        let d = pi - pp[j]
                        let wij = 1 / (d * d).sum().squareRoot()
                        let dj = dd[j]
                        w += wij; m += wij * di * dj
                        let diff = di - dj
                        g += wij * diff * diff
                    }
                    i += chunks
                }
            } }
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
