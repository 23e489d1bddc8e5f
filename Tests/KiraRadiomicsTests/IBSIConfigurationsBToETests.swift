import Foundation
import KiraCore
import KiraPreprocess
import KiraRadiomics
import KiraTestSupport
import Testing

/// IBSI-1 CT phantom, configurations B–E: interpolation and re-segmentation by
/// KiraPreprocess (`PreprocessSettings.ibsi`), features by the engine; every consensus value
/// under the IBSI rule, counted per configuration.
@Suite struct IBSIConfigurationsBToETests {
    static let results: [String: Result<FeatureSet, Error>] = {
        var out: [String: Result<FeatureSet, Error>] = [:]
        for name in ["B", "C", "D", "E"] {
            out[name] = Result {
                let (image, mask) = try IBSIPhantoms.read("ct_phantom")
                let pre = try Preprocessing.run(image: image, mask: mask, settings: PreprocessSettings.ibsi(Character(name))!)
                let g = pre.image.geometry
                let morph = try Volume(geometry: g, voxels: .uint8(pre.masks.morphological))
                let intensity = try Volume(geometry: g, voxels: .uint8(pre.masks.intensity))
                let settings = RadiomicsSettings.preset("ibsi-\(name.lowercased())")!
                return try RadiomicsExtractor(settings: settings).extract(image: pre.image, morphologicalMask: morph, intensityMask: intensity)
            }
        }
        return out
    }()

    @Test(.enabled(if: TestPaths.referenceAvailable, Comment(rawValue: TestPaths.referenceMissing)),
          arguments: ["B", "C", "D", "E"])
    func configuration(_ name: String) throws {
        let set = try Self.results[name]!.get()
        let references = IBSIReferenceValue.load(name)
        var passed = 0, failures: [String] = []
        for r in references {
            if let v = set.row(tag: r.tag)?.value.number, r.accepts(v) { passed += 1 } else {
                failures.append("\(r.tag)=\(set.row(tag: r.tag)?.value.description ?? "missing") ref \(r.value)±\(r.tolerance)")
            }
        }
        print("IBSI configuration \(name): \(passed) of \(references.count) reference values within tolerance")
        for f in failures { print("  FAIL \(name) \(f)") }
        #expect(references.count >= 210)
        // Every consensus value, the mesh-based shape ratios included (B: 346, C–E: 210 each).
        #expect(failures.isEmpty, Comment(rawValue: "\(failures.count) failures: \(failures.joined(separator: "; "))"))
        #expect(passed == references.count)
    }
}
