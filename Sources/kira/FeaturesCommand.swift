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

        SETTINGS FILES (--params, exclusive with --preset): a pyradiomics parameter file as it
        is (setting:, imageType:, featureClass:; YAML or JSON) selects pyradiomics-compatible
        mode: pyradiomics 3.x preprocessing (normalize, resampledPixelSpacing with its grid,
        resegmentRange, binWidth with edges at multiples of the width, binCount), its feature
        classes and names. An ibsi: section (mode, preset, discretisation, textureDimensions,
        resegmentationRange, outlierSigmas, interpolation, ivh, distance, ngldmAlpha, families)
        configures IBSI mode; mode: ibsi keeps IBSI mode for a pyradiomics file. An unknown key
        or a wrong-typed value fails naming the file and key, e.g.
        "params.yaml: setting.binWidth: expected a number, got "abc"". The label of the file
        (setting.label) is used unless --label is given.

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

    @Option(help: "Settings preset: \(ExtractionSettings.presetNames.joined(separator: ", ")) (default: default).")
    var preset: String?

    @Option(help: ArgumentHelp("Settings file (YAML or JSON): a pyradiomics parameter file as it is, and/or an ibsi: section.", valueName: "file"))
    var params: String?

    @Flag(help: "Write one JSON document instead of CSV.")
    var json = false

    @Option(name: .shortAndLong, help: "Output file (default: stdout).")
    var output: String?

    @OptionGroup var logging: LoggingOptions

    func validate() throws {
        if params != nil && preset != nil { throw ValidationError("--params and --preset are mutually exclusive") }
        if let preset, ExtractionSettings.preset(preset) == nil {
            throw ValidationError("unknown preset '\(preset)'; known presets: \(ExtractionSettings.presetNames.joined(separator: ", "))")
        }
        if let params, !FileManager.default.fileExists(atPath: params) {
            throw ValidationError("--params '\(params)' does not exist")
        }
        for (flag, path) in [("--image", image), ("--mask", mask)] where !FileManager.default.fileExists(atPath: path) {
            throw ValidationError("\(flag) '\(path)' does not exist")
        }
        if let label, label <= 0 { throw ValidationError("--label \(label) must be a positive mask label") }
    }

    func run() throws {
        let logger = logging.makeLogger(label: "kira.features")
        let imageURL = URL(fileURLWithPath: image), maskURL = URL(fileURLWithPath: mask)
        do {
            let settings: ExtractionSettings
            if let params {
                settings = try SettingsFile.load(URL(fileURLWithPath: params))
            } else {
                settings = ExtractionSettings.preset(preset ?? "default")!
            }
            let volume = try ImageFileReader.read(imageURL)
            // pyradiomics' correctMask resamples a mask on another grid instead of refusing it.
            let maskVolume = try MaskReader.read(maskURL, label: label ?? settings.label,
                                                 matching: settings.correctMask ? nil : volume.geometry, imagePath: imageURL.path)
            let started = Date()
            var set = try FeatureExtraction.run(image: volume, mask: maskVolume, settings: settings, logger: logger)
            let provenance = try FeatureOutput.settingsProvenance(settings)
            set.diagnostics["kira_version"] = .string(KiraVersion.current)
            if let params {
                set.diagnostics["params"] = .string(params)
                set.diagnostics["params_hash"] = .string(try FeatureOutput.fileHash(URL(fileURLWithPath: params)))
            } else {
                set.diagnostics["preset"] = .string(preset ?? "default")
            }
            set.diagnostics["mode"] = .string(settings.mode.rawValue)
            set.diagnostics["settings"] = provenance.value
            set.diagnostics["settings_hash"] = .string(provenance.hash)
            set.diagnostics["image"] = .string(imageURL.path)
            set.diagnostics["mask"] = .string(maskURL.path)
            set.diagnostics["image_hash"] = .string(try FeatureOutput.fileHash(imageURL))
            set.diagnostics["mask_hash"] = .string(try FeatureOutput.fileHash(maskURL))
            set.diagnostics["mask_label"] = (label ?? settings.label).map { .integer($0) } ?? .string("non-zero")
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
