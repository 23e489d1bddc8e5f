import Foundation

/// Deriche's fourth-order recursive approximation of a Gaussian (order 0) or of its second
/// derivative (order 2), with the coefficients, normalisations and edge handling of ITK's
/// RecursiveGaussianImageFilter (which SimpleITK's LaplacianRecursiveGaussian, and so
/// pyradiomics' LoG, is built from). The image is taken to continue with its edge value
/// beyond both ends.
struct RecursiveGaussian: Sendable {
    enum Order: Sendable { case zero, second }

    private(set) var n0 = 0.0, n1 = 0.0, n2 = 0.0, n3 = 0.0
    private(set) var d1 = 0.0, d2 = 0.0, d3 = 0.0, d4 = 0.0
    private(set) var m1 = 0.0, m2 = 0.0, m3 = 0.0, m4 = 0.0
    private(set) var bn1 = 0.0, bn2 = 0.0, bn3 = 0.0, bn4 = 0.0
    private(set) var bm1 = 0.0, bm2 = 0.0, bm3 = 0.0, bm4 = 0.0

    /// `sigma` and `spacing` in mm; with `normalizeAcrossScale` the second derivative is
    /// multiplied by σ² (scale-normalised LoG).
    init(sigma: Double, spacing: Double, order: Order, normalizeAcrossScale: Bool) {
        let sigmad = sigma / spacing
        // Deriche's fitted exponential-series parameters (as ITK tabulates them).
        let w1 = 0.6681, l1 = -1.3932, w2 = 2.0787, l2 = -1.3732
        let a1 = [1.3530, -0.6724, -1.3563], b1 = [1.8151, -3.4327, 5.2318]
        let a2 = [-0.3531, 0.6724, 0.3446], b2 = [0.0902, 0.6100, -2.2355]

        let cos1 = cos(w1 / sigmad), cos2 = cos(w2 / sigmad)
        let exp1 = exp(l1 / sigmad), exp2 = exp(l2 / sigmad)
        d4 = exp1 * exp1 * exp2 * exp2
        d3 = -2 * cos1 * exp1 * exp2 * exp2
        d3 += -2 * cos2 * exp2 * exp1 * exp1
        d2 = 4 * cos2 * cos1 * exp1 * exp2
        d2 += exp1 * exp1 + exp2 * exp2
        d1 = -2 * (exp2 * cos2 + exp1 * cos1)
        let sd = 1.0 + d1 + d2 + d3 + d4
        let dd = d1 + 2 * d2 + 3 * d3 + 4 * d4
        let ed = d1 + 4 * d2 + 9 * d3 + 16 * d4

        func numerator(_ k: Int) -> (n: [Double], s: Double, d: Double, e: Double) {
            let sin1 = sin(w1 / sigmad), sin2 = sin(w2 / sigmad)
            let A1 = a1[k], B1 = b1[k], A2 = a2[k], B2 = b2[k]
            let n0 = A1 + A2
            var n1 = exp2 * (B2 * sin2 - (A2 + 2 * A1) * cos2)
            n1 += exp1 * (B1 * sin1 - (A1 + 2 * A2) * cos1)
            var n2 = (A1 + A2) * cos2 * cos1
            n2 -= B1 * cos2 * sin1 + B2 * cos1 * sin2
            n2 *= 2 * exp1 * exp2
            n2 += A2 * exp1 * exp1 + A1 * exp2 * exp2
            var n3 = exp2 * exp1 * exp1 * (B2 * sin2 - A2 * cos2)
            n3 += exp1 * exp2 * exp2 * (B1 * sin1 - A1 * cos1)
            return ([n0, n1, n2, n3], n0 + n1 + n2 + n3, n1 + 2 * n2 + 3 * n3, n1 + 4 * n2 + 9 * n3)
        }

        var n: [Double]
        switch order {
        case .zero:
            let z = numerator(0)
            let alpha0 = 2 * z.s / sd - z.n[0]
            n = z.n.map { $0 * (1.0 / alpha0) }
        case .second:
            let scale = normalizeAcrossScale ? sigma * sigma : 1.0
            let z = numerator(0), t = numerator(2)
            let beta = -(2 * t.s - sd * t.n[0]) / (2 * z.s - sd * z.n[0])
            n = (0..<4).map { t.n[$0] + beta * z.n[$0] }
            let sn = t.s + beta * z.s, dn = t.d + beta * z.d, en = t.e + beta * z.e
            var alpha2 = en * sd * sd - ed * sn * sd - 2 * dn * dd * sd + 2 * dd * dd * sn
            alpha2 /= sd * sd * sd
            n = n.map { $0 * (scale / alpha2) }
        }
        (n0, n1, n2, n3) = (n[0], n[1], n[2], n[3])
        // Both orders used here are symmetric kernels.
        m1 = n1 - d1 * n0
        m2 = n2 - d2 * n0
        m3 = n3 - d3 * n0
        m4 = -d4 * n0
        let sN = n0 + n1 + n2 + n3, sM = m1 + m2 + m3 + m4
        bn1 = d1 * sN / sd; bn2 = d2 * sN / sd; bn3 = d3 * sN / sd; bn4 = d4 * sN / sd
        bm1 = d1 * sM / sd; bm2 = d2 * sM / sd; bm3 = d3 * sM / sd; bm4 = d4 * sM / sd
    }

    /// Filters `lanes` lines at once (length ≥ 4) (value i of lane l at `p[i * stride + l]`),
    /// in place; `scratch` holds 2 × n × lanes values. With `roundToFloat` the result is
    /// rounded to single precision, as ITK stores it.
    func apply(lanes p: UnsafeMutablePointer<Double>, _ w: Int, stride: Int, _ ln: Int,
               scratch: UnsafeMutablePointer<Double>, roundToFloat: Bool) {
        guard ln >= 4 else { return }
        let y1 = scratch, y2 = scratch + ln * w
        @inline(__always) func x(_ i: Int) -> UnsafeMutablePointer<Double> { p + i * stride }
        @inline(__always) func a(_ i: Int) -> UnsafeMutablePointer<Double> { y1 + i * w }
        @inline(__always) func b(_ i: Int) -> UnsafeMutablePointer<Double> { y2 + i * w }
        let x0 = x(0), x1 = x(1), x2 = x(2), x3 = x(3)
        let a0 = a(0), a1 = a(1), a2 = a(2), a3 = a(3)
        for l in 0..<w {
            let v1 = x0[l]
            a0[l] = v1 * n0 + v1 * n1 + v1 * n2 + v1 * n3
            a1[l] = x1[l] * n0 + v1 * n1 + v1 * n2 + v1 * n3
            a2[l] = x2[l] * n0 + x1[l] * n1 + v1 * n2 + v1 * n3
            a3[l] = x3[l] * n0 + x2[l] * n1 + x1[l] * n2 + v1 * n3
            a0[l] -= v1 * bn1 + v1 * bn2 + v1 * bn3 + v1 * bn4
            a1[l] -= a0[l] * d1 + v1 * bn2 + v1 * bn3 + v1 * bn4
            a2[l] -= a1[l] * d1 + a0[l] * d2 + v1 * bn3 + v1 * bn4
            a3[l] -= a2[l] * d1 + a1[l] * d2 + a0[l] * d3 + v1 * bn4
        }
        if ln > 4 {
            for i in 4..<ln {
                let xi = x(i), xa = x(i - 1), xb = x(i - 2), xc = x(i - 3)
                let yi = a(i), ya = a(i - 1), yb = a(i - 2), yc = a(i - 3), yd = a(i - 4)
                for l in 0..<w {
                    yi[l] = xi[l] * n0 + xa[l] * n1 + xb[l] * n2 + xc[l] * n3
                    yi[l] -= ya[l] * d1 + yb[l] * d2 + yc[l] * d3 + yd[l] * d4
                }
            }
        }
        let e0 = x(ln - 1), e1 = x(ln - 2), e2 = x(ln - 3)
        let b0 = b(ln - 1), b1 = b(ln - 2), b2 = b(ln - 3), b3 = b(ln - 4)
        for l in 0..<w {
            let v2 = e0[l]
            b0[l] = v2 * m1 + v2 * m2 + v2 * m3 + v2 * m4
            b1[l] = e0[l] * m1 + v2 * m2 + v2 * m3 + v2 * m4
            b2[l] = e1[l] * m1 + e0[l] * m2 + v2 * m3 + v2 * m4
            b3[l] = e2[l] * m1 + e1[l] * m2 + e0[l] * m3 + v2 * m4
            b0[l] -= v2 * bm1 + v2 * bm2 + v2 * bm3 + v2 * bm4
            b1[l] -= b0[l] * d1 + v2 * bm2 + v2 * bm3 + v2 * bm4
            b2[l] -= b1[l] * d1 + b0[l] * d2 + v2 * bm3 + v2 * bm4
            b3[l] -= b2[l] * d1 + b1[l] * d2 + b0[l] * d3 + v2 * bm4
        }
        var i = ln - 4
        while i > 0 {
            let xa = x(i), xb = x(i + 1), xc = x(i + 2), xd = x(i + 3)
            let yo = b(i - 1), ya = b(i), yb = b(i + 1), yc = b(i + 2), yd = b(i + 3)
            for l in 0..<w {
                yo[l] = xa[l] * m1 + xb[l] * m2 + xc[l] * m3 + xd[l] * m4
                yo[l] -= ya[l] * d1 + yb[l] * d2 + yc[l] * d3 + yd[l] * d4
            }
            i -= 1
        }
        for i in 0..<ln {
            let xi = x(i), ya = a(i), yb = b(i)
            if roundToFloat {
                for l in 0..<w { xi[l] = Double(Float(ya[l] + yb[l])) }
            } else {
                for l in 0..<w { xi[l] = ya[l] + yb[l] }
            }
        }
    }
}
