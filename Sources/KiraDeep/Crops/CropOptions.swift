import KiraCore

/// How a network's input is cut from an image and its tumour mask, as the seed studies do it;
/// every field is written into the provenance.
public struct CropOptions: Sendable, Codable, Equatable {
    /// The tumour's bounding box, or the bounding box of the tumour dilated by a ring of
    /// `ringMM` (tumour + peritumoral area). Pixels are not masked: the box is the input.
    public enum Region: Sendable, Codable, Equatable {
        case tumour
        case tumourRing(mm: Double)

        /// "tumour", "tumour+ring:5mm".
        public init(parsing s: String) throws {
            if s == "tumour" { self = .tumour; return }
            let prefix = "tumour+ring:"
            guard s.hasPrefix(prefix), s.hasSuffix("mm"), let mm = Double(s.dropFirst(prefix.count).dropLast(2)), mm > 0, mm.isFinite else {
                throw KiraError.invalidArgument("crop '\(s)' must be tumour or tumour+ring:<mm>mm, e.g. tumour+ring:5mm")
            }
            self = .tumourRing(mm: mm)
        }

        /// The region's part of a feature name: tumour, peri5mm.
        public var label: String {
            switch self {
            case .tumour: "tumour"
            case let .tumourRing(mm): "peri" + (mm == mm.rounded() ? String(Int(mm)) : String(mm).replacingOccurrences(of: ".", with: "p")) + "mm"
            }
        }

        public var description: String {
            switch self {
            case .tumour: "tumour"
            case let .tumourRing(mm): "tumour+ring:\(mm)mm"
            }
        }
    }

    /// 2D: the tumour's largest-area slice, grey copied to the three channels. 2.5D: that slice
    /// and its two neighbours as the three channels.
    public enum Mode: String, Sendable, Codable { case twoD = "2d", twoAndHalfD = "2.5d" }

    /// Intensities to [0, 1] before normalisation: percentiles of the crop's pixels (NumPy's
    /// linear interpolation), or a fixed window; values outside are clipped.
    public enum Intensity: Sendable, Codable, Equatable {
        case percentile(low: Double, high: Double)
        case window(low: Double, high: Double)

        public init(parsing s: String) throws {
            let parts = s.split(separator: ":", maxSplits: 1)
            let bounds = parts.count == 2 ? parts[1].split(separator: ",").compactMap { Double($0) } : []
            guard parts.count == 2, bounds.count == 2, bounds[0] < bounds[1], bounds.allSatisfy(\.isFinite) else {
                throw KiraError.invalidArgument("intensity '\(s)' must be percentile:LOW,HIGH or window:LOW,HIGH with LOW < HIGH")
            }
            switch parts[0] {
            case "percentile" where bounds[0] >= 0 && bounds[1] <= 100: self = .percentile(low: bounds[0], high: bounds[1])
            case "window": self = .window(low: bounds[0], high: bounds[1])
            default: throw KiraError.invalidArgument("intensity '\(s)' must be percentile:LOW,HIGH (0–100) or window:LOW,HIGH")
            }
        }
    }

    public var region: Region
    public var mode: Mode
    /// Extra margin around the box, in mm on each side.
    public var marginMM: Double
    public var intensity: Intensity
    /// Per-channel mean and standard deviation subtracted and divided after scaling to [0, 1]
    /// (default ImageNet's).
    public var mean: [Float]
    public var std: [Float]

    public static let imageNetMean: [Float] = [0.485, 0.456, 0.406]
    public static let imageNetStd: [Float] = [0.229, 0.224, 0.225]

    public init(region: Region = .tumour, mode: Mode = .twoD, marginMM: Double = 0,
                intensity: Intensity = .percentile(low: 0.5, high: 99.5), mean: [Float] = imageNetMean, std: [Float] = imageNetStd) {
        self.region = region
        self.mode = mode
        self.marginMM = marginMM
        self.intensity = intensity
        self.mean = mean
        self.std = std
    }
}
