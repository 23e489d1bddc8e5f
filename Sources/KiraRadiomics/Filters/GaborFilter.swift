import Foundation
import KiraCore
import KiraPreprocess

/// IBSI-2 Gabor filter, in-plane per slice: the modulus of the convolution with
/// h(u, v) = 1/(2πσ²) · exp(−(ũ² + γ²ṽ²)/(2σ²)) · exp(2πi ũ/λ), ũ = u cos θ + v sin θ,
/// ṽ = −u sin θ + v cos θ, coordinates, σ and λ in mm (each tap weighted by the voxel area
/// so the sum approximates the integral; identical to IBSI-2's kernel at 1 mm spacing).
/// The kernel reaches ⌊4σ·max(1, 1/γ)/h + ½⌋ voxels from its centre along each axis. Several
/// orientations θ + kπ/N (k < N) are pooled over their moduli. With γ = 1, or θ a multiple of
/// π/2, the kernel is separable in x and y and is applied as two complex 1D passes.
enum GaborFilter {
    struct Settings {
        var sigma: Double, lambda: Double, gamma: Double, theta: Double
        var orientations: Int, pooling: Pooling, boundary: BoundaryMode
    }

    static func apply(_ image: Volume, _ s: Settings) throws -> Volume {
        let input = try FilterGrid(image)
        let h = image.geometry.spacing
        let radius = (0..<2).map { Int(4 * s.sigma * max(1, 1 / s.gamma) / h[$0] + 0.5) }
        var maps: [[Double]] = []
        for k in 0..<s.orientations {
            let theta = s.theta + Double(k) * Double.pi / Double(s.orientations)
            maps.append(modulus(input, theta: theta, s, spacing: h, radius: radius))
        }
        return try FilterGrid(size: input.size, values: s.pooling.pool(maps)).volume(like: image)
    }

    static func kernelValue(u: Double, v: Double, theta: Double, _ s: Settings) -> (re: Double, im: Double) {
        let ut = u * cos(theta) + v * sin(theta), vt = -u * sin(theta) + v * cos(theta)
        let g = exp(-(ut * ut + s.gamma * s.gamma * vt * vt) / (2 * s.sigma * s.sigma)) / (2 * Double.pi * s.sigma * s.sigma)
        let phase = 2 * Double.pi * ut / s.lambda
        return (g * cos(phase), g * sin(phase))
    }

    static func isSeparable(theta: Double, gamma: Double) -> Bool {
        let quarter = theta / (Double.pi / 2)
        return gamma == 1 || abs(quarter - quarter.rounded()) < 1e-12
    }

    static func modulus(_ input: FilterGrid, theta: Double, _ s: Settings, spacing h: SIMD3<Double>, radius: [Int]) -> [Double] {
        let area = h.x * h.y
        if isSeparable(theta: theta, gamma: s.gamma) {
            // h(u, v) = a(u) b(v): a carries the Gaussian and phase along x, b along y.
            let ux = (-radius[0]...radius[0]).map { Double($0) * h.x }
            let vy = (-radius[1]...radius[1]).map { Double($0) * h.y }
            let c = cos(theta), sn = sin(theta)
            let k = 2 * Double.pi / s.lambda, s2 = 2 * s.sigma * s.sigma, g2 = s.gamma * s.gamma
            // ũ² + γ²ṽ² splits into x and y parts when γ = 1 or θ ∈ {0, π/2, …}.
            let ax = ux.map { u -> (Double, Double) in
                let q = (c * c + g2 * sn * sn) * u * u
                let amp = exp(-q / s2) * area / (2 * Double.pi * s.sigma * s.sigma)
                return (amp * cos(k * c * u), amp * sin(k * c * u))
            }
            let by = vy.map { v -> (Double, Double) in
                let q = (sn * sn + g2 * c * c) * v * v
                let amp = exp(-q / s2)
                return (amp * cos(k * sn * v), amp * sin(k * sn * v))
            }
            var re = input, im = input
            re.apply(.convolution(ax.map(\.0)), axis: 0, boundary: s.boundary)
            im.apply(.convolution(ax.map(\.1)), axis: 0, boundary: s.boundary)
            var rr = re, ii = im, ri = re, ir = im
            rr.apply(.convolution(by.map(\.0)), axis: 1, boundary: s.boundary)
            ii.apply(.convolution(by.map(\.1)), axis: 1, boundary: s.boundary)
            ri.apply(.convolution(by.map(\.1)), axis: 1, boundary: s.boundary)
            ir.apply(.convolution(by.map(\.0)), axis: 1, boundary: s.boundary)
            return (0..<input.count).map { i in
                let a = rr.values[i] - ii.values[i], b = ri.values[i] + ir.values[i]
                return (a * a + b * b).squareRoot()
            }
        }
        // General orientation and aspect ratio: direct 2D convolution, slices in parallel.
        let rx = radius[0], ry = radius[1], wx = 2 * rx + 1
        let taps: [(Double, Double)] = (-ry...ry).flatMap { j in (-rx...rx).map { i in
            let t = kernelValue(u: Double(i) * h.x, v: Double(j) * h.y, theta: theta, s)
            return (t.re * area, t.im * area)
        } }
        let size = input.size, boundary = s.boundary
        var out = [Double](repeating: 0, count: input.count)
        input.values.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                let shared = SharedBuffer(p: dst.baseAddress!)
                let source = SharedBuffer(p: UnsafeMutablePointer(mutating: src.baseAddress!))
                parallelChunks(size.z * size.y) { rows in
                    for row in rows {
                        let z = row / size.y, y = row % size.y
                        for x in 0..<size.x {
                            var a = 0.0, b = 0.0
                            for j in -ry...ry {
                                guard let yy = boundary.index(y - j, size.y) else { continue }
                                let line = (z * size.y + yy) * size.x
                                for i in -rx...rx {
                                    guard let xx = boundary.index(x - i, size.x) else { continue }
                                    let v = source.p[line + xx], t = taps[(j + ry) * wx + i + rx]
                                    a += t.0 * v
                                    b += t.1 * v
                                }
                            }
                            shared.p[row * size.x + x] = (a * a + b * b).squareRoot()
                        }
                    }
                }
            }
        }
        return out
    }

    static func prefix(_ s: Settings) -> String {
        func f(_ d: Double) -> String { RecursiveLoG.pythonFloat(d).replacingOccurrences(of: ".", with: "-") }
        var p = "gabor-sigma-\(f(s.sigma))-mm-lambda-\(f(s.lambda))-mm-gamma-\(f(s.gamma))-theta-\(f(s.theta))"
        if s.orientations > 1 { p += "-n-\(s.orientations)-\(s.pooling.rawValue)" }
        return p + "-2D"
    }
}
