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
        for axis in 0..<3 where dims[axis] > 1 {
            let n = dims[axis], stride = strides[axis]
            let tw = Self.twiddles(n, inverse: inverse)
            var lr = [Double](repeating: 0, count: n), li = lr
            // Every line along `axis`: start indices are those with coordinate 0 on it.
            for start in 0..<total where (start / stride) % n == 0 {
                for k in 0..<n { lr[k] = re[start + k * stride]; li[k] = im[start + k * stride] }
                Self.fft1D(&lr, &li, tw)
                for k in 0..<n { re[start + k * stride] = lr[k]; im[start + k * stride] = li[k] }
            }
        }
        if inverse {
            let s = 1 / Double(total)
            for i in 0..<total { re[i] *= s; im[i] *= s }
        }
    }

    static func twiddles(_ n: Int, inverse: Bool) -> (re: [Double], im: [Double]) {
        let sign = inverse ? 1.0 : -1.0
        let re = (0..<(n / 2)).map { cos(2 * Double.pi * Double($0) / Double(n)) }
        let im = (0..<(n / 2)).map { sign * sin(2 * Double.pi * Double($0) / Double(n)) }
        return (re, im)
    }

    static func fft1D(_ re: inout [Double], _ im: inout [Double], _ tw: (re: [Double], im: [Double])) {
        let n = re.count
        var j = 0
        for i in 1..<n {
            var bit = n >> 1
            while j & bit != 0 { j ^= bit; bit >>= 1 }
            j |= bit
            if i < j { re.swapAt(i, j); im.swapAt(i, j) }
        }
        var len = 2
        while len <= n {
            let step = n / len
            for s in stride(from: 0, to: n, by: len) {
                for k in 0..<(len / 2) {
                    let wr = tw.re[k * step], wi = tw.im[k * step]
                    let a = s + k, b = s + k + len / 2
                    let xr = re[b] * wr - im[b] * wi, xi = re[b] * wi + im[b] * wr
                    re[b] = re[a] - xr; im[b] = im[a] - xi
                    re[a] += xr; im[a] += xi
                }
            }
            len <<= 1
        }
    }
}
