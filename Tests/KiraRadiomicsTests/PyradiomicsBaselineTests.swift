import Foundation
import KiraCore
import KiraIO
import KiraRadiomics
import KiraTestSupport
import Testing

/// pyradiomics-compatible mode against pyradiomics' own baseline
/// (`pyradiomics/data/baseline/baseline_<class>.csv`), every feature of every column of the
/// cases in the reference data (brain1, breast1), each column's settings from
/// `baseline_test_settings.json` loaded through `SettingsFile` (as JSON, which is YAML).
/// Tolerance 1e-4 relative (pyradiomics' own tests allow 3 %).
///
/// Columns left out: `brain1_shape2D` (its baseline uses a single-slice 2D label map that is not
/// part of the reference data) — `breast1_shape2D` has no baseline column.
///
/// Four brain1 mesh features are compared with pyradiomics 3.1.4 instead of the baseline: the
/// baseline was made by pyradiomics 1.3, whose mesh differed, and pyradiomics 3.1.4 itself misses
/// the baseline there by up to 9e-4 (MeshVolume 1.2e-4, SurfaceArea 7.9e-4, SurfaceVolumeRatio
/// 9.1e-4, Sphericity 8.7e-4). The numbers below were printed by pyradiomics 3.1.4
/// (`RadiomicsFeatureExtractor(**settings)` with the brain1 settings, `execute(brain1_image, brain1_label)`).
@Suite struct PyradiomicsBaselineTests {
    static let cases = ["brain1", "breast1"]
    static let configurations = ["", "_2d", "_FBN", "_combined", "_flatRegion", "_normalization", "_resampling", "_resegmentation"]
    static let columns = cases.flatMap { c in configurations.map { c + $0 } }
    static let classes = ["firstorder", "glcm", "gldm", "glrlm", "glszm", "ngtdm", "shape"]
    static let tolerance = 1e-4

    static let pyradiomics314: [String: [String: Double]] = [
        "brain1": [
            "original_shape_MeshVolume": 16147.51180013021,
            "original_shape_SurfaceArea": 6438.821603779402,
            "original_shape_SurfaceVolumeRatio": 0.3987500788652454,
            "original_shape_Sphericity": 0.4798234536231475,
        ],
    ]

    /// The settings entry of a column as a pyradiomics parameter document (JSON text).
    static func parameterText(_ column: String) throws -> String {
        let data = try Data(contentsOf: TestPaths.reference("pyradiomics/baseline_test_settings.json"))
        let all = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let entry = try #require(all[column] as? [String: Any], "no settings for \(column)")
        let classes = try #require(entry["classes"] as? [String])
        let doc: [String: Any] = [
            "setting": entry["settings"] ?? [:],
            "imageType": entry["image_types"] ?? ["Original": [:]],
            "featureClass": Dictionary(uniqueKeysWithValues: classes.map { ($0, NSNull()) }),
        ]
        return String(decoding: try JSONSerialization.data(withJSONObject: doc, options: [.sortedKeys]), as: UTF8.self)
    }

    /// Expected values of one column: feature name → value, from every class CSV.
    static func baseline(_ column: String) throws -> [String: Double] {
        var out: [String: Double] = [:]
        for c in classes {
            let table = try CSVTable(contentsOf: TestPaths.reference("pyradiomics/data/baseline/baseline_\(c).csv"))
            guard let col = table.header.firstIndex(of: column) else { continue }
            for row in table.rows where row[0].hasPrefix("original_") {
                if let v = Double(row[col]) { out[row[0]] = v }
            }
        }
        return out
    }

    static func extract(_ column: String) throws -> FeatureSet {
        let settings = try SettingsFile.parse(try parameterText(column), source: "baseline_test_settings.json[\(column)]")
        #expect(settings.mode == .pyradiomics)
        let name = String(column.prefix { $0 != "_" })
        let imageURL = TestPaths.reference("pyradiomics/data/\(name)_image.nrrd")
        let image = try ImageFileReader.read(imageURL)
        let mask = try MaskReader.read(TestPaths.reference("pyradiomics/data/\(name)_label.nrrd"), label: settings.label,
                                       matching: image.geometry, imagePath: imageURL.path)
        return try FeatureExtraction.run(image: image, mask: mask, settings: settings)
    }

    @Test(.enabled(if: TestPaths.referenceAvailable, Comment(rawValue: TestPaths.referenceMissing)), arguments: columns)
    func columnMatchesBaseline(_ column: String) throws {
        let expected = try Self.baseline(column)
        try #require(!expected.isEmpty, "no baseline values for \(column)")
        let set = try Self.extract(column)
        let computed = Dictionary(set.rows.map { ($0.name, $0.value) }, uniquingKeysWith: { a, _ in a })
        let overrides = Self.pyradiomics314[column] ?? [:]
        var misses: [String] = []
        var worst = 0.0
        for (name, base) in expected.sorted(by: { $0.key < $1.key }) {
            let reference = overrides[name] ?? base
            guard let value = computed[name]?.number else {
                misses.append("\(name): missing (\(computed[name]?.reason ?? "not computed")), expected \(reference)")
                continue
            }
            let rel = abs(value - reference) / max(abs(reference), 1e-12)
            worst = max(worst, rel)
            if rel > Self.tolerance { misses.append("\(name): Kira \(value), pyradiomics \(reference), relative \(rel)") }
        }
        print("pyradiomics baseline \(column): \(expected.count - misses.count)/\(expected.count) within \(Self.tolerance), worst relative difference \(worst)")
        for m in misses { print("  miss \(column) \(m)") }
        #expect(misses.isEmpty, "\(misses.count) of \(expected.count) features of \(column) miss")
    }
}
