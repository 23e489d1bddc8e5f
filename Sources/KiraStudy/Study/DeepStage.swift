import Foundation
import KiraCore
import KiraDeep
import KiraIO
import KiraRadiomics
import Logging

/// The networks of a study's `deep:` keys, each loaded once and shared by every branch.
final class DeepNetworks: @unchecked Sendable {
    struct Network: Sendable {
        var extractor: DeepFeatureExtractor
        var cam: GradCAM?
    }

    private let lock = NSLock()
    private var loaded: [String: Result<Network, KiraError>] = [:]
    let studyFile: String

    init(studyFile: String) { self.studyFile = studyFile }

    /// The modality's network; an unusable model is an error naming the study key and the
    /// model's node.
    func network(_ m: ModalitySpec) throws -> Network? {
        guard let d = m.deep else { return nil }
        lock.lock(); defer { lock.unlock() }
        if let r = loaded[m.name] { return try r.get() }
        let r: Result<Network, KiraError>
        do {
            let extractor = try DeepFeatureExtractor(modelPath: d.model.path, layer: d.output)
            let cam = d.cam ? try GradCAM(modelPath: d.model.path) : nil
            r = .success(Network(extractor: extractor, cam: cam))
        } catch {
            let why = (error as? DeepError)?.description ?? (error as? KiraError)?.description ?? "\(error)"
            r = .failure(KiraError.invalidArgument("\(studyFile): modalities.\(m.name).deep.model: \(why)"))
        }
        loaded[m.name] = r
        return try r.get()
    }

    /// Loads every network the study names now, so a bad model stops the run before any case.
    func preload(_ modalities: [ModalitySpec]) throws {
        for m in modalities { _ = try network(m) }
    }
}

/// What the deep cache holds for one case × modality × reader.
struct DeepCaseRecord: Codable, Sendable {
    var key: String
    var names: [String]
    var values: [Float]
    var crops: [String: CropRecord]
    /// Per crop label, the Grad-CAM target class (primary reader, `cam: true`).
    var camClasses: [String: Int]

    enum CodingKeys: String, CodingKey { case key, names, values, crops, camClasses = "cam_classes" }
}

/// The deep part of a branch: crops → network → columns, cached by content apart from the
/// radiomics part; Grad-CAM overlays of the primary reader's crops kept in the cache and
/// copied into results/deep/<case>/.
struct DeepBranch {
    var modality: ModalitySpec
    var spec: DeepSpec
    var caseID: String
    var reader: Int
    var image: URL
    var mask: URL
    var files: StudyFiles

    var wantsCAM: Bool { spec.cam && reader == 0 }

    func key(imageHash: String, maskHash: String) throws -> String {
        var parts: [String: MetaValue] = [
            "kira_version": .string(KiraVersion.current),
            "image_hash": .string(imageHash), "mask_hash": .string(maskHash),
            "deep_settings": .string(spec.settingsHash), "cam": .bool(wantsCAM),
        ]
        if let p = modality.phase { parts["phase"] = .integer(p) }
        if let (a, b) = modality.subtraction { parts["subtraction"] = .array([.integer(a), .integer(b)]) }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return FeatureOutput.hash(try encoder.encode(MetaValue.object(parts)))
    }

    /// The cached record when its key matches and, with `cam: true`, its overlays are cached
    /// too; the overlays are then (re)placed in the results, unchanged bytes left alone.
    func cached(key: String) -> DeepCaseRecord? {
        let file = files.deepCacheFile(caseID: caseID, modality: modality.name, reader: reader, key: key)
        guard let data = FileManager.default.contents(atPath: file.path),
              let record = try? JSONDecoder().decode(DeepCaseRecord.self, from: data), record.key == key else { return nil }
        if wantsCAM {
            for crop in spec.crops {
                guard let png = FileManager.default.contents(atPath: files.deepCAMCacheFile(caseID: caseID, modality: modality.name, crop: crop.label, key: key).path),
                      let map = FileManager.default.contents(atPath: files.deepCAMMapCacheFile(caseID: caseID, modality: modality.name, crop: crop.label, key: key).path),
                      (try? placeCAM(png: png, map: map, crop: crop.label)) != nil else { return nil }
            }
        }
        return record
    }

    /// Copies a crop's cached overlay and map into results/deep/<case>/.
    private func placeCAM(png: Data, map: Data, crop: String) throws {
        try CAMFiles.place(png: png, nifti: map, to: files.deepCAM(caseID: caseID, modality: modality.name, crop: crop),
                           files.deepCAMMap(caseID: caseID, modality: modality.name, crop: crop))
    }

    /// Computes the features (and overlays), writes them into the cache and the overlays into
    /// the results. Errors are `StepFailure`s of step "deep".
    func compute(key: String, network: DeepNetworks.Network, logger: Logger) throws -> DeepCaseRecord {
        func failure(_ e: Error) -> StepFailure {
            if let f = e as? StepFailure { return StepFailure(step: "deep", reason: f.reason) }
            let why = (e as? KiraError)?.description ?? (e as? DeepError)?.description ?? "\(e)"
            return StepFailure(step: "deep", reason: why)
        }
        do {
            let volume = try CaseImage.read(image, modality: modality, logger: logger)
            let labels = try ImageFileReader.readLabels(mask)
            let tumour = try MaskReader.mask(from: labels, url: mask, label: nil, matching: volume.geometry, imagePath: image.path)
            let subject = "case \(caseID) \(modality.name) reader \(reader + 1)"
            let extractor = network.extractor
            var names: [String] = [], values: [Float] = [], records: [String: CropRecord] = [:]
            var classes: [String: Int] = [:]
            if wantsCAM, let cam = network.cam {
                // One forward pass per crop gives the features, the map and the logits (the CAM
                // model folds the same layers, so the features are the extractor's).
                let feature = extractor.tensorName
                guard cam.model.tensorNames.contains(feature) else {
                    throw StepFailure(step: "deep", reason: "\(spec.model.path): the features' tensor '\(feature)' is not kept beside the Grad-CAM layer")
                }
                for crop in spec.crops {
                    var o = spec.options
                    o.region = crop
                    let (x, rec) = try CropBuilder.build(image: volume, mask: tumour, options: o, height: extractor.inputHeight,
                                                         width: extractor.inputWidth, subject: subject)
                    let out = try cam.model.runBatch(x, outputs: [feature, cam.layer, cam.logits], threads: 1)
                    let v = out[feature]!.data
                    names += DeepFeatureExtractor.names(prefix: spec.name, region: crop.label, count: v.count)
                    values += v
                    records[crop.label] = rec
                    let map = try cam.map(activations: out[cam.layer]!, logits: out[cam.logits]!, targetClass: nil,
                                          outputHeight: x.shape[2], outputWidth: x.shape[3])
                    let meta: [String: MetaValue] = ["GradCAMLayer": .string(cam.layer), "GradCAMClass": map.targetClass.map { .integer($0) } ?? .null,
                                                     "GradCAMModel": .string(spec.model.lastPathComponent)]
                    let (png, mapBytes) = try CAMFiles.cache(
                        map, image: volume, record: rec, metadata: meta,
                        png: files.deepCAMCacheFile(caseID: caseID, modality: modality.name, crop: crop.label, key: key),
                        nifti: files.deepCAMMapCacheFile(caseID: caseID, modality: modality.name, crop: crop.label, key: key))
                    try placeCAM(png: png, map: mapBytes, crop: crop.label)
                    classes[crop.label] = map.targetClass
                }
            } else {
                let result = try DeepCaseFeatures.compute(image: volume, mask: tumour, regions: spec.crops, options: spec.options,
                                                          extractor: extractor, prefix: spec.name, subject: subject, threads: 1)
                (names, values, records) = (result.names, result.values, result.crops)
            }
            let record = DeepCaseRecord(key: key, names: names, values: values, crops: records, camClasses: classes)
            try StudyFiles.write(try StudyFiles.json(record), to: files.deepCacheFile(caseID: caseID, modality: modality.name, reader: reader, key: key))
            return record
        } catch {
            throw failure(error)
        }
    }
}
