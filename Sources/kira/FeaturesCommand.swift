import ArgumentParser
import Foundation
import KiraCore
import KiraIO
import KiraPreprocess
import KiraRadiomics
import Logging

struct FeaturesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "features",
        abstract: "Compute IBSI radiomics features of one image inside a mask.",
        discussion: """
        The image (NIfTI or NRRD) must already be preprocessed (resampled, filtered); the mask
        must lie on the image grid. Features are computed on the mask as the morphological mask
        and, after re-segmentation to the preset's range, as the intensity mask.

        Each row carries the pyradiomics-style name, the IBSI tag (with its 2D/2.5D/3D
        aggregation), the IBSI code, the family and the value. A feature that is undefined
        for the case (e.g. a correlation on a single grey level) has no value and a reason.

        PRESETS:
          default       fixed bin size 25 from the ROI minimum, 3D texture, distance 1
          ibsi-phantom  IBSI-1 digital phantom: bin size 1, 2D, 2.5D and 3D texture
          ibsi-a        IBSI-1 CT phantom configuration A: re-segmentation [-500, 400] HU,
                        bin size 25 HU, 2D and 2.5D texture

        OUTPUT: CSV (name,tag,ibsi_code,family,value,undefined_reason) on stdout or to -o;
        with --json one JSON document {"features": [...], "diagnostics": {...}} instead.
        Diagnostics hold the Kira version, settings and their hash, input file hashes
        (64-bit FNV-1a), the image grid and the voxel counts of both masks.

        \(KiraExit.helpText)
        """
    )

    @Option(help: "The image (.nii, .nii.gz, .nrrd, .nhdr).")
    var image: String

    @Option(help: "The mask on the image grid.")
    var mask: String

    @Option(help: "Mask label to use (default: every non-zero voxel).")
    var label: Int?

    @Option(help: "Settings preset: \(ExtractionSettings.presetNames.joined(separator: ", ")).")
    var preset: String = "default"

    @Flag(help: "Write one JSON document instead of CSV.")
    var json = false

    @Option(name: .shortAndLong, help: "Output file (default: stdout).")
    var output: String?

    @OptionGroup var logging: LoggingOptions

    var settings: ExtractionSettings? { ExtractionSettings.preset(preset) }

    func validate() throws {
        guard settings != nil else {
            throw ValidationError("unknown preset '\(preset)'; known presets: \(ExtractionSettings.presetNames.joined(separator: ", "))")
        }
        for (flag, path) in [("--image", image), ("--mask", mask)] where !FileManager.default.fileExists(atPath: path) {
            throw ValidationError("\(flag) '\(path)' does not exist")
        }
        if let label, label <= 0 { throw ValidationError("--label \(label) must be a positive mask label") }
    }

    func run() throws {
        let logger = logging.makeLogger(label: "kira.features")
        let settings = settings!
        let imageURL = URL(fileURLWithPath: image), maskURL = URL(fileURLWithPath: mask)
        do {
            let volume = try ImageFileReader.read(imageURL)
            let maskVolume = try MaskReader.read(maskURL, label: label, matching: volume.geometry, imagePath: imageURL.path)
            let started = Date()
            var set = try FeatureExtraction.run(image: volume, mask: maskVolume, settings: settings, logger: logger)
            let provenance = try FeatureOutput.settingsProvenance(settings.features)
            set.diagnostics["kira_version"] = .string(KiraVersion.current)
            set.diagnostics["preset"] = .string(preset)
            set.diagnostics["settings"] = provenance.value
            set.diagnostics["settings_hash"] = .string(provenance.hash)
            set.diagnostics["image"] = .string(imageURL.path)
            set.diagnostics["mask"] = .string(maskURL.path)
            set.diagnostics["image_hash"] = .string(try FeatureOutput.fileHash(imageURL))
            set.diagnostics["mask_hash"] = .string(try FeatureOutput.fileHash(maskURL))
            set.diagnostics["mask_label"] = label.map { .integer($0) } ?? .string("non-zero")
            set.diagnostics["seconds"] = .number(Date().timeIntervalSince(started))
            let data = json ? try FeatureOutput.json(set) + Data("\n".utf8) : Data(FeatureOutput.csv(set).text.utf8)
            if let output {
                try AtomicOutput.write(data, to: URL(fileURLWithPath: output))
            } else {
                FileHandle.standardOutput.write(data)
            }
            logger.info("\(set.rows.count) features, \(set.rows.filter { $0.value.number == nil }.count) undefined")
        } catch {
            FileHandle.standardError.write(Data("kira features: \(image): \(Converter.describe(error))\n".utf8))
            throw ExitCode(KiraExit.failure.rawValue)
        }
    }
}
