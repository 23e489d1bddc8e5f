import KiraCore

/// One image type of a settings file (pyradiomics' `imageType:` section, plus the IBSI-2
/// filters pyradiomics lacks). Parameters keep the settings file's names, e.g. LoG
/// `sigma: [1, 2, 3]`, Wavelet `wavelet: coif1`, `start_level`, `level`.
public struct ImageTypeSpec: Sendable, Equatable, Codable {
    public enum Kind: String, Sendable, Codable, CaseIterable {
        case original = "Original"
        case log = "LoG"
        case wavelet = "Wavelet"
        case square = "Square"
        case squareRoot = "SquareRoot"
        case logarithm = "Logarithm"
        case exponential = "Exponential"
        case gradient = "Gradient"
        case lbp2D = "LBP2D"
        case lbp3D = "LBP3D"
        case mean = "Mean"
        case laws = "Laws"
        case gabor = "Gabor"
    }

    public var kind: Kind
    public var parameters: [String: MetaValue]

    public init(_ kind: Kind, parameters: [String: MetaValue] = [:]) {
        self.kind = kind
        self.parameters = parameters
    }

    public static let original = ImageTypeSpec(.original)
}

/// A response map and the prefix its feature names carry (`original`, `log-sigma-2-0-mm-3D`,
/// `wavelet-LLH`, …, as pyradiomics names them).
public struct FilteredImage: Sendable {
    public var prefix: String
    public var image: Volume
    /// Where the map's first voxel sits in the filtered image's grid when the map covers only
    /// a box around the ROI (see `ImageFilters.apply`); nil when it covers the whole grid.
    public var cropIndex: SIMD3<Int>?

    public init(prefix: String, image: Volume, cropIndex: SIMD3<Int>? = nil) {
        self.prefix = prefix
        self.image = image
        self.cropIndex = cropIndex
    }

    /// `mask` (on the filtered image's grid) cut to this map's grid.
    public func restrict(_ mask: Volume) throws -> Volume {
        guard let lo = cropIndex else { return mask }
        return try FilterRegion(lo: lo, size: image.geometry.size).crop(mask)
    }
}
