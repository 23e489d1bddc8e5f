import Foundation
import KiraCore
import KiraIO
import KiraRadiomics
import KiraTestSupport
import Testing

/// With a mask, bounded filters run on a box around the ROI (its reach plus 10 mm); inside
/// the ROI's bounding box grown by 10 mm the maps must equal the whole-image maps: exactly
/// for finite kernels, within float rounding (1e-6 of the map's scale, printed) for the
/// recursive LoG, whose tails are cut at 20σ.
@Suite struct FiltersCropTests {
    static let specs: [ImageTypeSpec] = [
        ImageTypeSpec(.log, parameters: ["sigma": .array([1.0, 3.0])]), ImageTypeSpec(.log, parameters: ["sigma": 1.0]),
        ImageTypeSpec(.log, parameters: ["sigma": 2.0, "padding": "nearest"]),
        ImageTypeSpec(.wavelet), ImageTypeSpec(.wavelet, parameters: ["wavelet": "db2", "start_level": 1, "level": 2]),
        ImageTypeSpec(.wavelet, parameters: ["wavelet": "coif1", "level": 2, "padding": "mirror"]),
        ImageTypeSpec(.gradient), ImageTypeSpec(.lbp2D), ImageTypeSpec(.mean, parameters: ["support": 5]),
        ImageTypeSpec(.laws, parameters: ["kernel": "L5E5S5", "delta": 3]),
        ImageTypeSpec(.gabor, parameters: ["sigma": 2.0, "lambda": 3.0, "gamma": 0.7, "theta": 0.4]),
    ]

    @Test(.enabled(if: TestPaths.referenceAvailable, Comment(rawValue: TestPaths.referenceMissing)), arguments: ["breast1", "brain1"], 0..<specs.count)
    func croppedMapsEqualWholeImageMaps(_ name: String, _ i: Int) throws {
        let spec = Self.specs[i]
        let imageURL = TestPaths.reference("pyradiomics/data/\(name)_image.nrrd")
        let image = try ImageFileReader.read(imageURL)
        let mask = try MaskReader.read(TestPaths.reference("pyradiomics/data/\(name)_label.nrrd"), label: 1, matching: image.geometry, imagePath: imageURL.path)
        let whole = try ImageFilters.apply(spec, to: image, mask: nil)
        let cropped = try ImageFilters.apply(spec, to: image, mask: mask)
        #expect(whole.map(\.prefix) == cropped.map(\.prefix))
        // The ROI's bounding box grown by 10 mm, clipped to the image.
        let s = image.geometry.size, h = image.geometry.spacing
        var lo = s, hi = SIMD3(-1, -1, -1)
        for z in 0..<s.z { for y in 0..<s.y { for x in 0..<s.x where mask[x, y, z, 0] != 0 {
            lo = SIMD3(min(lo.x, x), min(lo.y, y), min(lo.z, z)); hi = SIMD3(max(hi.x, x), max(hi.y, y), max(hi.z, z))
        } } }
        for a in 0..<3 {
            let c = Int((10 / h[a]).rounded(.up))
            lo[a] = max(0, lo[a] - c); hi[a] = min(s[a] - 1, hi[a] + c)
        }
        let exact = !(spec.kind == .log && spec.parameters["padding"] == nil)
        for (w, c) in zip(whole, cropped) {
            let o = c.cropIndex ?? .zero
            var diff = 0.0, scale = 0.0
            for z in lo.z...hi.z { for y in lo.y...hi.y { for x in lo.x...hi.x {
                let a = w.image[x, y, z, 0], b = c.image[x - o.x, y - o.y, z - o.z, 0]
                diff = max(diff, abs(a - b)); scale = max(scale, abs(a))
            } } }
            let rel = scale > 0 ? diff / scale : diff
            print("\(name) \(c.prefix): crop \(c.cropIndex.map { "\($0) size \(c.image.geometry.size)" } ?? "none"), max relative difference \(rel)")
            #expect(exact ? rel == 0 : rel <= 1e-6, "\(c.prefix): \(rel)")
        }
    }
}
