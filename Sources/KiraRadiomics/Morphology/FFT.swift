import Dispatch
import Foundation

/// The transform's buffers, shared by the workers of one axis pass; each line is touched by
/// exactly one worker.
private struct SharedBuffers: @unchecked Sendable {
    let re: UnsafeMutablePointer<Double>
    let im: UnsafeMutablePointer<Double>
}

/// Radix-2 complex FFT over a 3D grid (every size a power of two), on split real and
/// imaginary buffers, x fastest. Used for exact all-pairs sums with offset-dependent weights.
struct FFT3D {
    let nx: Int, ny: Int, nz: Int

    static func powerOfTwo(atLeast n: Int) -> Int { var p = 1; while p < n { p <<= 1 }; return p }

    /// In-place transform; `inverse` includes the 1/N scaling. Lines along each axis are
    /// independent and split across cores.
    ///
    /// `support`: the data lie in (forward) or only the results are needed in (inverse) the
    /// corner box [0, support) — the zero padding of a linear convolution. A pass along one
    /// axis then skips the lines that lie outside the box on an axis still (forward) or already
    /// (inverse) in the spatial domain: about half the work of a doubled box.
    func transform(_ re: inout [Double], _ im: inout [Double], inverse: Bool, support: SIMD3<Int>? = nil) {
        let dims = SIMD3(nx, ny, nz), strides = SIMD3(1, nx, nx * ny)
        let total = nx * ny * nz
        let box = support.map { pointwiseMin($0, dims) } ?? dims
        re.withUnsafeMutableBufferPointer { rp in im.withUnsafeMutableBufferPointer { ip in
            let data = SharedBuffers(re: rp.baseAddress!, im: ip.baseAddress!)
            var spatial = [true, true, true]
            if inverse { spatial = [false, false, false] }
            // The strided slice axis is the costliest pass: run it where most of its lines can
            // be skipped (first on forward, last on inverse).
            for axis in (inverse ? [0, 1, 2] : [2, 1, 0]) {
                defer { spatial[axis] = inverse }
                let n = dims[axis], stride = strides[axis]
                guard n > 1 else { continue }
                let (a, b) = ((axis + 1) % 3, (axis + 2) % 3)
                let la = spatial[a] ? box[a] : dims[a], lb = spatial[b] ? box[b] : dims[b]
                let sa = strides[a], sb = strides[b]
                let tw = Self.twiddles(n, inverse: inverse)
                let lines = la * lb
                let chunks = min(lines, 4 * max(1, ProcessInfo.processInfo.activeProcessorCount))
                DispatchQueue.concurrentPerform(iterations: chunks) { c in
                    var lr = [Double](repeating: 0, count: n), li = lr
                    tw.re.withUnsafeBufferPointer { twr in tw.im.withUnsafeBufferPointer { twi in
                        lr.withUnsafeMutableBufferPointer { lrp in li.withUnsafeMutableBufferPointer { lip in
                            let r = data.re, i = data.im
                            for line in (lines * c / chunks)..<(lines * (c + 1) / chunks) {
                                let start = (line % la) * sa + (line / la) * sb
                                for k in 0..<n { lrp[k] = r[start + k * stride]; lip[k] = i[start + k * stride] }
                                Self.fft1D(lrp, lip, twr, twi)
                                for k in 0..<n { r[start + k * stride] = lrp[k]; i[start + k * stride] = lip[k] }
                            }
                        } }
                    } }
                }
            }
            if inverse {
                let s = 1 / Double(total)
                for i in 0..<total { rp[i] *= s; ip[i] *= s }
            }
        } }
    }

    static func twiddles(_ n: Int, inverse: Bool) -> (re: [Double], im: [Double]) {
        let sign = inverse ? 1.0 : -1.0
        let re = (0..<(n / 2)).map { cos(2 * Double.pi * Double($0) / Double(n)) }
        let im = (0..<(n / 2)).map { sign * sin(2 * Double.pi * Double($0) / Double(n)) }
        return (re, im)
    }

    static func fft1D(_ re: UnsafeMutableBufferPointer<Double>, _ im: UnsafeMutableBufferPointer<Double>,
                      _ twr: UnsafeBufferPointer<Double>, _ twi: UnsafeBufferPointer<Double>) {
        let n = re.count
        var j = 0
        for i in 1..<n {
            var bit = n >> 1
            while j & bit != 0 { j ^= bit; bit >>= 1 }
            j |= bit
            if i < j {
                let tr = re[i]; re[i] = re[j]; re[j] = tr
                let ti = im[i]; im[i] = im[j]; im[j] = ti
            }
        }
        var len = 2
        while len <= n {
            let step = n / len, half = len / 2
            var s = 0
            while s < n {
                for k in 0..<half {
                    let wr = twr[k * step], wi = twi[k * step]
                    let a = s + k, b = a + half
                    let xr = re[b] * wr - im[b] * wi, xi = re[b] * wi + im[b] * wr
                    re[b] = re[a] - xr; im[b] = im[a] - xi
                    re[a] += xr; im[a] += xi
                }
                s += len
            }
            len <<= 1
        }
    }
}
