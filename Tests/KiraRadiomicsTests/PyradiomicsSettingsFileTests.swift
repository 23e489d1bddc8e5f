import Foundation
import KiraCore
import KiraPreprocess
import KiraRadiomics
import KiraTestSupport
import Testing

/// Settings files: pyradiomics parameter files as they are, Kira's `ibsi:` section, and an
/// error naming the file and key path for every bad key or value.
@Suite struct PyradiomicsSettingsFileTests {
    static func parse(_ text: String) throws -> ExtractionSettings { try SettingsFile.parse(text, source: "test.yaml") }

    /// The message of the error parsing `text` throws.
    static func error(_ text: String) -> String {
        do {
            _ = try parse(text)
            return "no error"
        } catch {
            return "\(error)"
        }
    }

    @Test(.enabled(if: TestPaths.referenceAvailable, Comment(rawValue: TestPaths.referenceMissing)))
    func pyradiomicsExampleParamsLoad() throws {
        let s = try SettingsFile.load(TestPaths.reference("pyradiomics/examples/Params.yaml"))
        #expect(s.mode == .pyradiomics)
        #expect(s.features.discretisation == .fixedBinSize(25))
        #expect(s.label == 1)
        #expect(s.interpolator == .bspline)
        #expect(s.resampledPixelSpacing == nil && s.weightingNorm == nil)
        #expect(s.imageTypes == [.original])
        let classes = try #require(s.enabledFeatures)
        #expect(Set(classes.keys) == ["shape", "firstorder", "glcm", "glrlm", "glszm", "gldm"])
        #expect(classes["glcm"]?.count == 22 && classes["glcm"]?.contains("SumAverage") == false)
        #expect(classes["firstorder"] == [] && classes["shape"] == [])
    }

    /// Every `setting:` key of pyradiomics' own parameter schema (the installed package's
    /// `schemas/paramSchema.yaml`) is accepted.
    @Test(.enabled(if: PythonPeer.has("radiomics"), Comment(rawValue: PythonPeer.missing("radiomics"))))
    func everySchemaSettingIsKnown() throws {
        let path = try PythonPeer.run("import os, radiomics; print(os.path.join(os.path.dirname(radiomics.__file__), 'schemas', 'paramSchema.yaml'))")
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let text = try String(contentsOfFile: path, encoding: .utf8)
        var keys: [String] = []
        var inSetting = false
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("  setting:") { inSetting = true; continue }
            if inSetting && line.hasPrefix("  ") && !line.hasPrefix("   ") { break }
            if inSetting, line.hasPrefix("      "), !line.hasPrefix("       "), line.hasSuffix(":") {
                keys.append(line.trimmingCharacters(in: .whitespaces).dropLast().description)
            }
        }
        #expect(keys.count >= 35, "found \(keys.count) schema settings")
        for key in keys {
            // Each key with a null value: accepted as "not set" whatever its type.
            #expect(throws: Never.self, "setting \(key)") { _ = try Self.parse("setting:\n  \(key):\n") }
        }
    }

    @Test func pyradiomicsSettingsMapOntoExtractionSettings() throws {
        let s = try Self.parse("""
        setting:
          binCount: 64
          label: 2
          normalize: true
          normalizeScale: 100
          removeOutliers: 3
          resampledPixelSpacing: [2, 2, 0]
          interpolator: sitkLinear
          padDistance: 10
          distances: [1, 2]
          force2D: true
          force2Ddimension: 0
          resegmentRange: [-3, 3]
          resegmentMode: sigma
          voxelArrayShift: 1000
          symmetricalGLCM: false
          weightingNorm: no_weighting
          gldm_a: 1
          sigma: [1.0, 2.0]
        imageType:
          Original: {}
          LoG: {sigma: [3.0]}
        featureClass:
          glcm: [Contrast, MCC]
        """)
        #expect(s.mode == .pyradiomics)
        #expect(s.features.discretisation == .fixedBinNumber(64))
        #expect(s.label == 2 && s.normalize && s.normalizeScale == 100 && s.removeOutliers == 3)
        #expect(s.resampledPixelSpacing == [2, 2, 0] && s.interpolator == .linear && s.padDistance == 10)
        #expect(s.distances == [1, 2] && s.force2D && s.force2DDimension == 0)
        #expect(s.resegmentRange == [-3, 3] && s.resegmentMode == .sigma)
        #expect(s.voxelArrayShift == 1000 && !s.symmetricalGLCM && s.weightingNorm == .noWeighting && s.gldmAlpha == 1)
        #expect(s.imageTypes.map(\.kind) == [.original, .log])
        #expect(s.imageTypes[0].parameters["sigma"] == .array([.number(1), .number(2)]))
        #expect(s.imageTypes[1].parameters["sigma"] == .array([.number(3)]))
        #expect(s.enabledFeatures == ["glcm": ["Contrast", "MCC"]])
    }

    @Test func jsonIsYAML() throws {
        let s = try Self.parse(#"{"setting": {"binWidth": 5, "interpolator": null, "resampledPixelSpacing": null}, "featureClass": {"firstorder": null}}"#)
        #expect(s.features.discretisation == .fixedBinSize(5))
        #expect(s.interpolator == nil && s.resampledPixelSpacing == nil)
        #expect(s.enabledFeatures == ["firstorder": []])
    }

    @Test func ibsiSection() throws {
        let s = try Self.parse("""
        ibsi:
          preset: ibsi-c
          discretisation: {binCount: 32}
          textureDimensions: [2.5D, 3D]
          resegmentationRange: [-1000, null]
          outlierSigmas: 3
          interpolation: {spacing: [1, 1, 1], interpolator: bspline, grid: origin, roundIntensities: true, maskThreshold: 0.4}
          ivh: {binWidth: 2.5}
          distance: 2
          ngldmAlpha: 1
          families: [intensity_statistics, glcm]
        """)
        #expect(s.mode == .ibsi)
        #expect(s.features.discretisation == .fixedBinNumber(32))
        #expect(s.features.textureDimensions == [.twoAndHalfD, .threeD])
        #expect(s.preprocess.rangeLower == -1000 && s.preprocess.rangeUpper == nil && s.features.resegmentationLower == -1000)
        #expect(s.preprocess.outlierSigmas == 3)
        #expect(s.preprocess.spacing == SIMD3(1, 1, 1) && s.preprocess.interpolator == .bspline && s.preprocess.grid == .origin)
        #expect(s.preprocess.roundIntensities && s.preprocess.maskInterpolation == .partialVolume(threshold: 0.4))
        #expect(s.features.ivh == .fixedBinSize(2.5) && s.features.distance == 2 && s.features.ngldmAlpha == 1)
        #expect(s.features.families == [.intensityStatistics, .glcm])
        // pyradiomics settings in IBSI mode carry over where IBSI has them.
        let m = try Self.parse("mode: ibsi\nsetting: {binWidth: 10, resampledPixelSpacing: [2, 2, 2], resegmentRange: [-500, 400]}")
        #expect(m.mode == .ibsi && m.features.discretisation == .fixedBinSize(10))
        #expect(m.preprocess.spacing == SIMD3(2, 2, 2) && m.preprocess.interpolator == .bspline)
        #expect(m.preprocess.rangeLower == -500 && m.preprocess.rangeUpper == 400 && m.features.resegmentationUpper == 400)
    }

    @Test("bad files name the file and the key", arguments: [
        ("setting:\n  binWidth: abc", #"test.yaml: setting.binWidth: expected a number, got "abc""#),
        ("setting:\n  binWidth: '25'", #"test.yaml: setting.binWidth: expected a number, got "25""#),
        ("setting:\n  binWidht: 25", "test.yaml: setting.binWidht: unknown setting"),
        // Yams refuses a repeated key itself and names it.
        ("setting:\n  binWidth: 25\n  binWidth: 5", "test.yaml: not valid YAML: Parser: expected all keys to be unique but found the following duplicated key(s): 'binWidth'"),
        ("setting:\n  binWidth: -1", "test.yaml: setting.binWidth: must be greater than 0, got -1.0"),
        ("setting:\n  normalize: 1", "test.yaml: setting.normalize: expected true or false, got 1"),
        ("setting:\n  resampledPixelSpacing: [2, 2]", "test.yaml: setting.resampledPixelSpacing: expected 3 spacings"),
        ("setting:\n  distances: [1, x]", #"test.yaml: setting.distances[1]: expected an integer, got "x""#),
        ("setting:\n  interpolator: sitkCubic", #"test.yaml: setting.interpolator: unknown interpolator "sitkCubic""#),
        ("setting:\n  resegmentMode: percent", #"test.yaml: setting.resegmentMode: expected absolute, relative or sigma, got "percent""#),
        ("setting:\n  force2Ddimension: 3", "test.yaml: setting.force2Ddimension: must be between 0 and 2, got 3"),
        ("setting:\n  weightingNorm: cosine", #"test.yaml: setting.weightingNorm: expected manhattan, euclidean, infinity or no_weighting, got "cosine""#),
        ("imageType:\n  Median: {}", "test.yaml: imageType.Median: unknown image type"),
        ("imageType:\n  LoG: {sigma: [0]}", "test.yaml: imageType.LoG.sigma[0]: must be greater than 0"),
        ("imageType:\n  LoG: {padDistance: 3}", "test.yaml: imageType.LoG.padDistance: cannot be set per image type"),
        ("featureClass:\n  texture: []", "test.yaml: featureClass.texture: unknown feature class"),
        ("featureClass:\n  glcm: [Contrast, Contrst]", #"test.yaml: featureClass.glcm[1]: unknown glcm feature "Contrst""#),
        ("settings:\n  binWidth: 25", "test.yaml: settings: unknown section"),
        ("voxelSetting:\n  kernelRadius: 2", "test.yaml: voxelSetting: voxel-based extraction is not supported"),
        ("mode: fast", #"test.yaml: mode: expected ibsi or pyradiomics, got "fast""#),
        ("ibsi:\n  bins: 3", "test.yaml: ibsi.bins: unknown IBSI key"),
        ("ibsi:\n  discretisation: {binSize: 3}", "test.yaml: ibsi.discretisation.binSize: unknown key"),
        ("ibsi:\n  textureDimensions: [4D]", #"test.yaml: ibsi.textureDimensions[0]: expected 2D, 2.5D or 3D, got "4D""#),
        ("ibsi:\n  interpolation: {spacing: [1, 1, 1], order: 3}", "test.yaml: ibsi.interpolation.order: unknown key"),
        ("- binWidth", "test.yaml: top level: expected a mapping"),
        ("setting: [1, 2", "test.yaml: not valid YAML"),
        ("", "test.yaml: the settings file is empty"),
    ])
    func badFiles(_ text: String, _ expected: String) {
        let message = Self.error(text)
        #expect(message.hasPrefix(expected), "got: \(message)")
    }

    @Test func missingFileIsUnreadable() {
        #expect(throws: KiraError.self) { _ = try SettingsFile.load(URL(fileURLWithPath: "/nonexistent/params.yaml")) }
    }
}
