import Foundation
import KiraCore
import KiraIO
import KiraRadiomics
import KiraTestSupport
import Testing

/// One IBSI-1 consensus value from `ibsi1_reference_values_all_configs.csv`.
struct IBSIReferenceValue: Sendable, CustomTestStringConvertible {
    let configuration: String
    let tag: String
    let code: String
    let value: Double
    let tolerance: Double

    var testDescription: String { "\(configuration) \(tag)" }

    /// The IBSI comparison rule: round the computed value to 3 significant digits, then
    /// |rounded − reference| ≤ tolerance. The 1e-12 relative slack only absorbs the binary
    /// representation of the decimal reference values.
    func accepts(_ computed: Double) -> Bool {
        abs(IBSIReferenceValue.roundToSignificant(computed, 3) - value) <= tolerance + 1e-12 * max(1, abs(value))
    }

    static func roundToSignificant(_ x: Double, _ digits: Int) -> Double {
        guard x != 0, x.isFinite else { return x }
        let scale = pow(10, Double(digits - 1) - floor(log10(abs(x))))
        return (x * scale).rounded() / scale
    }

    static let csv = TestPaths.reference("ibsi/reference_values/ibsi1_reference_values_all_configs.csv")

    /// Rows with a reference value for `configuration`: features, or only the diagnostics rows.
    static func load(_ configuration: String, diagnostics: Bool = false) -> [IBSIReferenceValue] {
        guard TestPaths.referenceAvailable, let table = try? CSVTable(contentsOf: csv),
              let conf = try? table.strings("configuration"), let fam = try? table.strings("family"),
              let tags = try? table.strings("tag"), let codes = try? table.strings("ibsi_code"),
              let values = try? table.numbers("value"), let tols = try? table.numbers("tolerance"),
              let has = try? table.strings("has_reference_value") else { return [] }
        return conf.indices.compactMap { i in
            guard conf[i] == configuration, has[i] == "True", fam[i].hasPrefix("Diagnostics") == diagnostics,
                  let v = values[i], let t = tols[i] else { return nil }
            return IBSIReferenceValue(configuration: configuration, tag: tags[i], code: codes[i], value: v, tolerance: t)
        }
    }
}

/// The IBSI phantoms read once and their features computed once per test process.
enum IBSIPhantoms {
    static func ibsi(_ path: String) -> URL { TestPaths.reference("ibsi/\(path)") }

    static func read(_ name: String) throws -> (image: Volume, mask: Volume) {
        let imageURL = ibsi("\(name)/nifti/image/phantom.nii.gz")
        let image = try NIfTIReader.read(imageURL)
        let mask = try MaskReader.read(ibsi("\(name)/nifti/mask/mask.nii.gz"), label: nil,
                                       matching: image.geometry, imagePath: imageURL.path)
        return (image, mask)
    }

    static let digitalPhantom: Result<FeatureSet, Error> = Result {
        let (image, mask) = try read("digital_phantom")
        return try RadiomicsExtractor(settings: .ibsiDigitalPhantom).extract(image: image, morphologicalMask: mask)
    }

    static let configurationA: Result<FeatureSet, Error> = Result {
        let (image, mask) = try read("ct_phantom")
        return try RadiomicsExtractor(settings: .ibsiConfigurationA).extract(image: image, morphologicalMask: mask)
    }
}
