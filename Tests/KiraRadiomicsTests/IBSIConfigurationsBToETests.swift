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
        // Known gap, left open: on the interpolated masks the mesh volume is 0.3 % above the
        // consensus and the area 0.2 % below (each within its own tolerance), which pushes the
        // shape ratios built from A³/V² just outside their tighter tolerances. Any other
        // failure is a regression.
        let known: Set<String> = ["morph_comp_1", "morph_comp_2", "morph_sphericity", "morph_asphericity", "morph_vol_dens_conv_hull"]
        let unexpected = failures.filter { !known.contains(String($0.prefix { $0 != "=" })) }
        #expect(unexpected.isEmpty, Comment(rawValue: "\(unexpected.count) unexpected failures: \(unexpected.joined(separator: "; "))"))
        #expect(passed >= references.count - (name == "B" ? 5 : 2))
    }
}
