import Foundation
import KiraCore
import KiraRadiomics
import KiraTestSupport
import Testing

/// IBSI-2 filters against scipy.ndimage (mean: uniform_filter; LoG: gaussian_filter second
/// derivatives with truncate 4, summed over axes in mm⁻²) and PyWavelets (`swtn`), run at test
/// time (Tests/Peers/ibsi_filters.py) in all four border modes, max |Kira − peer| / max |peer|
/// ≤ 1e-10; Laws and Gabor against analytic answers.
@Suite struct FiltersIBSITests {
    static let scipyPresent = PythonPeer.has("scipy")
    static let pywtPresent = PythonPeer.has("pywt")
    static let modes: [(kira: String, scipy: String, numpy: String)] = [
        ("constant", "constant", "constant"), ("nearest", "nearest", "edge"), ("periodic", "wrap", "periodization"), ("mirror", "reflect", "symmetric"),
    ]

    /// An image whose sizes divide by 4, for PyWavelets' periodic swtn at two levels.
    static let even: Volume = {
        var rng = SplitMix64(seed: 7)
        let size = SIMD3(16, 12, 8)
        let values = (0..<(size.x * size.y * size.z)).map { i in 50 * sin(0.4 * Double(i % 16)) + 20 * rng.unit() }
        return try! Volume(geometry: Geometry(size: size, spacing: [1, 1, 1]), voxels: .float64(values))
    }()

    static func peer(_ image: Volume, _ json: String) throws -> [(name: String, values: [Double])] {
        let dir = try TestPaths.temporaryDirectory("ibsi-filters")
        defer { try? FileManager.default.removeItem(at: dir) }
        let raw = dir.appendingPathComponent("in.f64")
        try PythonPeer.writeRaw(image.voxels.toDoubles(), to: raw)
        let s = image.geometry.size
        return try FilterFixtures.peerMaps(try PythonPeer.script("ibsi_filters.py", [raw.path, "\(s.x)", "\(s.y)", "\(s.z)", json, dir.path]))
    }

    @Test(.enabled(if: scipyPresent, Comment(rawValue: PythonPeer.missing("scipy"))), arguments: 0..<4, [(3, 3), (5, 2), (1, 3)])
    func meanMatchesScipy(_ mode: Int, _ shape: (support: Int, dims: Int)) throws {
        let m = Self.modes[mode]
        let image = FilterFixtures.synthetic
        let maps = try ImageFilters.apply(ImageTypeSpec(.mean, parameters: ["support": .integer(shape.support), "dimensions": .integer(shape.dims), "padding": .string(m.kira)]),
                                          to: image, mask: nil)
        let ref = try Self.peer(image, #"{"filter": "mean", "support": \#(shape.support), "dims": \#(shape.dims), "mode": "\#(m.scipy)"}"#)
        #expect(maps.map(\.prefix) == ["mean-support-\(shape.support)-\(shape.dims)D"])
        let d = FilterFixtures.relativeDifference(maps[0].image.voxels.toDoubles(), ref[0].values)
        print("mean support \(shape.support) \(shape.dims)D \(m.kira): max relative difference \(d)")
        #expect(d <= 1e-10)
    }

    @Test(.enabled(if: scipyPresent, Comment(rawValue: PythonPeer.missing("scipy"))), arguments: 0..<4, [1.0, 2.5])
    func logMatchesScipy(_ mode: Int, _ sigma: Double) throws {
        let m = Self.modes[mode]
        let image = FilterFixtures.synthetic
        let h = image.geometry.spacing
        let maps = try ImageFilters.apply(ImageTypeSpec(.log, parameters: ["sigma": .number(sigma), "padding": .string(m.kira)]), to: image, mask: nil)
        let json = #"{"filter": "log", "sigma": [\#(sigma / h.x), \#(sigma / h.y), \#(sigma / h.z)], "spacing": [\#(h.x), \#(h.y), \#(h.z)], "truncate": 4, "mode": "\#(m.scipy)"}"#
        let ref = try Self.peer(image, json)
        #expect(maps.map(\.prefix) == [sigma == 1 ? "log-ibsi-sigma-1-0-mm-3D" : "log-ibsi-sigma-2-5-mm-3D"])
        let d = FilterFixtures.relativeDifference(maps[0].image.voxels.toDoubles(), ref[0].values)
        print("IBSI LoG σ \(sigma) mm \(m.kira): max relative difference \(d)")
        #expect(d <= 1e-10)
    }

    /// Periodic padding equals `pywt.swtn` at every level; the other modes are checked at
    /// level 1 against swtn on the image padded by numpy.pad.
    @Test(.enabled(if: pywtPresent, Comment(rawValue: PythonPeer.missing("pywt"))),
          arguments: [("haar", 1, 2), ("db2", 1, 3), ("coif1", 1, 3), ("coif1", 2, 3), ("db2", 2, 2)].flatMap { w in (0..<4).map { (w.0, w.1, w.2, $0) } })
    func separableWaveletMatchesPyWavelets(_ c: (wavelet: String, level: Int, dims: Int, mode: Int)) throws {
        let m = Self.modes[c.mode]
        guard m.kira == "periodic" || c.level == 1 else { return }
        let image = m.kira == "periodic" ? Self.even : FilterFixtures.synthetic
        let spec = ImageTypeSpec(.wavelet, parameters: ["wavelet": .string(c.wavelet), "level": .integer(c.level), "dimensions": .integer(c.dims), "padding": .string(m.kira)])
        let maps = try ImageFilters.apply(spec, to: image, mask: nil)
        let ref = try Self.peer(image, #"{"filter": "swtn", "wavelet": "\#(c.wavelet)", "level": \#(c.level), "dims": \#(c.dims), "mode": "\#(m.numpy)"}"#)
        #expect(maps.count == 1 << c.dims)
        let byName = Dictionary(uniqueKeysWithValues: maps.map { ($0.prefix, $0.image.voxels.toDoubles()) })
        let level = c.level > 1 ? "-level-\(c.level)" : ""
        for (name, values) in ref {
            let kira = try #require(byName["wavelet-ibsi-\(c.wavelet)\(level)-\(name)"], "no band \(name) in \(byName.keys.sorted())")
            let d = FilterFixtures.relativeDifference(kira, values)
            print("IBSI wavelet \(c.wavelet) level \(c.level) \(c.dims)D \(m.kira) \(name): max relative difference \(d)")
            #expect(d <= 1e-10, "\(name): \(d)")
        }
    }
}

/// Laws kernels and Gabor filters against analytic answers.
@Suite struct FiltersAnalyticTests {
    static func volume(_ size: SIMD3<Int>, _ f: (Int, Int, Int) -> Double) -> Volume {
        var v: [Double] = []
        for z in 0..<size.z { for y in 0..<size.y { for x in 0..<size.x { v.append(f(x, y, z)) } } }
        return try! Volume(geometry: Geometry(size: size), voxels: .float64(v))
    }

    static let l5 = [1.0, 4, 6, 4, 1].map { $0 / 70.0.squareRoot() }
    static let e5 = [-1.0, -2, 0, 2, 1].map { $0 / 10.0.squareRoot() }
    static let s5 = [-1.0, 0, 2, 0, -1].map { $0 / 6.0.squareRoot() }

    /// A convolution of an impulse is the kernel itself: the response of L5E5S5 at
    /// centre + (i−2, j−2, k−2) is L5[i]·E5[j]·S5[k] (outer product, names in x, y, z order).
    @Test func lawsImpulseResponseIsTheOuterProduct() throws {
        let image = Self.volume([9, 9, 9]) { x, y, z in x == 4 && y == 4 && z == 4 ? 1 : 0 }
        let map = try ImageFilters.apply(ImageTypeSpec(.laws, parameters: ["kernel": "L5E5S5", "energy": false, "padding": "constant"]), to: image, mask: nil)[0]
        #expect(map.prefix == "laws-L5E5S5")
        var worst = 0.0
        for k in 0..<5 { for j in 0..<5 { for i in 0..<5 {
            worst = max(worst, abs(map.image[i + 2, j + 2, k + 2, 0] - Self.l5[i] * Self.e5[j] * Self.s5[k]))
        } } }
        #expect(worst <= 1e-15)
    }

    /// Kernel sums: on a constant image (periodic padding) L5L5L5 gives c·(16/√70)³ and the
    /// energy map its absolute value; any kernel with E5, S5, W5 or R5 sums to 0.
    @Test func lawsKernelSumsOnAConstantImage() throws {
        let c = 3.5
        let image = Self.volume([12, 10, 8]) { _, _, _ in c }
        let expected = c * pow(16 / 70.0.squareRoot(), 3)
        let ll = try ImageFilters.apply(ImageTypeSpec(.laws, parameters: ["kernel": "L5L5L5", "energy": false, "padding": "periodic"]), to: image, mask: nil)[0]
        let energy = try ImageFilters.apply(ImageTypeSpec(.laws, parameters: ["kernel": "L5L5L5", "delta": 2, "padding": "periodic"]), to: image, mask: nil)[0]
        #expect(ll.image.voxels.toDoubles().allSatisfy { abs($0 - expected) <= 1e-12 })
        #expect(energy.image.voxels.toDoubles().allSatisfy { abs($0 - expected) <= 1e-12 })
        for name in ["L5E5E5", "S5L5L5", "L5W5L5", "R5R5L5", "E3L3L3"] {
            let map = try ImageFilters.apply(ImageTypeSpec(.laws, parameters: ["kernel": .string(name), "energy": false, "padding": "periodic"]), to: image, mask: nil)[0]
            #expect(map.image.voxels.toDoubles().allSatisfy { abs($0) <= 1e-12 }, "\(name)")
        }
    }

    /// Rotation invariance: the pooled response of a right-angle-rotated image is the rotated
    /// pooled response (here a quarter turn about z: (x, y) → (y, n−1−x)).
    @Test(arguments: ["max", "average"])
    func lawsRotationInvariance(_ pooling: String) throws {
        var rng = SplitMix64(seed: 3)
        let n = 9
        let base = (0..<(n * n * 7)).map { _ in rng.unit() }
        let image = Self.volume([n, n, 7]) { x, y, z in base[(z * n + y) * n + x] }
        let turned = Self.volume([n, n, 7]) { x, y, z in base[(z * n + (n - 1 - x)) * n + y] }
        let spec = ImageTypeSpec(.laws, parameters: ["kernel": "L5E5S5", "rotation_invariance": true, "pooling": .string(pooling), "delta": 1])
        let a = try ImageFilters.apply(spec, to: image, mask: nil)[0].image
        let b = try ImageFilters.apply(spec, to: turned, mask: nil)[0].image
        var worst = 0.0
        for z in 0..<7 { for y in 0..<n { for x in 0..<n { worst = max(worst, abs(b[x, y, z, 0] - a[y, n - 1 - x, z, 0])) } } }
        #expect(worst <= 1e-12)
    }

    /// Sums of the sampled 1D normal density over |u| ≤ r, plain and with (−1)^u.
    static func gaussianSums(_ sigma: Double, _ r: Int) -> (plain: Double, alternating: Double) {
        var plain = 0.0, alternating = 0.0
        for u in -r...r {
            let g = exp(-Double(u * u) / (2 * sigma * sigma)) / (sigma * (2 * Double.pi).squareRoot())
            plain += g
            alternating += u % 2 == 0 ? g : -g
        }
        return (plain, alternating)
    }

    /// A plane wave cos(2πx/λ), λ = 4 voxels, at the kernel's own frequency and orientation:
    /// (h∗I)(x) = ½e^{ikx}·S + ½e^{−ikx}·T with S = ∑g and T = ∑g·e^{2iku} = ∑(−1)^u g (the
    /// truncated kernel's, ~1e-5 of S), so |h∗I|(x) = ½·S_y·(S_x + (−1)^x T_x).
    @Test func gaborMatchedPlaneWave() throws {
        let lambda = 4.0, sigma = 3.0
        let image = Self.volume([32, 28, 3]) { x, _, _ in cos(2 * Double.pi * Double(x) / lambda) }
        let map = try ImageFilters.apply(ImageTypeSpec(.gabor, parameters: ["sigma": .number(sigma), "lambda": .number(lambda), "padding": "periodic"]), to: image, mask: nil)[0]
        let r = Int(4 * sigma + 0.5)
        let (s, t) = Self.gaussianSums(sigma, r)
        var worst = 0.0
        for z in 0..<3 { for y in 0..<28 { for x in 0..<32 {
            let expected = 0.5 * s * (s + (x % 2 == 0 ? t : -t))
            worst = max(worst, abs(map.image[x, y, z, 0] - expected) / expected)
        } } }
        print("Gabor matched plane wave: max relative difference \(worst)")
        #expect(worst <= 1e-10)
        // Orthogonal orientation: only the envelope's tiny response to the wave remains.
        let across = try ImageFilters.apply(ImageTypeSpec(.gabor, parameters: ["sigma": .number(sigma), "lambda": .number(lambda), "theta": .number(Double.pi / 2), "padding": "periodic"]), to: image, mask: nil)[0]
        #expect(across.image.voxels.toDoubles().allSatisfy { $0 <= 1e-4 * s * s })
    }

    /// Oblique orientation and γ ≠ 1 (the direct 2D path): away from the border,
    /// |h∗I|(x) = ½·|S + T·e^{−2ik x·n}| with S = ∑g(u), T = ∑g(u)·e^{2ik u·n} over the kernel's
    /// support, g the Gaussian envelope, n = (cos θ, sin θ).
    @Test func gaborObliquePlaneWave() throws {
        let lambda = 5.0, sigma = 2.0, gamma = 0.8, theta = Double.pi / 6
        let k = 2 * Double.pi / lambda
        let image = Self.volume([60, 60, 1]) { x, y, _ in cos(k * (Double(x) * cos(theta) + Double(y) * sin(theta))) }
        let spec = ImageTypeSpec(.gabor, parameters: ["sigma": .number(sigma), "lambda": .number(lambda), "gamma": .number(gamma), "theta": .number(theta), "padding": "constant"])
        let map = try ImageFilters.apply(spec, to: image, mask: nil)[0]
        #expect(map.prefix == "gabor-sigma-2-0-mm-lambda-5-0-mm-gamma-0-8-theta-0-5235987755982988-2D")
        let r = Int(4 * sigma / gamma + 0.5)
        var s = 0.0, tRe = 0.0, tIm = 0.0
        for v in -r...r { for u in -r...r {
            let ut = Double(u) * cos(theta) + Double(v) * sin(theta), vt = -Double(u) * sin(theta) + Double(v) * cos(theta)
            let g = exp(-(ut * ut + gamma * gamma * vt * vt) / (2 * sigma * sigma)) / (2 * Double.pi * sigma * sigma)
            s += g; tRe += g * cos(2 * k * ut); tIm += g * sin(2 * k * ut)
        } }
        var worst = 0.0
        for y in r..<(60 - r) { for x in r..<(60 - r) {
            let phase = -2 * k * (Double(x) * cos(theta) + Double(y) * sin(theta))
            let re = s + tRe * cos(phase) - tIm * sin(phase), im = tRe * sin(phase) + tIm * cos(phase)
            let expected = 0.5 * (re * re + im * im).squareRoot()
            worst = max(worst, abs(map.image[x, y, 0, 0] - expected) / expected)
        } }
        print("Gabor oblique plane wave: max relative difference \(worst)")
        #expect(worst <= 1e-10)
    }
}
