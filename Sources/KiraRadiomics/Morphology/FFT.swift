import Foundation

/// Radix-2 complex FFT over a 3D grid (every size a power of two), on split real and
/// imaginary buffers, x fastest. Used for exact all-pairs sums with offset-dependent weights.
struct FFT3D {
    let nx: Int, ny: Int, nz: Int

    static func powerOfTwo(atLeast n: Int) -> Int { var p = 1; while p < n { p <<= 1 }; return p }

    /// In-place transform; `inverse` includes the 1/N scaling.
    func transform(_ re: inout [Double], _ im: inout [Double], inverse: Bool) {
        let dims = [nx, ny, nz], strides = [1, nx, nx * ny]
        let total = nx * ny * nz
        re.withUnsafeMutableBufferPointer { rp in im.withUnsafeMutableBufferPointer { ip in
            for axis in 0..<3 where dims[axis] > 1 {
                let n = dims[axis], stride = strides[axis]
                let tw = Self.twiddles(n, inverse: inverse)
                var lr = [Double](repeating: 0, count: n), li = lr
                tw.re.withUnsafeBufferPointer { twr in tw.im.withUnsafeBufferPointer { twi in
                    lr.withUnsafeMutableBufferPointer { lrp in li.withUnsafeMutableBufferPointer { lip in
                        // Lines along `axis` start where that coordinate is 0.
                        let outer = total / (n * stride)
                        for o in 0..<outer {
                            for inner in 0..<stride {
                                let start = o * n * stride + inner
                                for k in 0..<n { lrp[k] = rp[start + k * stride]; lip[k] = ip[start + k * stride] }
                                Self.fft1D(lrp, lip, twr, twi)
                                for k in 0..<n { rp[start + k * stride] = lrp[k]; ip[start + k * stride] = lip[k] }
                            }
                        }
                    } }
                } }
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
