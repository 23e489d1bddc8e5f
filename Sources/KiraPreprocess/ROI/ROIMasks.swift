import KiraCore

/// IBSI keeps two masks per region: the morphological mask (the shape, for morphology
/// features) and the intensity mask (the morphological mask minus voxels removed by
/// re-segmentation, for every intensity-based feature).
public struct ROIMasks: Sendable {
    public var geometry: Geometry
    public var morphological: [UInt8]
    public var intensity: [UInt8]

    public init(geometry: Geometry, mask: [UInt8]) {
        self.geometry = geometry
        morphological = mask.map { $0 != 0 ? 1 : 0 }
        intensity = morphological
    }

    public init(_ mask: Volume) {
        self.geometry = mask.geometry
        morphological = mask.voxels.nonZeroMask()
        intensity = morphological
    }
}
