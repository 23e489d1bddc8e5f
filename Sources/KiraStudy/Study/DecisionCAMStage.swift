import Foundation
import KiraCore
import KiraDeep
import KiraIO
import KiraLearn
import KiraRadiomics
import Logging

/// After the model stage: for each case of the fused table and each crop of a modality with
/// `deep: {cam: true}`, the Grad-CAM of the frozen model's own decision. Its target is the
/// model's log-odds of high Ki-67; the weight of a channel is the gradient
/// (`FittedPipeline.logOddsGradient` at the case's fused row) with respect to the crop's
/// columns `<modality>_<name>_<crop>_f0001` … mapped onto the Grad-CAM layer:
/// - `output: pooled`: column k is the pooled value of channel k, so its gradient is the
///   channel's pooled gradient as it is;
/// - `output: map` (the last feature map flattened, channel × position): column k·H·W + p is
///   A[k, p] itself; Grad-CAM's channel weight is the mean over positions of ∂s/∂A[k, p],
///   which `GradCAM.map(pooledGradient:)` gives when the pooled gradient is the sum over the
///   channel's positions (it divides by H·W);
/// - another tensor (`output: NAME`) is not the Grad-CAM layer: refused, with the reason logged.
/// Trees, ensembles and k-NN have no gradient: nothing is computed and the reports show the
/// network's top-class maps. Each map is cached by the deep key, the model file's content and
/// the case's inputs, so an unchanged rerun does no work and a new model recomputes only these.
struct DecisionCAMStage {
    static let step = "decision-cam"

    var study: StudySpec
    var cohort: StudyCohort
    var files: StudyFiles
    var ledger: RunLedger
    var jobs: Int
    var logger: Logger
    var networks: DeepNetworks

    struct Outcome {
        /// nil when no modality asks for Grad-CAM.
        var summary: StudySummary.DecisionMaps?
        var failures: [StudyFailure] = []
        var computed = 0
        var reused = 0
    }

    /// Why a model has no decision map, or nil when it has a gradient.
    static func noGradient(_ model: FittedModel) -> String? {
        guard model.logistic == nil, model.svm == nil else { return nil }
        return "the model (\(model.kind.rawValue)) has no gradient, so the map shown is the network's top-class map"
    }

    private struct Task {
        var c: StudyCase
        var modality: ModalitySpec
        var spec: DeepSpec
        var deepKey: String
        var row: [Double]
    }

    func run(features: [CaseFeatures]) throws -> Outcome {
        let modalities = study.modalities.filter { $0.deep?.cam == true }
        var out = Outcome()
        var produced = Set<String>()
        defer { removeStale(keeping: produced) }
        guard !modalities.isEmpty else { return out }
        let file = try ModelFile.read(files.model)
        let modelHash = try FeatureOutput.fileHash(files.model)
        let kind = file.pipeline.model.kind.rawValue
        if let why = Self.noGradient(file.pipeline.model) {
            logger.info("\(Self.step): none computed: \(why)")
            out.summary = .init(model: kind, target: "top class", note: why, maps: [])
            return out
        }
        let inputs = file.pipeline.inputFeatures
        let table = try FeatureTable.load([files.fused], idColumn: "id")
        let x = try table.columns(for: inputs, source: files.fused.path)
        let rowOf = Dictionary(table.ids.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
        var usable: [ModalitySpec] = []
        for m in modalities {
            guard let d = m.deep else { continue }
            switch d.output {
            case .pooled, .flattenedMap: usable.append(m)
            case let .named(name):
                let layer = (try? networks.network(m))?.cam?.layer
                if name == layer { usable.append(m) } else {
                    logger.warning("\(Self.step): \(m.name): no decision maps: output '\(name)' is not the Grad-CAM layer '\(layer ?? "?")', so the model's gradient with respect to those columns does not give the layer's channel weights (use output: pooled or map)")
                }
            }
        }
        var tasks: [Task] = []
        for c in cohort.cases {
            guard let r = rowOf[c.id] else { continue }
            for m in usable {
                guard let key = features.first(where: { $0.caseID == c.id && $0.modality == m.name && $0.reader == 0 })?.deepKey else { continue }
                tasks.append(Task(c: c, modality: m, spec: m.deep!, deepKey: key, row: (0..<x.cols).map { x[r, $0] }))
            }
        }
        let position = Dictionary(inputs.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
        let results = concurrentMap(tasks.count, workers: jobs) { i in
            run(tasks[i], pipeline: file.pipeline, modelHash: modelHash, modelName: files.model.lastPathComponent, position: position)
        }
        var maps: [String] = []
        for (t, r) in zip(tasks, results) {
            switch r {
            case let .success((written, reused)):
                if reused { out.reused += 1 } else { out.computed += 1 }
                for u in written {
                    produced.insert(u.path)
                    if u.pathExtension == "gz" { maps.append("deep/\(t.c.id)/\(u.lastPathComponent)") }
                }
            case let .failure(f):
                out.failures.append(StudyFailure(caseID: t.c.id, modality: t.modality.name, reader: "1", step: Self.step, reason: f.reason))
            }
        }
        logger.info("\(Self.step): \(out.computed) computed, \(out.reused) reused, \(out.failures.count) failed")
        out.summary = .init(model: kind, target: "decision", note: nil, maps: maps)
        return out
    }

    /// One case × modality: every crop whose columns the model reads. Returns the result files.
    private func run(_ t: Task, pipeline: FittedPipeline, modelHash: String, modelName: String,
                     position: [String: Int]) -> Result<([URL], Bool), StepFailure> {
        let started = Date()
        let where_ = "\(t.c.id) \(t.modality.name)"
        var entry = RunLedger.Entry(step: Self.step, caseID: t.c.id, modality: t.modality.name, reader: "1", status: "running",
                                    started: started.timeIntervalSince1970)
        func finish(_ status: String, error: String? = nil) {
            let now = Date()
            entry.status = status; entry.error = error
            entry.finished = now.timeIntervalSince1970; entry.seconds = now.timeIntervalSince(started)
            try? ledger.record(entry)
        }
        do {
            let g: [Double]
            do { g = try pipeline.logOddsGradient(t.row) } catch {
                throw StepFailure(step: Self.step, reason: FailureText.describe(error))
            }
            // The key: the deep part (image, mask, network, crops), the model file, the case's inputs.
            var keyText = "\(KiraVersion.current)\n\(t.deepKey)\n\(modelHash)\n"
            keyText += t.row.map { String($0.bitPattern, radix: 16) }.joined(separator: ",")
            let key = FeatureOutput.hash(Data(keyText.utf8))
            entry.cacheKey = key
            entry.inputHashes = "deep=\(t.deepKey) model=\(modelHash)"
            // Per crop, the gradient of each of its columns by feature number (0-based).
            var crops: [(region: CropOptions.Region, gradient: [Int: Double])] = []
            for crop in t.spec.crops {
                let stem = "\(t.modality.name)_\(t.spec.name)_\(crop.label)_f"
                var gc: [Int: Double] = [:]
                for (name, j) in position where name.hasPrefix(stem) {
                    if let n = Int(name.dropFirst(stem.count)), n >= 1 { gc[n - 1] = g[j] }
                }
                if gc.values.contains(where: { $0 != 0 }) {
                    crops.append((crop, gc))
                } else {
                    logger.info("\(where_) \(crop.label): no decision map: the model's log-odds do not depend on \(stem)…")
                }
            }
            let urls = crops.flatMap { c in ["png", "nii.gz"].map { files.decisionCAM(caseID: t.c.id, modality: t.modality.name, crop: c.region.label, ext: $0) } }
            entry.output = urls.first?.deletingLastPathComponent().path
            let cached = crops.map { c in
                ["png", "nii.gz"].map { FileManager.default.contents(atPath: files.decisionCAMCacheFile(caseID: t.c.id, modality: t.modality.name, crop: c.region.label, key: key, ext: $0).path) }
            }
            if cached.allSatisfy({ $0.allSatisfy { $0 != nil } }) {
                for (c, d) in zip(crops, cached) {
                    try CAMFiles.place(png: d[0]!, nifti: d[1]!, to: files.decisionCAM(caseID: t.c.id, modality: t.modality.name, crop: c.region.label, ext: "png"),
                                       files.decisionCAM(caseID: t.c.id, modality: t.modality.name, crop: c.region.label, ext: "nii.gz"))
                }
                finish("reused")
                logger.info("\(where_): decision maps reused (cache \(key))")
                return .success((urls, true))
            }
            try ledger.record(entry)
            guard let network = try networks.network(t.modality), let cam = network.cam else {
                throw StepFailure(step: Self.step, reason: "\(t.spec.model.path): no Grad-CAM network")
            }
            guard let image = t.c.images[t.modality.name] ?? nil else {
                throw StepFailure(step: Self.step, reason: "no \(t.modality.name) image")
            }
            guard let mask = (t.c.masks[t.modality.name] ?? []).first.flatMap({ $0 }) else {
                throw StepFailure(step: Self.step, reason: "no \(t.modality.name) mask of the first reader")
            }
            let volume = try CaseImage.read(image, modality: t.modality, logger: logger)
            let labels = try ImageFileReader.readLabels(mask)
            let tumour = try MaskReader.mask(from: labels, url: mask, label: nil, matching: volume.geometry, imagePath: image.path)
            let extractor = network.extractor
            for c in crops {
                var o = t.spec.options
                o.region = c.region
                let (input, rec) = try CropBuilder.build(image: volume, mask: tumour, options: o, height: extractor.inputHeight,
                                                         width: extractor.inputWidth, subject: "case \(t.c.id) \(t.modality.name) reader 1")
                let a = try cam.model.runBatch(input, outputs: [cam.layer], threads: 1)[cam.layer]!
                guard a.rank == 4 else {
                    throw StepFailure(step: Self.step, reason: "layer '\(cam.layer)' is not a C×H×W map")
                }
                let channels = a.shape[1], plane = a.shape[2] * a.shape[3]
                var pooled = [Double](repeating: 0, count: channels)
                let perChannel = t.spec.output == .pooled ? 1 : plane
                guard let top = c.gradient.keys.max(), top < channels * perChannel else {
                    throw StepFailure(step: Self.step, reason: "the model reads column \((c.gradient.keys.max() ?? 0) + 1) of \(t.modality.name)_\(t.spec.name)_\(c.region.label); the layer '\(cam.layer)' gives \(channels * perChannel)")
                }
                // Flattened C order: column k·H·W + p is channel k at position p.
                for (k, v) in c.gradient { pooled[k / perChannel] += v }
                let map = try cam.map(activations: a, pooledGradient: pooled, outputHeight: input.shape[2], outputWidth: input.shape[3])
                let meta: [String: MetaValue] = ["GradCAMLayer": .string(cam.layer), "GradCAMModel": .string(t.spec.model.lastPathComponent),
                                                 "GradCAMTarget": .string("decision \(modelName) case \(t.c.id)")]
                let label = c.region.label
                let bytes = try CAMFiles.cache(map, image: volume, record: rec, metadata: meta,
                                               png: files.decisionCAMCacheFile(caseID: t.c.id, modality: t.modality.name, crop: label, key: key, ext: "png"),
                                               nifti: files.decisionCAMCacheFile(caseID: t.c.id, modality: t.modality.name, crop: label, key: key, ext: "nii.gz"))
                try CAMFiles.place(png: bytes.png, nifti: bytes.nifti, to: files.decisionCAM(caseID: t.c.id, modality: t.modality.name, crop: label, ext: "png"),
                                   files.decisionCAM(caseID: t.c.id, modality: t.modality.name, crop: label, ext: "nii.gz"))
            }
            finish("done")
            logger.info("\(where_): decision maps computed (\(crops.count) crop(s), \(String(format: "%.2f", Date().timeIntervalSince(started))) s)")
            return .success((urls, false))
        } catch {
            let f = error as? StepFailure ?? StepFailure(step: Self.step, reason: FailureText.describe(error))
            finish("failed", error: f.reason)
            logger.warning("\(where_): failed at \(Self.step): \(f.reason)")
            return .failure(StepFailure(step: Self.step, reason: f.reason))
        }
    }

    /// Decision maps this run did not produce (a case left out, a winner without a gradient)
    /// are removed: results/deep/ holds the current model's maps only.
    private func removeStale(keeping: Set<String>) {
        let deep = files.root.appendingPathComponent("deep")
        for c in (try? FileManager.default.contentsOfDirectory(atPath: deep.path)) ?? [] {
            let dir = deep.appendingPathComponent(c)
            for name in (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
            where name.hasSuffix("_decision_cam.png") || name.hasSuffix("_decision_cam.nii.gz") {
                let u = dir.appendingPathComponent(name)
                if !keeping.contains(u.path) { try? FileManager.default.removeItem(at: u) }
            }
        }
    }
}
