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
/// | | `padding` | mirror | IBSI-2 border mode: constant (zero), nearest, periodic (wrap), mirror (reflect); setting it implies `ibsi: true` |
/// | | `truncate` | 4 | IBSI-2 kernel radius in σ |
/// | Wavelet | `wavelet` | coif1 | haar, db1–db10, sym2–sym10, coif1–coif5 |
/// | | `start_level`, `level` | 0, 1 | pyradiomics' levels (same filters re-applied to the approximation) |
/// | | `force2D`, `force2Ddimension` | false, 0 | pyradiomics' in-plane decomposition (dimension 0 = z, 1 = y, 2 = x) |
/// | | `ibsi` | false | true: IBSI-2 separable undecimated wavelet (à-trous dilation per level) |
/// | | `padding` | periodic | IBSI-2 border mode (implies `ibsi: true`) |
/// | | `filters` | all | IBSI-2: band names to keep, e.g. [LLH, HHH] |
/// | | `rotation_invariance`, `pooling` | false, average | IBSI-2: pool each band over the 24 right-angle rotations (average or max) |
/// | Square, SquareRoot, Logarithm, Exponential | – | | pyradiomics' scaled voxel-wise transforms, prefixes `square`, `squareroot`, `logarithm`, `exponential` |
/// | Gradient | `gradientUseSpacing` | true | central-difference gradient magnitude, prefix `gradient` |
/// | LBP2D | `lbp2DRadius`, `lbp2DSamples`, `lbp2DMethod`, `force2Ddimension` | 1, 8, uniform, 0 | scikit-image's local binary pattern per slice, prefix `lbp-2D` |
/// | Mean | `support` | required | IBSI-2 mean filter, support in voxels (odd), prefix `mean-3D-support-5` |
/// | | `dimensions`, `padding` | 3, mirror | 2: in-plane per slice |
/// | Laws | `kernel` | required | e.g. L5E5E5 (x, y, z order of the 1D kernels L3 E3 S3 L5 E5 S5 W5 R5) |
/// | | `energy`, `delta`, `rotation_invariance`, `pooling`, `padding` | true, 7, false, max, mirror | energy window (2δ+1 voxels), pooling over rotations |
/// | Gabor | `sigma`, `lambda` | required | mm, in-plane per slice |
/// | | `gamma`, `theta`, `orientations`, `pooling`, `padding` | 1, 0, 1, average, mirror | spatial aspect ratio, first angle (rad), number of angles over π, pooling of the moduli |
public enum ImageFilters {
    /// The response maps of one image type; `mask` lets filters that need the ROI see it.
    public static func apply(_ spec: ImageTypeSpec, to image: Volume, mask: Volume?) throws -> [FilteredImage] {
        var p = FilterParameters(spec)
        switch spec.kind {
        case .original:
            try p.rejectUnknown()
            return [FilteredImage(prefix: "original", image: image)]
        case .log:
            return try logMaps(&p, spec: spec, image: image)
        case .wavelet:
            return try waveletMaps(&p, image: image)
        case .square, .squareRoot, .logarithm, .exponential:
            try p.rejectUnknown()
            let t: IntensityTransform = switch spec.kind {
            case .square: .square
            case .squareRoot: .squareroot
            case .logarithm: .logarithm
            default: .exponential
            }
            return [FilteredImage(prefix: t.rawValue, image: try t.apply(image, kind: spec.kind))]
        case .gradient:
            let useSpacing = try p.bool("gradientUseSpacing", default: true)
            try p.rejectUnknown()
            return [FilteredImage(prefix: "gradient", image: try GradientMagnitude.apply(image, useSpacing: useSpacing))]
        case .lbp2D:
            let radius = try p.positive("lbp2DRadius", default: 1)
            let samples = try p.int("lbp2DSamples", default: 8)
            let method = try p.choice("lbp2DMethod", LocalBinaryPattern2D.Method.allCases.map(\.rawValue), default: "uniform")
            let dimension = try p.int("force2Ddimension", default: 0)
            _ = try p.bool("force2D", default: false)
            try p.rejectUnknown()
            guard (1...62).contains(samples) else { throw p.error("lbp2DSamples", "must be between 1 and 62, got \(samples)") }
            guard (0...2).contains(dimension) else { throw p.error("force2Ddimension", "must be 0, 1 or 2, got \(dimension)") }
            let map = try LocalBinaryPattern2D.apply(image, radius: radius, samples: samples,
                                                     method: LocalBinaryPattern2D.Method(rawValue: method)!, dimension: dimension)
            return [FilteredImage(prefix: "lbp-2D", image: map)]
        default:
            throw KiraError.invalidArgument("imageType \(spec.kind.rawValue): this filter is not available in this build")
        }
    }

    private static func logMaps(_ p: inout FilterParameters, spec: ImageTypeSpec, image: Volume) throws -> [FilteredImage] {
        let sigmas = try p.doubles("sigma", default: [])
        guard !sigmas.isEmpty else { throw p.error("sigma", "is required (σ in mm, a number or a list)") }
        for s in sigmas where !(s > 0) { throw p.error("sigma", "must be positive, got \(s)") }
        let padding = try p.string("padding", default: nil)
        let ibsi = try p.bool("ibsi", default: padding != nil)
        _ = try p.double("truncate", default: 4)
        try p.rejectUnknown()
        if ibsi {
            throw KiraError.invalidArgument("imageType LoG: the IBSI-2 LoG (ibsi: true) is not available in this build")
        }
        let raw: [MetaValue]
        if case let .array(a) = spec.parameters["sigma"] { raw = a } else { raw = [spec.parameters["sigma"]!] }
        return try zip(sigmas, raw).map { sigma, value in
            FilteredImage(prefix: RecursiveLoG.prefix(value), image: try RecursiveLoG.apply(image, sigma: sigma))
        }
    }

    private static func waveletMaps(_ p: inout FilterParameters, image: Volume) throws -> [FilteredImage] {
        let name = try p.string("wavelet", default: "coif1") ?? "coif1"
        let start = try p.int("start_level", default: 0)
        let levels = try p.int("level", default: 1)
        let force2D = try p.bool("force2D", default: false)
        let dimension = try p.int("force2Ddimension", default: 0)
        try p.rejectUnknown()
        guard start >= 0 else { throw p.error("start_level", "must be 0 or more, got \(start)") }
        guard levels >= 1 else { throw p.error("level", "must be 1 or more, got \(levels)") }
        guard (0...2).contains(dimension) else { throw p.error("force2Ddimension", "must be 0, 1 or 2, got \(dimension)") }
        var axes = [0, 1, 2]
        if force2D { axes.removeAll { $0 == 2 - dimension } }
        return try PyradiomicsWavelet.apply(image, wavelet: name, startLevel: start, levels: levels, axes: axes)
    }
}
