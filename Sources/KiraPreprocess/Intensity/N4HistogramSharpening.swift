import Foundation

/// N3/N4's histogram sharpening (Sled et al. 1998): the log-intensity histogram is taken as
/// the true one blurred by a Gaussian (the bias field's spread); a Wiener filter undoes the
/// blur, and each voxel is mapped to the expected true intensity given its observed one,
/// E(u | v). Follows ITK's N4BiasFieldCorrectionImageFilter::SharpenImage step by step.
struct N4HistogramSharpening {
    var bins: Int
    var fwhm: Double
    var wienerNoise: Double

    /// Sharpened values for `values` (the log intensities inside the mask), or nil when they
    /// are all equal (no histogram to sharpen).
    func sharpen(_ values: [Double]) -> [Double]? {
        guard let lo = values.min(), let hi = values.max(), hi > lo else { return nil }
        let slope = (hi - lo) / Double(bins - 1)

        // Triangular Parzen window: a value between two bin centres is split between them.
        var histogram = [Double](repeating: 0, count: bins)
        for v in values {
            let c = (v - lo) / slope
            let i = Int(c.rounded(.down))
            let offset = c - Double(i)
            if offset == 0 {
                histogram[min(i, bins - 1)] += 1
            } else if i < bins - 1 {
                histogram[i] += 1 - offset
                histogram[i + 1] += offset
            }
        }

        // Zero-pad to the power of two above twice the bin count, histogram centred.
        let exponent = (log(Double(bins)) / log(2.0)).rounded(.up) + 1
        let padded = Int(pow(2.0, exponent) + 0.5)
        let shift = Int(0.5 * Double(padded - bins))
        var vRe = [Double](repeating: 0, count: padded), vIm = vRe
        for n in 0..<bins { vRe[n + shift] = histogram[n] }
        FFT.transform(&vRe, &vIm, inverse: false)

        // The blurring Gaussian in bin units, unit area, wrapped around index 0.
        let scaledFWHM = fwhm / slope
        let expFactor = 4 * log(2.0) / (scaledFWHM * scaledFWHM)
        let scale = 2 * (log(2.0) / Double.pi).squareRoot() / scaledFWHM
        var fRe = [Double](repeating: 0, count: padded), fIm = fRe
        fRe[0] = scale
        let half = padded / 2
        for n in 1...half {
            let g = scale * exp(-Double(n * n) * expFactor)
            fRe[n] = g
            fRe[padded - n] = g
        }
        FFT.transform(&fRe, &fIm, inverse: false)

        // Wiener deconvolution: G = conj(F) / (|F|² + noise); ITK keeps its real part.
        var uRe = [Double](repeating: 0, count: padded), uIm = uRe
        for n in 0..<padded {
            let magnitude2 = fRe[n] * fRe[n] + fIm[n] * fIm[n]
            // Re(conj(F) / (conj(F)·F + noise)), the denominator being real.
            let g = fRe[n] / (magnitude2 + wienerNoise)
            uRe[n] = vRe[n] * g
            uIm[n] = vIm[n] * g
        }
        FFT.transform(&uRe, &uIm, inverse: true)
        for n in 0..<padded { uRe[n] = max(uRe[n], 0); uIm[n] = 0 }

        // E(u | v) = (G ∗ (u·U)) / (G ∗ U), both convolutions with the same Gaussian. The
        // unnormalised transforms scale numerator and denominator alike.
        var numRe = [Double](repeating: 0, count: padded), numIm = numRe
        for n in 0..<padded { numRe[n] = (lo + Double(n - shift) * slope) * uRe[n] }
        var denRe = uRe, denIm = uIm
        FFT.transform(&numRe, &numIm, inverse: false)
        FFT.transform(&denRe, &denIm, inverse: false)
        for n in 0..<padded {
            (numRe[n], numIm[n]) = (numRe[n] * fRe[n] - numIm[n] * fIm[n], numRe[n] * fIm[n] + numIm[n] * fRe[n])
            (denRe[n], denIm[n]) = (denRe[n] * fRe[n] - denIm[n] * fIm[n], denRe[n] * fIm[n] + denIm[n] * fRe[n])
        }
        FFT.transform(&numRe, &numIm, inverse: true)
        FFT.transform(&denRe, &denIm, inverse: true)
        var mapping = [Double](repeating: 0, count: bins)
        for n in 0..<bins {
            let d = denRe[n + shift]
            mapping[n] = d != 0 ? numRe[n + shift] / d : 0
        }

        return values.map { v in
            let c = (v - lo) / slope
            let i = Int(c.rounded(.down))
            if i < bins - 1 { return mapping[i] + (mapping[i + 1] - mapping[i]) * (c - Double(i)) }
            return mapping[bins - 1]
        }
    }
}

/// Radix-2 complex FFT, in place, unnormalised in both directions.
enum FFT {
    static func transform(_ re: inout [Double], _ im: inout [Double], inverse: Bool) {
        let n = re.count
        precondition(n > 0 && n & (n - 1) == 0 && im.count == n, "FFT length must be a power of two")
        var j = 0
        for i in 1..<n {
            var bit = n >> 1
            while j & bit != 0 { j ^= bit; bit >>= 1 }
            j |= bit
            if i < j { re.swapAt(i, j); im.swapAt(i, j) }
        }
        let sign = inverse ? 1.0 : -1.0
        var length = 2
        while length <= n {
            let angle = sign * 2 * Double.pi / Double(length)
            for start in stride(from: 0, to: n, by: length) {
                for k in 0..<(length / 2) {
                    let wr = cos(angle * Double(k)), wi = sin(angle * Double(k))
                    let a = start + k, b = a + length / 2
                    let tr = re[b] * wr - im[b] * wi, ti = re[b] * wi + im[b] * wr
                    re[b] = re[a] - tr; im[b] = im[a] - ti
                    re[a] += tr; im[a] += ti
                }
            }
            length <<= 1
        }
    }
}
