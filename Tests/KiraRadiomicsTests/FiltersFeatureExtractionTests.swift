import Foundation
import KiraCore
import KiraIO
import KiraRadiomics
import KiraTestSupport
import Testing

/// Response maps end to end: `FeatureExtraction.run` with image types [LoG σ 2 mm, Wavelet]
/// on breast1 against pyradiomics' featureextractor with the same image types (binWidth 25,
/// no resampling, firstorder), run at test time. Only first-order features whose definitions
/// agree between IBSI mode and pyradiomics are compared (not kurtosis, which IBSI reports in
/// excess, nor percentiles, energy or entropy, which depend on the shift or the bins); this
/// checks the prefixes (`log-sigma-2-0-mm-3D_firstorder_Mean`, `wavelet-LLH_firstorder_Mean`)
/// and the maps within the ROI. Tolerance 1e-6 relative.
@Suite struct FiltersFeatureExtractionTests {
    static let enabled = TestPaths.referenceAvailable && PythonPeer.has("radiomics") && PythonPeer.has("pywt")
    static let skipReason = "needs the reference data and python3 with pyradiomics and PyWavelets (make peers)"
    static let compared = ["Mean", "Median", "Minimum", "Maximum", "Variance", "Range", "MeanAbsoluteDeviation", "Skewness", "RootMeanSquared"]

    static func pyradiomicsFeatures(_ image: URL, _ mask: URL) throws -> [String: Double] {
        let script = """
        import json, logging, sys, radiomics
        from radiomics import featureextractor
        radiomics.logger.setLevel(logging.ERROR)
        e = featureextractor.RadiomicsFeatureExtractor(binWidth=25)
        e.disableAllImageTypes(); e.enableImageTypes(LoG={"sigma": [2.0]}, Wavelet={})
        e.disableAllFeatures(); e.enableFeatureClassByName("firstorder")
        r = e.execute(sys.argv[1], sys.argv[2], label=1)
        print(json.dumps({k: float(v) for k, v in r.items() if not k.startswith("diagnostics")}))
        """
        let data = Data(try PythonPeer.run(script, arguments: [image.path, mask.path]).utf8)
        return try JSONDecoder().decode([String: Double].self, from: data)
    }

    @Test(.enabled(if: enabled, Comment(rawValue: skipReason)))
    func logAndWaveletFirstOrderMatchPyradiomics() throws {
        let imageURL = TestPaths.reference("pyradiomics/data/breast1_image.nrrd")
        let maskURL = TestPaths.reference("pyradiomics/data/breast1_label.nrrd")
        let peer = try Self.pyradiomicsFeatures(imageURL, maskURL)
        let image = try ImageFileReader.read(imageURL)
        let mask = try MaskReader.read(maskURL, label: 1, matching: image.geometry, imagePath: imageURL.path)
        var settings = ExtractionSettings(features: RadiomicsSettings(discretisation: .fixedBinSize(25), textureDimensions: [.threeD],
                                                                      families: [.intensityStatistics]))
        settings.imageTypes = [ImageTypeSpec(.log, parameters: ["sigma": .array([2.0])]), ImageTypeSpec(.wavelet)]
        let set = try FeatureExtraction.run(image: image, mask: mask, settings: settings)
        let values = Dictionary(set.rows.map { ($0.name, $0.value.number) }, uniquingKeysWith: { a, _ in a })
        let prefixes = ["log-sigma-2-0-mm-3D"] + ["LLH", "LHL", "LHH", "HLL", "HLH", "HHL", "HHH", "LLL"].map { "wavelet-\($0)" }
        var worst = 0.0
        for prefix in prefixes {
            for feature in Self.compared {
                let name = "\(prefix)_firstorder_\(feature)"
                let expected = try #require(peer[name], "pyradiomics has no \(name)")
                let value = try #require(values[name] ?? nil, "Kira has no \(name)")
                let rel = abs(value - expected) / max(abs(expected), 1e-12)
                worst = max(worst, rel)
                #expect(rel <= 1e-6, "\(name): Kira \(value), pyradiomics \(expected)")
            }
        }
        print("LoG + Wavelet first order on breast1: \(prefixes.count * Self.compared.count) values, max relative difference \(worst)")
    }
}
