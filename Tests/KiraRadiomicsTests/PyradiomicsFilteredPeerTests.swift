import Foundation
import KiraCore
import KiraIO
import KiraRadiomics
import KiraTestSupport
import Testing

/// pyradiomics mode with filtered image types, end to end: Original + LoG σ 1, 2, 3 mm + all 8
/// coif1 wavelet bands, every feature class, against pyradiomics' extractor run at test time
/// on the same files (brain1, breast1, and the synthetic phantom of PyradiomicsPeerSettingsTests).
/// Every feature pyradiomics reports, 1e-6 relative (the issue asks 1e-4); NaN in pyradiomics
/// must be an undefined value in Kira.
///
/// Kira computes LoG and wavelet maps only inside the ROI's bounding box; the second test
/// holds that box to the whole-image map voxel for voxel (exact equality), on boxes inside the
/// image and against its edges, where the wavelets' periodic padding wraps around.
@Suite struct PyradiomicsFilteredPeerTests {
    static let params = """
        {"setting": {"binWidth": 25, "label": 1},
         "imageType": {"Original": {}, "LoG": {"sigma": [1.0, 2.0, 3.0]}, "Wavelet": {}},
         "featureClass": {"firstorder": null, "glcm": null, "glrlm": null, "glszm": null, "gldm": null, "ngtdm": null, "shape": null}}
        """
    static var enabled: Bool { PythonPeer.has("radiomics") && PythonPeer.has("SimpleITK") && PythonPeer.has("pywt") }

    @Test(.enabled(if: enabled, Comment(rawValue: "needs python3 with pyradiomics, SimpleITK and PyWavelets (make peers)")),
          arguments: ["phantom", "brain1", "breast1"])
    func filteredExtractionMatchesPyradiomics(_ source: String) throws {
        let dir = try TestPaths.temporaryDirectory("pyrad-filtered-\(source)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let imageURL: URL, maskURL: URL
        if source == "phantom" {
            let (image, labels) = try PyradiomicsPeerSettingsTests.phantom()
            imageURL = dir.appendingPathComponent("image.nii.gz")
            maskURL = dir.appendingPathComponent("mask.nii.gz")
            try NIfTIWriter.write(image, to: imageURL)
            try NIfTIWriter.write(labels, to: maskURL)
        } else {
            guard TestPaths.referenceAvailable else { print("skipped \(source): \(TestPaths.referenceMissing)"); return }
            imageURL = TestPaths.reference("pyradiomics/data/\(source)_image.nrrd")
            maskURL = TestPaths.reference("pyradiomics/data/\(source)_label.nrrd")
        }
        let paramsURL = dir.appendingPathComponent("params.json")
        try Self.params.write(to: paramsURL, atomically: true, encoding: .utf8)
        let output = try PythonPeer.script("pyradiomics_features.py", [imageURL.path, maskURL.path, paramsURL.path])
        let peer = try #require(try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any])

        let settings = try SettingsFile.load(paramsURL)
        let image = try ImageFileReader.read(imageURL)
        let mask = try MaskReader.read(maskURL, label: settings.label, matching: image.geometry, imagePath: imageURL.path)
        let set = try FeatureExtraction.run(image: image, mask: mask, settings: settings)
        let (misses, worst) = PyradiomicsComparison.compare(peer, set, tolerance: 1e-6)
        print("pyradiomics filtered \(source): \(peer.count - misses.count)/\(peer.count) within 1e-6, worst \(worst)")
        for m in misses.prefix(20) { print("  miss \(source) \(m)") }
        // 14 shape + 12 maps × (18 + 24 + 16 + 16 + 14 + 5) features.
        #expect(peer.count == 14 + 12 * 93)
        #expect(set.rows.count == peer.count, "Kira \(set.rows.count) features, pyradiomics \(peer.count)")
        #expect(misses.isEmpty)
    }

    static let boxSpecs: [ImageTypeSpec] = [
        ImageTypeSpec(.original),
        ImageTypeSpec(.log, parameters: ["sigma": .array([1.0, 3.0])]),
        ImageTypeSpec(.wavelet),
        ImageTypeSpec(.wavelet, parameters: ["wavelet": "haar", "start_level": 1, "level": 2]),
        ImageTypeSpec(.wavelet, parameters: ["wavelet": "db3", "force2D": true, "force2Ddimension": 0]),
    ]

    /// Boxes in the synthetic filter image (its size is odd along some axes, so the wavelets'
    /// wrapped padding voxel matters): inside, against the low corner, against the high
    /// corner, and one as long as an axis.
    static func boxes(_ s: SIMD3<Int>) -> [FilterRegion] {
        [FilterRegion(lo: [9, 7, 3], size: [11, 6, 4]),
         FilterRegion(lo: [0, 0, 0], size: [5, 4, 2]),
         FilterRegion(lo: s &- SIMD3(6, 5, 3), size: [6, 5, 3]),
         FilterRegion(lo: [2, 0, 1], size: [7, s.y, 3])]
    }

    @Test(arguments: 0..<boxSpecs.count)
    func boxMapsEqualWholeImageMaps(_ i: Int) throws {
        let spec = Self.boxSpecs[i]
        var sources: [(String, Volume, [FilterRegion])] = []
        let synthetic = try FilterFixtures.image("synthetic")
        sources.append(("synthetic", synthetic, Self.boxes(synthetic.geometry.size)))
        if TestPaths.referenceAvailable {
            for name in ["brain1", "breast1"] {
                let url = TestPaths.reference("pyradiomics/data/\(name)_image.nrrd")
                let image = try ImageFileReader.read(url)
                let mask = try MaskReader.read(TestPaths.reference("pyradiomics/data/\(name)_label.nrrd"), label: 1, matching: image.geometry, imagePath: url.path)
                let (lo, hi) = try #require(nonZeroBoundingBox(mask.voxels.nonZeroMask(), size: mask.geometry.size))
                sources.append((name, image, [FilterRegion(lo: lo, size: hi &- lo &+ 1)]))
            }
        } else {
            print("brain1/breast1 boxes skipped: \(TestPaths.referenceMissing)")
        }
        for (name, image, boxes) in sources {
            let whole = try ImageFilters.apply(spec, to: image, mask: nil)
            for box in boxes {
                let parts = try ImageFilters.apply(spec, to: image, mask: nil, output: box)
                #expect(parts.map(\.prefix) == whole.map(\.prefix))
                for (w, p) in zip(whole, parts) {
                    #expect(p.cropIndex == box.lo)
                    #expect(p.image.geometry.size == box.size)
                    let corner = w.image.geometry.physicalPoint(index: box.lo)
                    #expect(simd_distance(p.image.geometry.origin, corner) < 1e-9, "\(name) \(p.prefix): origin \(p.image.geometry.origin) vs \(corner)")
                    var differing = 0
                    for z in 0..<box.size.z { for y in 0..<box.size.y { for x in 0..<box.size.x {
                        if p.image[x, y, z, 0] != w.image[box.lo.x + x, box.lo.y + y, box.lo.z + z, 0] { differing += 1 }
                    } } }
                    #expect(differing == 0, "\(name) \(p.prefix) box \(box): \(differing) voxels differ from the whole-image map")
                }
            }
        }
    }
}

private func simd_distance(_ a: SIMD3<Double>, _ b: SIMD3<Double>) -> Double {
    let d = a - b
    return (d * d).sum().squareRoot()
}

