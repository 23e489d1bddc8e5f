import KiraCore

/// Entry point from image types to response maps.
///
/// Parameters per image type (names as a settings file writes them; an unknown key is an error):
///
/// | kind | key | default | meaning |
/// |---|---|---|---|
/// | Original | – | | the image itself, prefix `original` |
/// | LoG | `sigma` | required | σ in mm, a number or a list; one map per σ |
/// | | `ibsi` | false | false: pyradiomics' recursive (Deriche/ITK) LoG, σ²-normalised, prefix `log-sigma-2-0-mm-3D`; true: IBSI-2's sampled Gaussian-derivative kernels, prefix `log-ibsi-sigma-2-0-mm-3D` |
/// | | `padding` | mirror | IBSI-2 border mode: constant (zero), nearest, periodic (wrap), mirror (reflect: d c b a \| a b c d); setting it implies `ibsi: true` |
/// | | `truncate` | 4 | IBSI-2 kernel radius in σ |
/// | Wavelet | `wavelet` | coif1 | haar, db1–db10, sym2–sym10, coif1–coif5 |
/// | | `start_level`, `level` | 0, 1 | pyradiomics' levels (same filters re-applied to the approximation) |
/// | | `force2D`, `force2Ddimension` | false, 0 | pyradiomics' in-plane decomposition (dimension 0 = z, 1 = y, 2 = x) |
/// | | `ibsi` | false | true: IBSI-2 separable undecimated wavelet, the bands of level `level` (à-trous dilation), prefix `wavelet-ibsi-coif1[-level-2]-LLH` |
/// | | `padding` | periodic | IBSI-2 border mode (implies `ibsi: true`) |
/// | | `filters` | all | IBSI-2: band names to keep, e.g. [LLH, HHH] (implies `ibsi: true`) |
/// | | `dimensions` | 3 | IBSI-2: 2 decomposes in-plane (x, y) only (implies `ibsi: true`) |
/// | | `rotation_invariance`, `pooling` | false, average | IBSI-2: pool each band over the right-angle rotations, 24 in 3D, 4 in 2D (average, max or min) |
/// | Square, SquareRoot, Logarithm, Exponential | – | | pyradiomics' scaled voxel-wise transforms, prefixes `square`, `squareroot`, `logarithm`, `exponential` |
/// | Gradient | `gradientUseSpacing` | true | central-difference gradient magnitude, prefix `gradient` |
/// | LBP2D | `lbp2DRadius`, `lbp2DSamples`, `lbp2DMethod`, `force2Ddimension` | 1, 8, uniform, 0 | scikit-image's local binary pattern per slice, prefix `lbp-2D` |
/// | Mean | `support` | required | IBSI-2 mean filter, support in voxels (odd), prefix `mean-support-5-3D` |
/// | | `dimensions`, `padding` | 3, mirror | 2: in-plane per slice |
/// | Laws | `kernel` | required | e.g. L5E5E5: 1D kernels (L3 E3 S3 L5 E5 S5 W5 R5) along x, y, z; two of them filter in-plane; prefix `laws-L5E5E5[-invariant-max][-energy-delta-7]` |
/// | | `energy`, `delta` | true, 7 | energy map: mean \|response\| over 2δ+1 voxels per axis, after pooling |
/// | | `rotation_invariance`, `pooling`, `padding` | false, max, mirror | pool over the right-angle rotations (average, max or min) |
/// | Gabor | `sigma`, `lambda` | required | mm, in-plane per slice, modulus of the complex response |
/// | | `gamma`, `theta`, `orientations`, `pooling`, `padding` | 1, 0, 1, average, mirror | aspect ratio, first angle (radians), N angles θ + kπ/N pooled, border mode |
public enum ImageFilters {
    /// The response maps of one image type. With a `mask`, filters whose reach is bounded
    /// run on the mask's bounding box plus their reach plus 10 mm of context (for local
    /// intensity peaks), an axis left whole when that box would touch the image's edge (so
    /// wrap-around and edge handling see the same voxels as on the whole image); such maps
    /// carry `cropIndex`. Inside the ROI and its 10 mm neighbourhood they equal the whole-image
    /// maps (recursive LoG: within 1e-12 of the map's scale, its tails cut at 20σ). The
    /// intensity transforms, scaled by the whole image's maximum, and Original are never cropped.
    /// With `output` (pyradiomics mode, which filters the whole image), filters that can
    /// compute any box of the whole-image map exactly (Original, pyradiomics' LoG and
    /// wavelets) return just that box, with `cropIndex`; the others return whole maps.
    public static func apply(_ spec: ImageTypeSpec, to image: Volume, mask: Volume?, output: FilterRegion? = nil) throws -> [FilteredImage] {
        let plan = try plan(spec, image)
        if let output, output.size != image.geometry.size, let inBox = plan.inBox {
            return try inBox(image, output)
        }
        guard let mask, let reach = plan.reach, let region = try FilterRegion.around(mask, in: image, reach: reach) else {
            return try plan.run(image)
        }
        let sub = try region.crop(image)
        return try plan.run(sub).map { map in
            var m = map
            m.cropIndex = region.lo
            return m
        }
    }

    /// What an image type computes, and how far (voxels per axis) a map voxel looks; nil:
    /// the map needs the whole image.
    struct Plan {
        var reach: SIMD3<Int>?
        var run: (Volume) throws -> [FilteredImage]
        /// The maps' voxels in a box only, equal to the whole-image maps there.
        var inBox: ((Volume, FilterRegion) throws -> [FilteredImage])? = nil
    }

    static func voxels(_ mm: Double, _ h: SIMD3<Double>) -> SIMD3<Int> {
        SIMD3((0..<3).map { Int((mm / h[$0]).rounded(.up)) })
    }

    private static func plan(_ spec: ImageTypeSpec, _ image: Volume) throws -> Plan {
        var p = FilterParameters(spec)
        let h = image.geometry.spacing
        switch spec.kind {
        case .original:
            try p.rejectUnknown()
            return Plan(reach: nil, run: { image in [FilteredImage(prefix: "original", image: image)] },
                        inBox: { image, box in [FilteredImage(prefix: "original", image: try box.crop(image), cropIndex: box.lo)] })
        case .log:
            return try logMaps(&p, spec: spec, image: image)
        case .wavelet:
            return try waveletMaps(&p, spec: spec, image: image)
        case .square, .squareRoot, .logarithm, .exponential:
            try p.rejectUnknown()
            let t: IntensityTransform = switch spec.kind {
            case .square: .square
            case .squareRoot: .squareroot
            case .logarithm: .logarithm
            default: .exponential
            }
            return Plan(reach: nil) { image in [FilteredImage(prefix: t.rawValue, image: try t.apply(image, kind: spec.kind))] }
        case .gradient:
            let useSpacing = try p.bool("gradientUseSpacing", default: true)
            try p.rejectUnknown()
            return Plan(reach: [1, 1, 1]) { image in [FilteredImage(prefix: "gradient", image: try GradientMagnitude.apply(image, useSpacing: useSpacing))] }
        case .lbp2D:
            let radius = try p.positive("lbp2DRadius", default: 1)
            let samples = try p.int("lbp2DSamples", default: 8)
            let method = try p.choice("lbp2DMethod", LocalBinaryPattern2D.Method.allCases.map(\.rawValue), default: "uniform")
            let dimension = try p.int("force2Ddimension", default: 0)
            _ = try p.bool("force2D", default: false)
            try p.rejectUnknown()
            guard (1...62).contains(samples) else { throw p.error("lbp2DSamples", "must be between 1 and 62, got \(samples)") }
            guard (0...2).contains(dimension) else { throw p.error("force2Ddimension", "must be 0, 1 or 2, got \(dimension)") }
            let r = Int(radius.rounded(.up)) + 1
            return Plan(reach: [r, r, r]) { image in
                [FilteredImage(prefix: "lbp-2D", image: try LocalBinaryPattern2D.apply(image, radius: radius, samples: samples,
                                                                                     method: LocalBinaryPattern2D.Method(rawValue: method)!, dimension: dimension))]
            }
        case .mean:
            let support = try p.int("support", default: 0)
            let dimensions = try p.int("dimensions", default: 3)
            let boundary = try padding(&p)
            try p.rejectUnknown()
            guard support >= 1, support % 2 == 1 else { throw p.error("support", "must be an odd number of voxels ≥ 1, got \(support)") }
            guard dimensions == 2 || dimensions == 3 else { throw p.error("dimensions", "must be 2 or 3, got \(dimensions)") }
            return Plan(reach: SIMD3(repeating: support / 2)) { image in
                [FilteredImage(prefix: MeanFilter.prefix(support: support, dimensions: dimensions),
                               image: try MeanFilter.apply(image, support: support, dimensions: dimensions, boundary: boundary))]
            }
        case .laws:
            guard let name = try p.string("kernel", default: nil) else { throw p.error("kernel", "is required, e.g. L5E5E5") }
            guard let names = LawsFilter.parse(name) else {
                throw p.error("kernel", "'\(name)' is not 2 or 3 of \(LawsFilter.kernels.keys.sorted().joined(separator: " "))")
            }
            let energy = try p.bool("energy", default: true)
            let delta = try p.int("delta", default: 7)
            let invariant = try p.bool("rotation_invariance", default: false)
            let pooling = try pooling(&p, default: "max")
            let boundary = try padding(&p)
            try p.rejectUnknown()
            guard delta >= 0 else { throw p.error("delta", "must be 0 or more, got \(delta)") }
            let radius = names.map { LawsFilter.kernels[$0]!.count / 2 }.max()! + (energy ? delta : 0)
            return Plan(reach: SIMD3(repeating: radius)) { image in
                let map = try LawsFilter.apply(image, kernel: names, rotationInvariant: invariant, pooling: pooling,
                                               energyDelta: energy ? delta : nil, boundary: boundary)
                return [FilteredImage(prefix: LawsFilter.prefix(names, rotationInvariant: invariant, pooling: pooling, energyDelta: energy ? delta : nil), image: map)]
            }
        case .gabor:
            let settings = GaborFilter.Settings(
                sigma: try p.positive("sigma"), lambda: try p.positive("lambda"), gamma: try p.positive("gamma", default: 1),
                theta: try p.requiredDouble("theta", default: 0), orientations: try p.int("orientations", default: 1),
                pooling: try pooling(&p, default: "average"), boundary: try padding(&p))
            try p.rejectUnknown()
            guard settings.orientations >= 1 else { throw p.error("orientations", "must be 1 or more, got \(settings.orientations)") }
            let r = voxels(4 * settings.sigma * max(1, 1 / settings.gamma), h) &+ 1
            return Plan(reach: [r.x, r.y, 0]) { image in [FilteredImage(prefix: GaborFilter.prefix(settings), image: try GaborFilter.apply(image, settings))] }
        case .lbp3D:
            throw KiraError.invalidArgument("imageType LBP3D: this filter is not available in this build")
        }
    }

    private static func padding(_ p: inout FilterParameters, default value: String = "mirror") throws -> BoundaryMode {
        let name = try p.string("padding", default: value) ?? value
        guard let mode = BoundaryMode.parse(name) else {
            throw p.error("padding", "must be one of \(BoundaryMode.names.joined(separator: ", ")), got '\(name)'")
        }
        return mode
    }

    private static func pooling(_ p: inout FilterParameters, default value: String) throws -> Pooling {
        Pooling(rawValue: try p.choice("pooling", Pooling.allCases.map(\.rawValue), default: value))!
    }

    private static func logMaps(_ p: inout FilterParameters, spec: ImageTypeSpec, image: Volume) throws -> Plan {
        let sigmas = try p.doubles("sigma", default: [])
        guard !sigmas.isEmpty else { throw p.error("sigma", "is required (σ in mm, a number or a list)") }
        for s in sigmas where !(s > 0) { throw p.error("sigma", "must be positive, got \(s)") }
        let ibsi = try p.bool("ibsi", default: spec.parameters["padding"] != nil)
        let boundary = try padding(&p)
        let truncate = try p.positive("truncate", default: 4)
        try p.rejectUnknown()
        let raw: [MetaValue]
        if case let .array(a) = spec.parameters["sigma"] { raw = a } else { raw = [spec.parameters["sigma"]!] }
        let h = image.geometry.spacing, largest = sigmas.max()!
        if !ibsi { for sigma in sigmas { try RecursiveLoG.validate(image, sigma: sigma) } }
        // The recursive filters' tails fall below 1e-12 of their peak within 20σ.
        let reach = ibsi ? SIMD3((0..<3).map { Int(truncate * largest / h[$0] + 0.5) }) : voxels(20 * largest, h)
        let run: (Volume) throws -> [FilteredImage] = { image in
            try zip(sigmas, raw).map { sigma, value in
                ibsi ? FilteredImage(prefix: GaussianLoG.prefix(value), image: try GaussianLoG.apply(image, sigma: sigma, truncate: truncate, boundary: boundary))
                     : FilteredImage(prefix: RecursiveLoG.prefix(value), image: try RecursiveLoG.apply(image, sigma: sigma))
            }
        }
        if ibsi { return Plan(reach: reach, run: run) }
        return Plan(reach: reach, run: run, inBox: { image, box in
            let maps = try RecursiveLoG.apply(image, sigmas: sigmas, output: box)
            return zip(raw, maps).map { value, map in FilteredImage(prefix: RecursiveLoG.prefix(value), image: map, cropIndex: box.lo) }
        })
    }

    private static func waveletMaps(_ p: inout FilterParameters, spec: ImageTypeSpec, image: Volume) throws -> Plan {
        let name = try p.string("wavelet", default: "coif1") ?? "coif1"
        let start = try p.int("start_level", default: 0)
        let levels = try p.int("level", default: 1)
        let force2D = try p.bool("force2D", default: false)
        let dimension = try p.int("force2Ddimension", default: 0)
        let ibsi = try p.bool("ibsi", default: ["padding", "filters", "rotation_invariance", "dimensions"].contains { spec.parameters[$0] != nil })
        let boundary = try padding(&p, default: "periodic")
        let bands = try p.strings("filters", default: [])
        let invariant = try p.bool("rotation_invariance", default: false)
        let pool = try pooling(&p, default: "average")
        let dimensions = try p.int("dimensions", default: 3)
        try p.rejectUnknown()
        if ibsi {
            guard start == 0 else { throw p.error("start_level", "is pyradiomics' setting; IBSI-2 wavelets take 'level' only") }
            guard levels >= 1 else { throw p.error("level", "must be 1 or more, got \(levels)") }
            guard dimensions == 2 || dimensions == 3 else { throw p.error("dimensions", "must be 2 or 3, got \(dimensions)") }
            let upper = bands.map { $0.uppercased() }
            for b in upper where b.count != dimensions || !b.allSatisfy({ $0 == "L" || $0 == "H" }) {
                throw p.error("filters", "'\(b)' is not a band of \(dimensions) letters L/H")
            }
            let settings = SeparableWavelet.Settings(wavelet: name, level: levels, dimensions: dimensions, boundary: boundary,
                                                     bands: upper.isEmpty ? nil : upper, rotationInvariant: invariant, pooling: pool)
            let taps = WaveletFilters.bank(name)?.lo.count ?? 0
            let r = taps / 2 * ((1 << levels) - 1)
            return Plan(reach: SIMD3((0..<3).map { $0 < dimensions ? r : 0 })) { image in try SeparableWavelet.apply(image, settings) }
        }
        guard start >= 0 else { throw p.error("start_level", "must be 0 or more, got \(start)") }
        guard levels >= 1 else { throw p.error("level", "must be 1 or more, got \(levels)") }
        guard (0...2).contains(dimension) else { throw p.error("force2Ddimension", "must be 0, 1 or 2, got \(dimension)") }
        var axes = [0, 1, 2]
        if force2D { axes.removeAll { $0 == 2 - dimension } }
        let r = (WaveletFilters.bank(name)?.lo.count ?? 0) / 2 * (start + levels)
        return Plan(reach: SIMD3((0..<3).map { axes.contains($0) ? r : 0 }), run: { image in
            try PyradiomicsWavelet.apply(image, wavelet: name, startLevel: start, levels: levels, axes: axes)
        }, inBox: { image, box in
            try PyradiomicsWavelet.apply(image, wavelet: name, startLevel: start, levels: levels, axes: axes, output: box)
        })
    }
}
