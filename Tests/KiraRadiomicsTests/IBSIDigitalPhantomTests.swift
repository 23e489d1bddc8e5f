import Foundation
import KiraRadiomics
import KiraTestSupport
import Testing

/// IBSI-1 digital phantom: every consensus value (482) under the IBSI comparison rule.
@Suite struct IBSIDigitalPhantomTests {
    static let references = IBSIReferenceValue.load("digital_phantom")

    @Test(.enabled(if: TestPaths.referenceAvailable, Comment(rawValue: TestPaths.referenceMissing)), arguments: references)
    func feature(_ reference: IBSIReferenceValue) throws {
        let set = try IBSIPhantoms.digitalPhantom.get()
        let row = try #require(set.row(tag: reference.tag), "Kira does not compute \(reference.tag)")
        let value = try #require(row.value.number, "\(reference.tag) undefined: \(row.value)")
        #expect(reference.accepts(value),
                "\(reference.tag): \(value) → \(IBSIReferenceValue.roundToSignificant(value, 3)) vs IBSI \(reference.value) ± \(reference.tolerance)")
    }

    @Test(.enabled(if: TestPaths.referenceAvailable, Comment(rawValue: TestPaths.referenceMissing)))
    func summaryCountsAll482() throws {
        let set = try IBSIPhantoms.digitalPhantom.get()
        var passed = 0
        var failures: [String] = []
        for r in Self.references {
            if let v = set.row(tag: r.tag)?.value.number, r.accepts(v) { passed += 1 } else {
                failures.append("\(r.tag)=\(set.row(tag: r.tag)?.value.description ?? "missing") ref \(r.value)±\(r.tolerance)")
            }
        }
        print("IBSI digital phantom: \(passed) of \(Self.references.count) reference values within tolerance")
        for f in failures { print("  FAIL \(f)") }
        #expect(Self.references.count == 482)
        #expect(passed == 482)
    }
}
