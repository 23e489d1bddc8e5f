import ArgumentParser
import Foundation
import KiraCore
import KiraIO
import KiraPreprocess
import KiraRadiomics
import KiraStudy
import Logging

struct FeaturesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "features",
        abstract: "Compute IBSI radiomics features of one image inside a mask, or of a cohort.",
        discussion: """
        The image (NIfTI or NRRD) must already be preprocessed (resampled, filtered); the mask
        must lie on the image grid. Features are computed on the mask as the morphological mask
        and, after re-segmentation to the preset's range, as the intensity mask.

        Each row carries a name, the IBSI tag (with its 2D/2.5D/3D aggregation), the IBSI
        code, the family and the value. IBSI mode uses pyradiomics' name (original_firstorder_Mean)
        only where pyradiomics computes the same value, and otherwise the IBSI tag
        (original_stat_kurt: IBSI's excess kurtosis; original_cm_contrast_3D_avg: textures
        under a bin width, whose bins start at the ROI minimum, not at multiples of the width);
        man kira-features lists the rule. A feature that is undefined for the case (e.g. a
        correlation on a single grey level) has no value and a reason.

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
        (64-bit, Kira's own content hash), the image grid and the voxel counts of both masks.

        COHORT MODE: --manifest cases.csv -o features.csv [--jobs N]. The manifest has columns
        id,image,mask and optionally label and habitats (paths relative to the manifest's
        folder). The output is one row per case: id, then one column per feature (an
        undefined feature is an empty cell). Beside it: features.csv.provenance.json (settings,
        their hash, each case's diagnostics), features.csv.failures.csv (id,status,reason:
        failed cases, and cases in the table with warnings such as constant intensity; removed
        when there are none) and, while running, features.csv.journal. A rerun skips cases
        already in the table or journal (resume after an interruption) and retries failed
        ones; it refuses an output made with other settings. Progress goes to stderr (a bar
        on a terminal, periodic lines otherwise).

        REGIONS: --region (repeatable) tumour | ring:<d>mm | ring:<n>vox | tumour+ring:<d>mm |
        habitat:K. A ring is the dilation by d (Euclidean, between voxel centres) minus the
        tumour, clipped to the image; tumour+ring is the dilation; habitat:K is label K of the
        habitat map (--habitats or a manifest column habitats). With --region every feature
        name is prefixed by the region: ':' dropped, '+' written '_and_', a decimal point 'p'
        (ring:5mm -> ring5mm_original_firstorder_Mean, tumour+ring:2.5mm -> tumour_and_ring2p5mm_...).

        RT STRUCTURE SETS: --mask may be an RTSTRUCT file; --roi NAME picks its ROI (default:
        its only one). The contours are rasterised onto the grid of the series the RTSTRUCT
        references, found in the folder above the RTSTRUCT's folder (recursively): a voxel is
        inside when its centre is inside the slice's contours by the even-odd rule (holes);
        a centre exactly on an edge counts as if moved slightly towards higher column, then
        row index. That grid must be the image's. A missing referenced series or ROI name
        fails naming them (the ROI names present are listed), exit status 1.

        BAD INPUT: a case that cannot be read, has an empty mask, a missing label, a single-voxel
        region, NaN voxels in the region or a mask off the image grid fails with its reason;
        in cohort mode the other cases go on.

        \(KiraExit.helpText)
        """
    )

    @Option(help: "The image (.nii, .nii.gz, .nrrd, .nhdr).")
    var image: String?

    @Option(help: "The mask on the image grid: a label map, or an RT Structure Set (rasterised onto the grid of the series it references).")
    var mask: String?

    @Option(help: ArgumentHelp("The ROI of an RT Structure Set mask (default: its only ROI).", valueName: "name"))
    var roi: String?

    @Option(help: "Cohort mode: CSV with columns id,image,mask[,label][,habitats]; needs -o.")
    var manifest: String?

    @Option(help: "Cohort mode: cases computed in parallel.")
    var jobs: Int = 1

    @Option(help: "Region (repeatable): tumour, ring:5mm, ring:10vox, tumour+ring:5mm, habitat:K.")
    var region: [String] = []

    @Option(help: "Habitat label map on the image grid, for habitat:K regions.")
    var habitats: String?

    @Option(help: "Mask label to use (default: every non-zero voxel).")
    var label: Int?

    @Option(help: "Settings preset: \(ExtractionSettings.presetNames.joined(separator: ", ")) (default: default).")
    var preset: String?

    @Option(help: ArgumentHelp("Settings file (YAML or JSON): a pyradiomics parameter file as it is, and/or an ibsi: section.", valueName: "file"))
    var params: String?

    @Flag(help: "Write one JSON document instead of CSV.")
    var json = false

    @Option(name: .shortAndLong, help: "Output file, .csv (.json with --json); default: stdout.")
    var output: String?

    @OptionGroup var replace: OutputOptions

    @OptionGroup var logging: LoggingOptions

    func validate() throws {
        if params != nil && preset != nil { throw ValidationError("--params and --preset are mutually exclusive") }
        if let preset, ExtractionSettings.preset(preset) == nil {
            throw ValidationError("unknown preset '\(preset)'; known presets: \(ExtractionSettings.presetNames.joined(separator: ", "))")
        }
        if let params, !FileManager.default.fileExists(atPath: params) {
            throw ValidationError("--params '\(params)' does not exist")
        }
        do { _ = try regions() } catch { throw ValidationError(FailureText.describe(error)) }
        if let manifest {
            guard image == nil, mask == nil else { throw ValidationError("give either --manifest or --image and --mask, not both") }
            guard roi == nil else { throw ValidationError("--roi applies to a single case (--image and --mask)") }
            guard output != nil else { throw ValidationError("--manifest needs -o OUTPUT.csv") }
            guard !json else { throw ValidationError("--json is for one case; cohort mode writes a CSV table") }
            guard FileManager.default.fileExists(atPath: manifest) else { throw ValidationError("--manifest '\(manifest)' does not exist") }
        } else {
            guard let image, let mask else { throw ValidationError("give --image and --mask, or --manifest") }
            for (flag, path) in [("--image", image), ("--mask", mask)] where !FileManager.default.fileExists(atPath: path) {
                throw ValidationError("\(flag) '\(path)' does not exist")
            }
        }
        if let habitats, !FileManager.default.fileExists(atPath: habitats) { throw ValidationError("--habitats '\(habitats)' does not exist") }
        guard jobs >= 1 else { throw ValidationError("--jobs must be at least 1, got \(jobs)") }
        if let label, label <= 0 { throw ValidationError("--label \(label) must be a positive mask label") }
        if let output {
            // Cohort mode resumes into an existing table (it is its own journal), so only a
            // single case's output needs --overwrite; the manifest's images are checked in run().
            try OutputOptions.check([.init(output, option: "--output", format: json ? .json : .csv)],
                                    inputs: [image, mask, habitats, params, manifest], overwrite: replace.overwrite || manifest != nil)
        }
    }

    func regions() throws -> [FeatureRegion] {
        let parsed = try region.map(FeatureRegion.init(parsing:))
        if let twice = parsed.first(where: { r in parsed.filter { $0 == r }.count > 1 }) {
            throw KiraError.invalidArgument("region \(twice) is given twice")
        }
        return parsed
    }

    func run() throws {
        let logger = logging.makeLogger(label: "kira.features")
        let settings: ExtractionSettings
        do {
            settings = try params.map { try SettingsFile.load(URL(fileURLWithPath: $0)) } ?? ExtractionSettings.preset(preset ?? "default")!
        } catch {
            FileHandle.standardError.write(Data("kira features: \(FailureText.describe(error))\n".utf8))
            throw ExitCode(KiraExit.failure.rawValue)
        }
        // What chose the settings, for every case's diagnostics.
        var origin: [String: MetaValue] = ["mode": .string(settings.mode.rawValue)]
        if let params {
            origin["params"] = .string(params)
            origin["params_hash"] = .string((try? InputHash.hash(file: URL(fileURLWithPath: params))) ?? "")
        } else {
            origin["preset"] = .string(preset ?? "default")
        }
        if let manifest {
            let cohort = FeatureCohort(manifest: URL(fileURLWithPath: manifest), output: URL(fileURLWithPath: output!), jobs: jobs,
                                       label: label, habitats: habitats.map { URL(fileURLWithPath: $0) }, regions: try regions(),
                                       settings: settings, origin: origin, fresh: replace.overwrite)
            let status: KiraExit
            do { status = try runCohort(cohort, logger: logger) } catch {
                FileHandle.standardError.write(Data("kira features: \(FailureText.line(file: manifest, reason: FailureText.describe(error)))\n".utf8))
                throw ExitCode(KiraExit.failure.rawValue)
            }
            if status != .success { throw ExitCode(status.rawValue) }
            return
        }
        let imageURL = URL(fileURLWithPath: image!), maskURL = URL(fileURLWithPath: mask!)
        do {
            let started = Date()
            let one = FeatureCase(image: imageURL, mask: maskURL, label: label, habitats: habitats.map { URL(fileURLWithPath: $0) }, roi: roi)
            let result = try one.run(regions: try regions(), settings: settings, settingsProvenance: try CaseProvenance.settings(settings, regions: try regions()),
                                     origin: origin, logger: logger)
            var set = result.set
            set.diagnostics["seconds"] = .number(Date().timeIntervalSince(started))
            for w in result.warnings { logger.warning("\(w)") }
            let data = json ? try FeatureOutput.json(set) + Data("\n".utf8) : Data(FeatureOutput.csv(set).text.utf8)
            if let output {
                try AtomicOutput.write(data, to: URL(fileURLWithPath: output))
            } else {
                FileHandle.standardOutput.write(data)
            }
            logger.info("\(set.rows.count) features, \(set.rows.filter { $0.value.number == nil }.count) undefined")
        } catch {
            // A failed write is about the output, which the message names; the image is not at fault.
            if case KiraError.writeFailed = error {
                FileHandle.standardError.write(Data("kira features: \(FailureText.describe(error))\n".utf8))
            } else {
                FileHandle.standardError.write(Data("kira features: \(FailureText.line(file: image!, reason: FailureText.describe(error)))\n".utf8))
            }
            throw ExitCode(KiraExit.failure.rawValue)
        }
    }

    /// Runs the cohort and reports it on stderr (`reportCohort`).
    func runCohort(_ cohort: FeatureCohort, logger: Logger) throws -> KiraExit {
        try reportCohort(cohort.runner, command: "kira features", quiet: logging.quiet, logger: logger)
    }
}
