import CKiraKernels
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

    /// Filters `lanes` lines at once (length ≥ 4): value i of lane l is read at
    /// `p[i * stride + l]`, and for i in `keep` the output is written at
    /// `out[(i − keep.lowerBound) * outStride + l]` (`out` may be `p`). The causal pass stops
    /// at the end of `keep` and the anticausal one at its start, which changes no kept value.
    /// `scratch` holds 2 × n × lanes values. With `roundToFloat` the result is rounded to
    /// single precision, as ITK stores it. Lanes go two at a time through SIMD2 (the pointers
    /// may alias as far as the compiler knows, so it would not pair them itself); every lane
    /// sees the same operations in the same order as a scalar loop.
    /// The C kernel's vector width on this CPU (8 with AVX-512, 4 with AVX), 0 when it has
    /// neither; the kernel repeats this type's operations exactly, 4 or 8 lanes per instruction
    /// where Swift, built for baseline x86-64, gets 2.
    static let vectorWidth = Int(kira_recursive_vector_width())

    /// With `vector` false the Swift loops run even where the C kernel could (the tests
    /// compare the two).
    func apply(lanes p: UnsafeMutablePointer<Double>, _ w: Int, stride: Int, _ ln: Int,
               out: UnsafeMutablePointer<Double>, outStride: Int, keep: Range<Int>,
               scratch: UnsafeMutablePointer<Double>, roundToFloat: Bool, vector: Bool = true) {
        guard ln >= 4, w > 0 else { return }
        if vector, Self.vectorWidth > 0 {
            var c = KiraRecursiveCoefficients(n0: n0, n1: n1, n2: n2, n3: n3, d1: d1, d2: d2, d3: d3, d4: d4,
                                              m1: m1, m2: m2, m3: m3, m4: m4, bn1: bn1, bn2: bn2, bn3: bn3, bn4: bn4,
                                              bm1: bm1, bm2: bm2, bm3: bm3, bm4: bm4)
            kira_recursive_lanes(Int32(Self.vectorWidth), &c, p, w, stride, ln, out, outStride,
                                 keep.lowerBound, keep.upperBound, scratch, roundToFloat ? 1 : 0)
            return
        }
        let pairs = w / 2
        let y1 = scratch, y2 = scratch + ln * w
        @inline(__always) func x(_ i: Int) -> UnsafeMutablePointer<Double> { p + i * stride }
        @inline(__always) func a(_ i: Int) -> UnsafeMutablePointer<Double> { y1 + i * w }
        @inline(__always) func b(_ i: Int) -> UnsafeMutablePointer<Double> { y2 + i * w }
        // Each step runs once on SIMD2 pairs and once on Double for an odd last lane.
        @inline(__always) func lanes(_ body: (Int, Bool) -> Void) {
            for k in 0..<pairs { body(2 * k, true) }
            if w % 2 == 1 { body(w - 1, false) }
        }
        lanes { l, pair in
            if pair { causalHead(SIMD2<Double>.self, x, a, l) } else { causalHead(Double.self, x, a, l) }
        }
        let causalEnd = min(ln, keep.upperBound)
        if causalEnd > 4 {
            for i in 4..<causalEnd {
                let xi = x(i), xa = x(i - 1), xb = x(i - 2), xc = x(i - 3)
                let yi = a(i), ya = a(i - 1), yb = a(i - 2), yc = a(i - 3), yd = a(i - 4)
                for k in 0..<pairs {
                    let l = 2 * k
                    step(SIMD2<Double>.self, out: yi + l, xs: (xi + l, xa + l, xb + l, xc + l), ys: (ya + l, yb + l, yc + l, yd + l),
                         n: (n0, n1, n2, n3))
                }
                if w % 2 == 1 {
                    let l = w - 1
                    step(Double.self, out: yi + l, xs: (xi + l, xa + l, xb + l, xc + l), ys: (ya + l, yb + l, yc + l, yd + l),
                         n: (n0, n1, n2, n3))
                }
            }
        }
        lanes { l, pair in
            if pair { anticausalHead(SIMD2<Double>.self, x, b, ln, l) } else { anticausalHead(Double.self, x, b, ln, l) }
        }
        var i = ln - 4
        while i > max(0, keep.lowerBound) {
            let xa = x(i), xb = x(i + 1), xc = x(i + 2), xd = x(i + 3)
            let yo = b(i - 1), ya = b(i), yb = b(i + 1), yc = b(i + 2), yd = b(i + 3)
            for k in 0..<pairs {
                let l = 2 * k
                step(SIMD2<Double>.self, out: yo + l, xs: (xa + l, xb + l, xc + l, xd + l), ys: (ya + l, yb + l, yc + l, yd + l),
                     n: (m1, m2, m3, m4))
            }
            if w % 2 == 1 {
                let l = w - 1
                step(Double.self, out: yo + l, xs: (xa + l, xb + l, xc + l, xd + l), ys: (ya + l, yb + l, yc + l, yd + l),
                     n: (m1, m2, m3, m4))
            }
            i -= 1
        }
        for i in keep {
            let xi = out + (i - keep.lowerBound) * outStride, ya = a(i), yb = b(i)
            for k in 0..<pairs {
                let l = 2 * k
                let s = Lane<SIMD2<Double>>.load(ya + l) + Lane<SIMD2<Double>>.load(yb + l)
                Lane<SIMD2<Double>>.store(roundToFloat ? SIMD2(Double(Float(s[0])), Double(Float(s[1]))) : s, xi + l)
            }
            if w % 2 == 1 {
                let s = ya[w - 1] + yb[w - 1]
                xi[w - 1] = roundToFloat ? Double(Float(s)) : s
            }
        }
    }

    /// One recursion step: out = Σ xₖ·nₖ − Σ yₖ·dₖ, summed left to right.
    @inline(__always)
    private func step<V: LaneValue>(_: V.Type, out: UnsafeMutablePointer<Double>,
                                    xs: (UnsafeMutablePointer<Double>, UnsafeMutablePointer<Double>, UnsafeMutablePointer<Double>, UnsafeMutablePointer<Double>),
                                    ys: (UnsafeMutablePointer<Double>, UnsafeMutablePointer<Double>, UnsafeMutablePointer<Double>, UnsafeMutablePointer<Double>),
                                    n: (Double, Double, Double, Double)) {
        typealias L = Lane<V>
        let f = L.load(xs.0) * V(n.0) + L.load(xs.1) * V(n.1) + L.load(xs.2) * V(n.2) + L.load(xs.3) * V(n.3)
        let g = L.load(ys.0) * V(d1) + L.load(ys.1) * V(d2) + L.load(ys.2) * V(d3) + L.load(ys.3) * V(d4)
        L.store(f - g, out)
    }

    /// The four outputs at one end of the line, the signal continued with its end value `v`;
    /// `x1`, `x2`, `x3` are the inputs met first from that end (the anticausal pass, one
    /// step behind, passes its end value as `x1`). `c` are the numerator coefficients, `e`
    /// the boundary ones.
    @inline(__always)
    private func head<V: LaneValue>(_ v: V, _ x1: V, _ x2: V, _ x3: V,
                                    c: (Double, Double, Double, Double), e: (Double, Double, Double, Double)) -> (V, V, V, V) {
        let C0 = V(c.0), C1 = V(c.1), C2 = V(c.2), C3 = V(c.3)
        let B1 = V(e.0), B2 = V(e.1), B3 = V(e.2), B4 = V(e.3), D1 = V(d1), D2 = V(d2), D3 = V(d3)
        var h0 = v * C0 + v * C1 + v * C2 + v * C3
        var h1 = x1 * C0 + v * C1 + v * C2 + v * C3
        var h2 = x2 * C0 + x1 * C1 + v * C2 + v * C3
        var h3 = x3 * C0 + x2 * C1 + x1 * C2 + v * C3
        h0 = h0 - (v * B1 + v * B2 + v * B3 + v * B4)
        h1 = h1 - (h0 * D1 + v * B2 + v * B3 + v * B4)
        h2 = h2 - (h1 * D1 + h0 * D2 + v * B3 + v * B4)
        h3 = h3 - (h2 * D1 + h1 * D2 + h0 * D3 + v * B4)
        return (h0, h1, h2, h3)
    }

    /// The first four causal outputs, the signal continued with its first value.
    @inline(__always)
    private func causalHead<V: LaneValue>(_: V.Type, _ x: (Int) -> UnsafeMutablePointer<Double>,
                                          _ a: (Int) -> UnsafeMutablePointer<Double>, _ l: Int) {
        typealias L = Lane<V>
        let h: (V, V, V, V) = head(L.load(x(0) + l), L.load(x(1) + l), L.load(x(2) + l), L.load(x(3) + l),
                                   c: (n0, n1, n2, n3), e: (bn1, bn2, bn3, bn4))
        L.store(h.0, a(0) + l); L.store(h.1, a(1) + l); L.store(h.2, a(2) + l); L.store(h.3, a(3) + l)
    }

    /// The last four anticausal outputs, the signal continued with its last value.
    @inline(__always)
    private func anticausalHead<V: LaneValue>(_: V.Type, _ x: (Int) -> UnsafeMutablePointer<Double>,
                                              _ b: (Int) -> UnsafeMutablePointer<Double>, _ ln: Int, _ l: Int) {
        typealias L = Lane<V>
        let v = L.load(x(ln - 1) + l)
        let h: (V, V, V, V) = head(v, v, L.load(x(ln - 2) + l), L.load(x(ln - 3) + l),
                                   c: (m1, m2, m3, m4), e: (bm1, bm2, bm3, bm4))
        L.store(h.0, b(ln - 1) + l); L.store(h.1, b(ln - 2) + l); L.store(h.2, b(ln - 3) + l); L.store(h.3, b(ln - 4) + l)
    }
}

/// A Double or a pair of Doubles, so one recursion body serves both.
protocol LaneValue {
    init(_ d: Double)
    static func * (a: Self, b: Self) -> Self
    static func + (a: Self, b: Self) -> Self
    static func - (a: Self, b: Self) -> Self
}

extension Double: LaneValue {}
extension SIMD2: LaneValue where Scalar == Double {
    init(_ d: Double) { self.init(repeating: d) }
}

/// Unaligned loads and stores of a lane value from lane-major storage.
enum Lane<V: LaneValue> {
    @inline(__always) static func load(_ p: UnsafeMutablePointer<Double>) -> V {
        UnsafeRawPointer(p).loadUnaligned(as: V.self)
    }
    @inline(__always) static func store(_ v: V, _ p: UnsafeMutablePointer<Double>) {
        UnsafeMutableRawPointer(p).storeBytes(of: v, as: V.self)
    }
}
