import ArgumentParser
import Foundation
import KiraCore
import KiraDeep
import KiraIO
import KiraLearn

struct DeepCamCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cam",
        abstract: "Grad-CAM map of one crop: NIfTI on the image grid, the map at input size, an overlay.",
        discussion: """
        The crop and its network input are made as by kira deep features (--crop, --input,
        --margin, --intensity, --mean, --std). The map explains --class (default: the highest
        logit) at --layer (default: the input of the network's last GlobalAveragePool, the last
        feature map; give the tensor before the Relu that precedes it for DenseNet-169's norm5).
        Its gradient is closed-form where the head is [Relu →] GlobalAveragePool → Flatten →
        Gemm (torchvision's ResNet and DenseNet); other heads are refused. The map is
        ReLU(Σ_k w_k A_k) with w_k the spatial mean of the gradient, min–max scaled and resized
        bilinearly to the input, as pytorch-grad-cam makes it.

        -o CAM.nii.gz gets the map resized to the crop's box on the tumour's slice (0
        elsewhere), on the image's grid; --save-map MAP.npy the map at input size;
        --overlay O.jpg the crop with the map blended in red. The class, its logit and the
        crop's box are printed.

        --target-weights W.npy explains a score s = Σ_k w_k p_k of the pooled features p (the
        layer's channels averaged, through the Relu where there is one) instead of a class:
        one weight per channel, e.g. a linear model's coefficients on the network's features
        or a model's gradient with respect to them. ∂s/∂A[k,i,j] = w_k / (H·W) (times
        1[A > 0] behind the Relu).

        --decision MODEL.json explains a Kira model's decision for one case: the gradient of
        its log-odds of the positive class with respect to the network's columns of the table
        (--features, --prefix, --id-column as for kira predict; --case the row; --columns the
        stem, e.g. us_dn169_tumour for us_dn169_tumour_f0001 …), back through the model's
        fitted steps to its logistic or SVM model (tree models have no gradient), is the
        target's weight per channel.

        \(DeepExit.helpText)
        """
    )

    @Option(help: "ONNX model file.")
    var model: String

    @Option(help: "Image (NIfTI, NRRD, PNG, JPEG, TIFF).")
    var image: String

    @Option(help: "Tumour mask on the image grid.")
    var mask: String

    @Option(help: "Mask label to use (default: every non-zero voxel).")
    var label: Int?

    @Option(help: "Crop: tumour or tumour+ring:<mm>mm.")
    var crop = "tumour"

    @OptionGroup var network: DeepInputArguments

    @Option(name: .customLong("class"), help: "Output class to explain (default: the highest logit).")
    var targetClass: Int?

    @Option(name: .customLong("target-weights"),
            help: "Explain a linear score Σ w_k p_k of the pooled features p instead of a class: a .npy vector with one weight per channel of the layer (e.g. a linear model's coefficients on the network's features).")
    var targetWeights: String?

    @Option(help: "Explain a Kira model's decision (its log-odds of the positive class) instead of a class: the model file of kira train or kira study run, with --features, --case and --columns.")
    var decision: String?

    @Option(name: .customLong("features"), parsing: .upToNextOption, help: "With --decision: the feature CSVs the model reads (joined on --id-column).")
    var features: [String] = []

    @Option(parsing: .upToNextOption, help: "With --decision: a column prefix per feature file (default: those used in training).")
    var prefix: [String] = []

    @OptionGroup var table: LearnInputOptions

    @Option(name: .customLong("case"), help: "With --decision: the case (row id) whose decision is explained.")
    var caseID: String?

    @Option(help: "With --decision: the stem of this network's feature columns in the table, e.g. us_dn169_tumour for us_dn169_tumour_f0001 ….")
    var columns: String?

    @Option(help: "Tensor the map is computed on (default: the last feature map).")
    var layer: String?

    @Option(name: .customLong("save-map"), help: "Also write the map at input size (.npy).")
    var saveMap: String?

    @Option(name: .customLong("save-input"), help: "Also write the network input (.npy).")
    var saveInput: String?

    @Option(help: "Also write an overlay of the crop (.jpg).")
    var overlay: String?

    @Option(name: .shortAndLong, help: "Output NIfTI (.nii or .nii.gz) on the image grid.")
    var output: String

    @OptionGroup var replace: OutputOptions

    func validate() throws {
        for (option, path) in [("--model", model), ("--image", image), ("--mask", mask)] where !FileManager.default.fileExists(atPath: path) {
            throw ValidationError("\(option) '\(path)' does not exist")
        }
        _ = try options()
        let targets = [targetClass.map { _ in "--class" }, targetWeights.map { _ in "--target-weights" }, decision.map { _ in "--decision" }].compactMap { $0 }
        guard targets.count <= 1 else { throw ValidationError("\(targets.joined(separator: " and ")) name \(targets.count) targets; give one") }
        if let targetWeights, !FileManager.default.fileExists(atPath: targetWeights) { throw ValidationError("--target-weights '\(targetWeights)' does not exist") }
        if let decision {
            guard !features.isEmpty, caseID != nil, columns != nil else { throw ValidationError("--decision needs --features, --case and --columns") }
            for f in [decision] + features where !FileManager.default.fileExists(atPath: f) { throw ValidationError("'\(f)' does not exist") }
        } else if !features.isEmpty || caseID != nil || columns != nil || !prefix.isEmpty {
            throw ValidationError("--features, --prefix, --case and --columns go with --decision")
        }
        var outs: [OutputGuard.Output] = [.init(output, option: "-o", format: .nifti)]
        for (path, option) in [(saveMap, "--save-map"), (saveInput, "--save-input"), (overlay, "--overlay")] {
            if let path {
                let ext = option == "--overlay" ? ".jpg" : ".npy"
                guard path.hasSuffix(ext) else { throw ValidationError("\(option) '\(path)' must end in \(ext)") }
                if !replace.overwrite && FileManager.default.fileExists(atPath: path) { throw ValidationError("\(option) '\(path)' exists; pass --overwrite to replace it") }
                outs.append(.init(path, option: option, format: .folder))
            }
        }
        try replace.check(outs, inputs: [model, image, mask])
    }

    func options() throws -> CropOptions {
        try network.options(region: try DeepInputArguments.region(crop))
    }

    func run() throws {
        try deepRun("cam") {
            let opts = try options()
            let cam = try GradCAM(modelPath: model, layer: layer)
            guard let dims = cam.model.inputs.first?.dims, dims.count == 4, let h = dims[2], let w = dims[3] else {
                throw DeepError.shapeMismatch(model: model, node: "input", reason: "Grad-CAM needs one N×3×H×W input of fixed H and W")
            }
            let img = try ImageFileReader.read(URL(fileURLWithPath: image))
            let roi = try MaskReader.read(URL(fileURLWithPath: mask), label: label, matching: img.geometry, imagePath: image)
            let (x, record) = try CropBuilder.build(image: img, mask: roi, options: opts, height: h, width: w, subject: image)
            let map: GradCAM.Map
            var meta: [String: MetaValue] = ["GradCAMLayer": .string(cam.layer)]
            if let targetWeights {
                let weights = try NumPyArray.read(targetWeights)
                guard weights.rank == 1 else {
                    throw KiraError.invalidArgument("--target-weights '\(targetWeights)': expected one vector, got shape \(weights.shape)")
                }
                map = try cam.map(x, pooledGradient: weights.data.map(Double.init), outputHeight: h, outputWidth: w)
                meta["GradCAMTarget"] = .string("weights " + URL(fileURLWithPath: targetWeights).lastPathComponent)
            } else if let decision, let caseID, let columns {
                map = try cam.map(x, pooledGradient: try decisionGradient(decision, caseID: caseID, columns: columns, channels: cam.channels),
                                  outputHeight: h, outputWidth: w)
                meta["GradCAMTarget"] = .string("decision " + URL(fileURLWithPath: decision).lastPathComponent + " case " + caseID)
            } else {
                map = try cam.map(x, targetClass: targetClass, outputHeight: h, outputWidth: w)
                meta["GradCAMClass"] = map.targetClass.map { .integer($0) } ?? .null
            }
            let grid = CAMPlacement.onImageGrid(map.scaled, record: record, geometry: img.geometry)
            meta["GradCAMModel"] = .string(URL(fileURLWithPath: model).lastPathComponent)
            let volume = try Volume(geometry: img.geometry, voxels: .float32(grid), metadata: meta)
            if let saveMap { try NumPyArray.write(map.scaled, to: saveMap) }
            if let saveInput { try NumPyArray.write(x, to: saveInput) }
            if let overlay {
                let o = CAMPlacement.overlay(image: img, scaled: map.scaled, record: record)
                try JPEGWriter.write(o.pixels, width: o.width, height: o.height, channels: 3, to: URL(fileURLWithPath: overlay))
            }
            try NIfTIWriter.write(volume, to: URL(fileURLWithPath: output))
            let target = map.targetClass.map { "class \($0) (logit \(map.logit ?? .nan))" }
                ?? targetWeights.map { "weights \($0)" } ?? "decision of \(decision ?? "") for \(caseID ?? "")"
            print("\(target) at \(cam.layer); crop x \(record.box[0])…\(record.box[1]), y \(record.box[2])…\(record.box[3]), slice \(record.slice) → \(output)")
        }
    }

    /// ∂ log-odds / ∂ pooled feature k for the network's columns `<columns>_f0001` … in the
    /// model's input: the model's gradient at the case's row (`FittedPipeline.logOddsGradient`),
    /// 0 for a channel whose column the model does not read.
    func decisionGradient(_ path: String, caseID: String, columns: String, channels: Int) throws -> [Double] {
        let file = try ModelFile.read(URL(fileURLWithPath: path))
        let t = try FeatureTable.load(features.map { URL(fileURLWithPath: $0) }, idColumn: table.idColumn,
                                      prefixes: prefix.isEmpty ? (file.training.prefixes ?? []) : prefix)
        let inputs = file.pipeline.inputFeatures
        let x = try t.columns(for: inputs, source: features.joined(separator: " + "))
        guard let row = t.ids.firstIndex(of: caseID) else {
            throw KiraError.invalidArgument("--case \(caseID): no row with that \(table.idColumn) in \(features.joined(separator: " + "))")
        }
        let g = try file.pipeline.logOddsGradient((0..<x.cols).map { x[row, $0] })
        let position = Dictionary(inputs.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
        var out = [Double](repeating: 0, count: channels)
        var found = 0
        for (k, name) in DeepFeatureExtractor.names(stem: columns, count: channels).enumerated() {
            if let j = position[name] { out[k] = g[j]; found += 1 }
        }
        guard found > 0 else {
            throw KiraError.invalidArgument("--columns \(columns): the model reads none of \(columns)_f0001 … (\(channels) channels); its inputs start \(inputs.prefix(3).joined(separator: ", "))")
        }
        return out
    }
}
