import Dispatch
import KiraCore

/// Cubic B-spline interpolation needs coefficients, not samples: the spline through the
/// coefficients passes exactly through every sample. They come from a recursive filter
/// (Unser, Aldroubi & Eden 1991; Thévenaz, Blu & Unser 2000) run along each axis, with the
/// whole-sample symmetric boundary that the sampler's mirror indices assume.
enum BSplineCoefficients {
    /// The pole of the cubic B-spline's direct filter: √3 − 2.
    static let pole = 3.0.squareRoot() - 2

    /// Converts `values` (x fastest) in place.
    static func convert(_ values: inout [Double], size: SIMD3<Int>) {
        let strides = [1, size.x, size.x * size.y]
        let counts = [size.x, size.y, size.z]
        values.withUnsafeMutableBufferPointer { buf in
            let base = UncheckedPointer(buf.baseAddress!)
            for axis in 0..<3 where counts[axis] > 1 {
                let n = counts[axis], stride = strides[axis]
                // Every line along `axis` starts at an index whose `axis` coordinate is 0.
                let lines = size.x * size.y * size.z / n
                let otherA = axis == 0 ? size.y : size.x
                parallelChunks(lines) { range in
                    var line = [Double](repeating: 0, count: n)
                    for l in range {
                        let start: Int
                        switch axis {
                        case 0: start = l * size.x
                        case 1: start = (l / otherA) * size.x * size.y + (l % otherA)
                        default: start = l
                        }
                        for k in 0..<n { line[k] = base.p[start + k * stride] }
                        filter(&line)
                        for k in 0..<n { base.p[start + k * stride] = line[k] }
                    }
                }
            }
        }
    }

    /// One line: gain, causal pass, anticausal pass.
    static func filter(_ c: inout [Double]) {
        let n = c.count
        guard n > 1 else { return }
        let z = pole
        let gain = (1 - z) * (1 - 1 / z)
        for k in 0..<n { c[k] *= gain }
        // Causal initial value of the mirror-extended signal, summed exactly over one period.
        var zn = z
        let iz = 1 / z
        var z2n = pow(z, Double(n - 1))
        var sum = c[0] + z2n * c[n - 1]
        z2n *= z2n * iz
        for k in 1..<(n - 1) {
            sum += (zn + z2n) * c[k]
            zn *= z
            z2n *= iz
        }
        c[0] = sum / (1 - zn * zn)
        for k in 1..<n { c[k] += z * c[k - 1] }
        c[n - 1] = (z / (z * z - 1)) * (z * c[n - 2] + c[n - 1])
        for k in stride(from: n - 2, through: 0, by: -1) { c[k] = z * (c[k + 1] - c[k]) }
    }

    private static func pow(_ x: Double, _ e: Double) -> Double {
        var r = 1.0
        for _ in 0..<Int(e) { r *= x }
        return r
    }
}

/// A raw pointer handed to concurrent workers that write disjoint elements.
struct UncheckedPointer: @unchecked Sendable {
    let p: UnsafeMutablePointer<Double>
    init(_ p: UnsafeMutablePointer<Double>) { self.p = p }
}
