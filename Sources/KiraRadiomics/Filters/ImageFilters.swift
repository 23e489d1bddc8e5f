import KiraCore

/// Entry point from image types to response maps.
public enum ImageFilters {
    /// The response maps of one image type; `mask` lets filters that need the ROI (none yet) see it.
    public static func apply(_ spec: ImageTypeSpec, to image: Volume, mask: Volume?) throws -> [FilteredImage] {
        switch spec.kind {
        case .original:
            return [FilteredImage(prefix: "original", image: image)]
        default:
            throw KiraError.invalidArgument("imageType \(spec.kind.rawValue): this filter is not available in this build")
        }
    }
}
