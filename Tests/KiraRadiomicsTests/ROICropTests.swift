import Foundation
import KiraCore
import KiraIO
import KiraPreprocess
@testable import KiraRadiomics
import KiraTestSupport
import Testing

/// Without interpolation and filters, FeatureExtraction works on the ROI's box (plus the
/// local-intensity reach) instead of the whole image. Nothing may change: every feature value
/// and every IBSI diagnostic equals, bit for bit, the whole-image path (preprocessing without
/// a crop, then the extractor on the whole image), and the pipeline still meets the IBSI
/// configuration-A reference values.
@Suite struct ROICropTests {
    /// The pre-crop path: whole-image preprocessing and extraction.
    static func wholeImage(_ image: Volume, _ mask: Volume, _ settings: ExtractionSettings) throws -> (FeatureSet, PreprocessResult) {
        let p = try Preprocessing.run(image: image, mask: mask, settings: settings.preprocess)
        let g = p.image.geometry
        let set = try RadiomicsExtractor(settings: settings.features)
            .extract(image: p.image, morphologicalMask: try Volume(geometry: g, voxels: .uint8(p.masks.morphological)),
                     intensityMask: try Volume(geometry: g, voxels: .uint8(p.masks.intensity)))
        return (set, p)
    }

    static func cases() -> [(String, String)] {
        [("ct_phantom", "ibsi-a"), ("breast1", "default"), ("breast1", "ibsi-a")]
    }

    static func read(_ name: String) throws -> (Volume, Volume) {
        if name == "ct_phantom" { return try IBSIPhantoms.read(name) }
        let imageURL = TestPaths.reference("pyradiomics/data/\(name)_image.nrrd")
        let image = try ImageFileReader.read(imageURL)
        let mask = try MaskReader.read(TestPaths.reference("pyradiomics/data/\(name)_label.nrrd"), label: 1,
                                       matching: image.geometry, imagePath: imageURL.path)
        return (image, mask)
    }

    @Test(.enabled(if: TestPaths.referenceAvailable, Comment(rawValue: TestPaths.referenceMissing)), arguments: cases())
    func croppedExtractionEqualsWholeImage(_ name: String, _ preset: String) throws {
        let (image, mask) = try Self.read(name)
        let settings = try #require(ExtractionSettings.preset(preset))
        let margin = LocalIntensity.margin(spacing: image.geometry.spacing)
        let cropped = try Preprocessing.run(image: image, mask: mask, settings: settings.preprocess, cropMargin: margin)
        let (whole, p) = try Self.wholeImage(image, mask, settings)
        // The crop really happened, and the diagnostics still describe the whole image.
        #expect(cropped.image.geometry.voxelCount < image.geometry.voxelCount / 4)
        #expect(cropped.cropOffset != .zero)
        #expect(cropped.fullGeometry == image.geometry)
        #expect(cropped.initialImage == p.initialImage)
        #expect(cropped.interpolatedImage == p.interpolatedImage)
        #expect(cropped.initialROI == p.initialROI)
        #expect(cropped.interpolatedROI == p.interpolatedROI)
        #expect(cropped.resegmentedROI == p.resegmentedROI)

        let set = try FeatureExtraction.run(image: image, mask: mask, settings: settings)
        #expect(set.rows.count == whole.rows.count)
        var compared = 0
        for (a, b) in zip(set.rows, whole.rows) {
            #expect(a.name == b.name && a.tag == b.tag)
            #expect(a.value == b.value, "\(a.tag): \(a.value) vs whole image \(b.value)")
            compared += 1
        }
        #expect(compared > 100)
        for key in whole.diagnostics.keys {
            #expect(set.diagnostics[key] == whole.diagnostics[key], "diagnostic \(key)")
        }
    }

    /// The cropped pipeline meets every IBSI configuration-A reference value (the same count
    /// as the extractor alone in IBSIConfigurationATests).
    @Test(.enabled(if: TestPaths.referenceAvailable, Comment(rawValue: TestPaths.referenceMissing)))
    func configurationAThroughThePipeline() throws {
        let (image, mask) = try IBSIPhantoms.read("ct_phantom")
        let set = try FeatureExtraction.run(image: image, mask: mask, settings: try #require(ExtractionSettings.preset("ibsi-a")))
        let references = IBSIReferenceValue.load("A")
        var passed = 0
        for r in references {
            if let v = set.row(tag: r.tag)?.value.number, r.accepts(v) { passed += 1 } else {
                Issue.record("\(r.tag)=\(set.row(tag: r.tag)?.value.description ?? "missing") ref \(r.value)±\(r.tolerance)")
            }
        }
        #expect(references.count == 346)
        #expect(passed == references.count)
    }
}
