import Foundation
import KiraCore
import KiraIO
import KiraPreprocess
import KiraTestSupport
import Testing

/// Kira's N4 against SimpleITK's N4BiasFieldCorrectionImageFilter on the same image, mask and
/// settings (Tests/Peers/sitk_n4.py, run at test time).
@Suite("N4 equals SimpleITK's N4BiasFieldCorrectionImageFilter")
struct N4SimpleITKTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var settings: N4Settings
        var testDescription: String { name }
    }

    static let syntheticCases = [
        Case(name: "one level, full resolution", settings: N4Settings(shrinkFactor: 1, maximumIterations: [50])),
        Case(name: "defaults, shrink 2", settings: N4Settings(shrinkFactor: 2)),
        Case(name: "three levels, 5×4×6 control points, 100 bins, FWHM 0.2, noise 0.02, shrink 3",
             settings: N4Settings(shrinkFactor: 3, maximumIterations: [30, 20, 10], convergenceThreshold: 1e-4,
                                  controlPoints: [5, 4, 6], histogramBins: 100, fullWidthAtHalfMaximum: 0.2, wienerNoise: 0.02)),
    ]

    @Test("synthetic oblique phantom", .enabled(if: PythonPeer.has("SimpleITK"), Comment(rawValue: PythonPeer.missing("SimpleITK"))),
          arguments: syntheticCases)
    func synthetic(_ c: Case) throws {
        let phantom = try N4TestImages.phantom()
        let kira = try N4BiasFieldCorrection.correct(phantom.biased, settings: c.settings)
        let mask = try N4TestImages.effectiveMask(phantom.biased, nil)
        let peer = try N4TestImages.simpleITK(phantom.biased, mask: mask, settings: c.settings)
        let agreement = N4TestImages.agreement(kira, peer, mask: mask)
        print("N4 synthetic [\(c.name)]: Kira iterations \(kira.iterations) convergence \(kira.convergence); SimpleITK \(peer.report.trimmingCharacters(in: .whitespacesAndNewlines)); \(agreement)")
        #expect(agreement.correctedRelative <= 1e-3)
    }

    @Test("pyradiomics brain1 MRI", .enabled(if: PythonPeer.has("SimpleITK"), Comment(rawValue: PythonPeer.missing("SimpleITK"))),
          .enabled(if: TestPaths.referenceAvailable, Comment(rawValue: TestPaths.referenceMissing)))
    func brain() throws {
        let image = try NRRDReader.read(TestPaths.reference("pyradiomics/data/brain1_image.nrrd"))
        let settings = N4Settings(shrinkFactor: 4)
        let kira = try N4BiasFieldCorrection.correct(image, settings: settings)
        let mask = try N4TestImages.effectiveMask(image, nil)
        let peer = try N4TestImages.simpleITK(image, mask: mask, settings: settings)
        let agreement = N4TestImages.agreement(kira, peer, mask: mask)
        print("N4 brain1: Kira iterations \(kira.iterations) convergence \(kira.convergence); SimpleITK \(peer.report.trimmingCharacters(in: .whitespacesAndNewlines)); \(agreement)")
        #expect(agreement.correctedRelative <= 1e-3)
    }
}
