import ArgumentParser
import Foundation
import KiraCore
import KiraDeep
import KiraIO
import KiraRadiomics
import KiraStudy

struct DeepFeaturesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "features",
        abstract: "Deep features of tumour and peritumoral crops from an ONNX network: one image and its tumour mask, or a cohort manifest.",
        discussion: """
        Each --crop is cut from the tumour's largest-area slice: tumour (the tumour's bounding
        box) or tumour+ring:Rmm (the bounding box of the tumour dilated by R mm: tumour and
        peritumoral area), plus --margin mm on each side; pixels are not masked. --input 2d
        copies that slice to the three channels; 2.5d takes it and its two neighbours as the
        channels. The crop is resized to the model's input (bilinear, half-pixel centres, as
        PyTorch's interpolate with align_corners=False), scaled to [0, 1] by --intensity
        (percentile:LOW,HIGH of the crop's pixels, or window:LOW,HIGH; clipped), then
        normalised by --mean and --std per channel (default ImageNet's).

        Features: the pooled output of the network's last GlobalAveragePool (default), its input
        flattened (--flatten: the last feature map, 1664×7×7 = 81,536 values for DenseNet-169),
        or any tensor (--output-layer NAME, flattened). Columns are PREFIX_CROP_fNNNN, CROP
        being tumour or periRmm (e.g. dn169_tumour_f0001, dn169_peri5mm_f0001); PREFIX is
        --prefix (default: the model's file name without extension). OUT.csv has one row: id,
        then the features. Beside it, OUT.csv.provenance.json records the model (path, 64-bit
        FNV-1a hash, opset), the layer, every crop option and each crop's slice, box and
        intensity range. --save-inputs DIR writes each crop's network input as CROP.npy.

        A crop reaching outside the image, an empty mask, 2.5d on an image without a slice on
        each side of the tumour's, or a model without N×3×H×W input fails with the reason and
        writes nothing.

        COHORT MODE: --manifest cases.csv -o features.csv [--jobs N], the manifest of kira
        features --manifest (id,image,mask, optionally label; paths relative to its folder).
        The model is loaded once and shared by the N cases run at a time. The output has one
        row per case, each equal to single-case mode's row for that case; beside it
        features.csv.provenance.json (settings with the model's hash, each case's input hashes
        and crop records), features.csv.failures.csv (id,status,reason of failed cases; removed
        when there are none) and, while running, features.csv.journal. A rerun reuses every
        case whose image, mask and label are unchanged (content hashes) and recomputes the
        others; an output made with another model or other settings is refused (--overwrite
        starts afresh). A failed case (unreadable file, empty mask, crop outside the image) is
        named on stderr and the others go on: exit 2.

        \(DeepExit.helpText.replacingOccurrences(of: "\n  130", with: "\n  2  cohort mode: some cases failed (listed in OUT.failures.csv), the others written\n  130"))
        """
    )

    @Option(help: "ONNX model file.")
    var model: String

    @Option(help: "Image (NIfTI, NRRD, PNG, JPEG, TIFF).")
    var image: String?

    @Option(help: "Tumour mask on the image grid (non-zero inside, or --label).")
    var mask: String?

    @Option(help: "Cohort mode: CSV with columns id,image,mask[,label]; one row per case in -o.")
    var manifest: String?

    @Option(help: "Cohort mode: cases computed in parallel (the model is shared).")
    var jobs = 1

    @Option(help: "Mask label to use (default: every non-zero voxel).")
    var label: Int?

    @Option(help: "Crop: tumour or tumour+ring:<mm>mm (repeatable; columns side by side).")
    var crop: [String] = ["tumour"]

    @OptionGroup var network: DeepInputArguments

    @Option(name: .customLong("output-layer"), help: "Tensor to take the features from (default: the pooled features).")
    var outputLayer: String?

    @Flag(help: "Take the last feature map (the input of the last GlobalAveragePool), flattened.")
    var flatten = false

    @Option(help: "Feature name prefix (default: the model file's name).")
    var prefix: String?

    @Option(help: "Case id in the id column (default: the image file's name).")
    var id: String?

    @Option(help: "Threads (crops run in parallel).")
    var threads = 1

    @Option(name: .customLong("save-inputs"), help: "Folder to write each crop's network input to (CROP.npy).")
    var saveInputs: String?

    @Option(name: .shortAndLong, help: "Output CSV.")
    var output: String

    @OptionGroup var replace: OutputOptions

    @OptionGroup var logging: LoggingOptions

    func validate() throws {
        if let manifest {
            guard image == nil, mask == nil else { throw ValidationError("give either --manifest or --image and --mask, not both") }
            guard id == nil, saveInputs == nil else { throw ValidationError("--id and --save-inputs apply to a single case (--image and --mask)") }
            guard FileManager.default.fileExists(atPath: manifest) else { throw ValidationError("--manifest '\(manifest)' does not exist") }
        } else {
            guard image != nil, mask != nil else { throw ValidationError("give --image and --mask, or --manifest") }
        }
        for (option, path) in [("--model", model), ("--image", image), ("--mask", mask)] {
            if let path, !FileManager.default.fileExists(atPath: path) { throw ValidationError("\(option) '\(path)' does not exist") }
        }
        _ = try options()
        guard !(flatten && outputLayer != nil) else { throw ValidationError("--flatten and --output-layer exclude each other") }
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
        guard jobs >= 1 else { throw ValidationError("--jobs must be at least 1, got \(jobs)") }
        if let label, label <= 0 { throw ValidationError("--label \(label) must be a positive mask label") }
        // Cohort mode resumes into an existing table, so only a single case's output needs
        // --overwrite; the manifest's images are checked when it is read.
        try OutputOptions.check([.init(output, option: "-o", format: .csv), .init(output + ".provenance.json", option: "the provenance of -o", format: .json)],
                                inputs: [model, image, mask, manifest], overwrite: replace.overwrite || manifest != nil)
    }

    func options() throws -> (CropOptions, [CropOptions.Region]) {
        let regions = try crop.map { try DeepInputArguments.region($0) }
        guard Set(regions.map(\.label)).count == regions.count else { throw ValidationError("--crop: each crop may be given once") }
        return (try network.options(region: regions[0]), regions)
    }

    var layer: FeatureLayer { flatten ? .flattenedMap : outputLayer.map { .named($0) } ?? .pooled }

    func run() throws {
        if let manifest { return try runCohort(manifest) }
        let (image, mask) = (image!, mask!)
        try deepRun("features") {
            let (opts, regions) = try options()
            let extractor = try DeepFeatureExtractor(modelPath: model, layer: layer)
            let img = try ImageFileReader.read(URL(fileURLWithPath: image))
            let roi = try MaskReader.read(URL(fileURLWithPath: mask), label: label, matching: img.geometry, imagePath: image)
            let modelURL = URL(fileURLWithPath: model)
            let name = prefix ?? modelURL.deletingPathExtension().lastPathComponent
            let caseID = id ?? URL(fileURLWithPath: image).lastPathComponent
            let result = try DeepCaseFeatures.compute(image: img, mask: roi, regions: regions, options: opts, extractor: extractor,
                                                      prefix: name, subject: image, threads: threads)
            var prov = try DeepCaseFeatures.provenance(modelPath: model, modelHash: try FeatureOutput.fileHash(modelURL),
                                                       extractor: extractor, options: opts, regions: regions, prefix: name)
            if case var .object(o) = prov {
                o["image"] = .string(image); o["mask"] = .string(mask); o["id"] = .string(caseID)
                o["image_fnv1a64"] = .string(try FeatureOutput.fileHash(URL(fileURLWithPath: image)))
                o["mask_fnv1a64"] = .string(try FeatureOutput.fileHash(URL(fileURLWithPath: mask)))
                let enc = JSONEncoder()
                let recs = try JSONDecoder().decode(MetaValue.self, from: try enc.encode(result.crops))
                o["crop_records"] = recs
                o["features"] = .integer(result.names.count)
                prov = .object(o)
            }
            var csv = CSVWriter(header: ["id"] + result.names)
            csv.append([caseID] + result.values.map { "\($0)" })
            if let dir = saveInputs {
                try InterruptCleanup.createDirectory(at: URL(fileURLWithPath: dir))
                for (r, t) in zip(regions, result.inputs) {
                    try NumPyArray.write(t, to: URL(fileURLWithPath: dir).appendingPathComponent("\(r.label).npy").path)
                }
            }
            let enc = JSONEncoder()
            enc.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            try AtomicOutput.write(try enc.encode(prov), to: URL(fileURLWithPath: output + ".provenance.json"))
            try csv.write(to: URL(fileURLWithPath: output))
            FileHandle.standardError.write(Data("kira deep features: \(result.names.count) features of \(regions.count) crop\(regions.count == 1 ? "" : "s") → \(output)\n".utf8))
        }
    }

    /// A bad model or settings fail before any case (exit 1); failed cases give exit 2.
    func runCohort(_ manifest: String) throws {
        let logger = logging.makeLogger(label: "kira.deep.features")
        let status: KiraExit
        do {
            let (opts, regions) = try options()
            let modelURL = URL(fileURLWithPath: model)
            let extractor = try DeepCaseExtractor(model: modelURL, layer: layer, regions: regions, options: opts,
                                                  prefix: prefix ?? modelURL.deletingPathExtension().lastPathComponent,
                                                  label: label, threads: threads)
            let runner = CohortRunner(manifest: URL(fileURLWithPath: manifest), output: URL(fileURLWithPath: output), jobs: jobs,
                                      extractor: extractor, fresh: replace.overwrite)
            status = try reportCohort(runner, command: "kira deep features", quiet: logging.quiet, logger: logger)
        } catch {
            FileHandle.standardError.write(Data("kira deep features: \(FailureText.line(file: manifest, reason: FailureText.describe(error)))\n".utf8))
            throw ExitCode(KiraExit.failure.rawValue)
        }
        if status != .success { throw ExitCode(status.rawValue) }
    }
}
