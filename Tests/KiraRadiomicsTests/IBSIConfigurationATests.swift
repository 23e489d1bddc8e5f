import Foundation
import KiraRadiomics
import KiraTestSupport
import Testing

/// IBSI-1 CT phantom, configuration A (2D, no interpolation, re-segmentation [−500, 400] HU,
/// fixed bin size 25 HU): every consensus feature value under the IBSI comparison rule.
@Suite struct IBSIConfigurationATests {
    static let references = IBSIReferenceValue.load("A")

    @Test(.enabled(if: TestPaths.referenceAvailable, Comment(rawValue: TestPaths.referenceMissing)), arguments: references)
    func feature(_ reference: IBSIReferenceValue) throws {
        let set = try IBSIPhantoms.configurationA.get()
        let row = try #require(set.row(tag: reference.tag), "Kira does not compute \(reference.tag)")
        let value = try #require(row.value.number, "\(reference.tag) undefined: \(row.value)")
        #expect(reference.accepts(value),
                "\(reference.tag): \(value) → \(IBSIReferenceValue.roundToSignificant(value, 3)) vs IBSI \(reference.value) ± \(reference.tolerance)")
    }

    @Test(.enabled(if: TestPaths.referenceAvailable, Comment(rawValue: TestPaths.referenceMissing)))
    func summaryCount() throws {
        let set = try IBSIPhantoms.configurationA.get()
        var passed = 0
        for r in Self.references {
            if let v = set.row(tag: r.tag)?.value.number, r.accepts(v) { passed += 1 } else {
                print("  FAIL \(r.tag)=\(set.row(tag: r.tag)?.value.description ?? "missing") ref \(r.value)±\(r.tolerance)")
            }
        }
        print("IBSI configuration A: \(passed) of \(Self.references.count) reference values within tolerance")
        // 406 configuration-A rows less the 60 diagnostics rows (tested below) and the non-standardised ones.
        #expect(Self.references.count == 346)
        #expect(passed == Self.references.count)
    }

    /// `Diagnostics-resegmented ROI`: the intensity mask after re-segmentation.
    @Test(.enabled(if: TestPaths.referenceAvailable, Comment(rawValue: TestPaths.referenceMissing)))
    func resegmentedROIDiagnostics() throws {
        let set = try IBSIPhantoms.configurationA.get()
        let d = set.diagnostics
        let computed: [String: Double?] = [
            "int_mask_vox_count_reseg_roi": d["intensity_mask_voxels"]?.doubleValue,
            "morph_mask_vox_count_reseg_roi": d["morphological_mask_voxels"]?.doubleValue,
            "int_mask_mean_int_reseg_roi": d["intensity_mask_mean"]?.doubleValue,
            "int_mask_min_int_reseg_roi": d["intensity_mask_min"]?.doubleValue,
            "int_mask_max_int_reseg_roi": d["intensity_mask_max"]?.doubleValue,
        ]
        let all = IBSIReferenceValue.load("A", diagnostics: true)
        var checked = 0
        for r in all {
            guard let maybe = computed[r.tag] else { continue }
            let value = try #require(maybe, "diagnostic for \(r.tag) missing")
            #expect(r.accepts(value), "\(r.tag): \(value) vs IBSI \(r.value) ± \(r.tolerance)")
            checked += 1
        }
        #expect(checked == computed.count)
    }
}
