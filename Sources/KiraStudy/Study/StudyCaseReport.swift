import Foundation
import KiraCore
import KiraDICOM
import KiraIO
import KiraLearn
import KiraQC
import KiraRadiomics
import KiraReport
import Logging

/// Builds one case's study report from the study file, the case's row, the model file and the
/// results folder. Whatever is missing or wrong (a modality the model needs without an image,
/// a model file from another Kira, a mask that does not fit its image) is written into the
/// report as a problem rather than stopping it; the caller exits non-zero when there are any.
public struct StudyCaseReport {
    public var study: StudySpec
    public var logger: Logger
    /// Copy patient-identifying DICOM attributes into the report (off by default).
    public var keepPHI = false

    public init(study: StudySpec, logger: Logger, keepPHI: Bool = false) {
        self.study = study; self.logger = logger; self.keepPHI = keepPHI
    }

    /// The attributes shown without --keep-phi: they name the series, not the patient.
    static let seriesKeys = ["Modality", "SeriesDescription", "SeriesNumber", "Manufacturer", "ManufacturersModelName", "ProtocolName"]
    static let identifyingKeys = ["PatientName", "PatientID", "PatientBirthDate", "AccessionNumber", "StudyDate", "StudyID",
                                  "StudyInstanceUID", "SeriesInstanceUID", "InstitutionName"]

    /// `model`: the model file (nil with `modelProblem` when it could not be read).
    /// `probability`: the case's prediction when the caller has it; else it is read from the
    /// results folder's predictions_<split>.csv.
    /// `inputs`: the case's raw model inputs when the caller computed them (`study predict`);
    /// else they are the case's row of the results folder's features.csv.
    public func make(_ c: StudyCase, modelURL: URL, model: ModelFile?, modelProblem: String?, results: URL,
                     probability known: Double? = nil, inputs: [Double]? = nil) -> StudyReport {
        make(c, modelURL: modelURL, model: model, modelProblem: modelProblem, modelHash: try? FeatureOutput.fileHash(modelURL),
             results: results, probability: { known ?? Self.prediction(c, results: results) },
             inputs: {
                 try inputs.map { Matrix(rows: 1, cols: $0.count, values: $0) }
                     ?? Self.inputs(c.id, model: $0, features: results.appendingPathComponent("features.csv"))
             })
    }

    /// The report from what the caller already holds: `kira study run` reads the results
    /// folder's predictions and feature table once for the whole cohort and passes each case
    /// its value and row.
    func make(_ c: StudyCase, modelURL: URL, model: ModelFile?, modelProblem: String?, modelHash: String?, results: URL,
              probability: () -> Double?, inputs: (ModelFile) throws -> Matrix) -> StudyReport {
        var r = StudyReport(caseID: c.id, identifiers: ["case": c.id, "set": c.split])
        r.provenance["kira_version"] = KiraVersion.current
        r.provenance["study_file"] = study.file.lastPathComponent
        r.provenance["settings_hash"] = study.settingsHash
        r.provenance["model_file"] = modelURL.lastPathComponent
        if let modelHash { r.provenance["model_file_hash"] = modelHash }
        if let modelProblem { r.problems.append(modelProblem) }
        if let model, model.kiraVersion != KiraVersion.current {
            r.problems.append("\(modelURL.path): written by Kira \(model.kiraVersion); this is Kira \(KiraVersion.current): retrain or use the matching Kira")
        }
        let needed = Set((model?.pipeline.inputFeatures ?? []).compactMap { name in
            study.modalities.map(\.name).filter { name.hasPrefix($0 + "_") }.max { $0.count < $1.count }
        })
        for m in study.modalities {
            r.images.append(image(c, modality: m, needed: needed.contains(m.name), report: &r))
        }
        if let model {
            r.model = "\(model.pipeline.model.kind) (\(model.training.created))"
            r.threshold = model.pipeline.threshold
            r.probability = probability()
            if r.probability == nil { r.problems.append("\(c.id): no prediction in \(results.path)/predictions_\(c.split).csv") }
            r.predictedHigh = r.probability.map { $0 >= model.pipeline.threshold }
            if study.modalities.contains(where: { $0.deep?.cam == true }) {
                r.camNote = DecisionCAMStage.noGradient(model.pipeline.model).map { "The frozen model has no decision map: \($0)." }
            }
            do {
                let raw = try inputs(model)
                let shap = try Self.contributions(raw, model: model)
                r.contributions = Array(shap.values.sorted { abs($0.value) > abs($1.value) }.prefix(10))
                r.contributionScale = shap.scale
            } catch {
                r.problems.append("SHAP: \((error as? KiraError)?.description ?? "\(error)")")
            }
        }
        if study.modalities.contains(where: { $0.deep?.cam == true }) { r.cams = Self.cams(c.id, study: study, results: results) }
        return r
    }

    /// The crops' Grad-CAM overlays in results/deep/<case>/: the decision map where there is
    /// one, else the network's top-class map.
    static func cams(_ id: String, study: StudySpec, results: URL) -> [StudyReport.CAM] {
        let files = StudyFiles(root: results)
        var out: [StudyReport.CAM] = []
        for m in study.modalities {
            guard let d = m.deep, d.cam else { continue }
            for crop in d.crops {
                let decision = (files.decisionCAM(caseID: id, modality: m.name, crop: crop.label, ext: "png"),
                                files.decisionCAM(caseID: id, modality: m.name, crop: crop.label, ext: "nii.gz"), "decision")
                let top = (files.deepCAM(caseID: id, modality: m.name, crop: crop.label),
                           files.deepCAMMap(caseID: id, modality: m.name, crop: crop.label), "top class")
                for (png, map, target) in [decision, top] {
                    guard let data = FileManager.default.contents(atPath: png.path) else { continue }
                    out.append(.init(modality: m.name, crop: crop.label, target: target, overlayFile: "deep/\(id)/\(png.lastPathComponent)",
                                     mapFile: "deep/\(id)/\(map.lastPathComponent)", overlay: "data:image/png;base64," + data.base64EncodedString()))
                    break
                }
            }
        }
        return out
    }

    func image(_ c: StudyCase, modality m: ModalitySpec, needed: Bool, report r: inout StudyReport) -> StudyReport.Image {
        let readers = (c.masks[m.name] ?? []).enumerated().compactMap { k, u in u.map { ("reader \(k + 1)", $0) } }
        var im = StudyReport.Image(modality: m.name, source: "", layers: readers.map(\.0))
        guard let url = c.images[m.name] ?? nil else {
            let what = "\(c.id): no \(m.name) image (column \(m.imageColumn) is empty)"
            im.problem = what
            if needed { r.problems.append("\(what); the model needs \(m.name) features") }
            return im
        }
        im.source = url.lastPathComponent
        if let h = try? FeatureOutput.fileHash(url) { r.provenance["input_hash:\(m.name)"] = h }
        let volume: Volume
        do {
            volume = try CaseImage.read(url, modality: m, logger: logger, keepPHI: keepPHI)
        } catch {
            let what = "\(m.name): \(error)"
            im.problem = what
            if needed { r.problems.append(what) } else { r.qc.append(.init(check: "\(m.name) image", status: "warning", detail: what)) }
            return im
        }
        for key in Self.seriesKeys + (keepPHI ? Self.identifyingKeys : []) {
            if let v = volume.metadata[key], let text = Self.text(v) { r.identifiers["\(m.name).\(key)"] = text }
        }
        var layers: [Overlay.Layer] = []
        var masks: [Volume] = []
        for (name, mask) in readers {
            r.provenance["input_hash:\(m.name).\(name.replacingOccurrences(of: " ", with: ""))"] = (try? FeatureOutput.fileHash(mask)) ?? "unreadable"
            do {
                let labels = try ImageFileReader.readLabels(mask)
                let qc = try SegmentationQC.check(image: volume.geometry, mask: labels, minVoxels: 64)
                if let g = qc.findings.first(where: { $0.check == .gridMismatch }) {
                    let what = "\(m.name) \(name): the mask \(mask.lastPathComponent) does not fit its image: \(g.message)"
                    r.qc.append(.init(check: "\(m.name) geometry (\(name))", status: "fail", detail: g.message))
                    r.problems.append(what)
                    continue
                }
                r.qc.append(.init(check: "\(m.name) geometry (\(name))", status: "ok", detail: "mask on the image grid"))
                for f in qc.findings {
                    r.qc.append(.init(check: "\(m.name) \(f.check.rawValue) (\(name))", status: f.check == .empty ? "fail" : "warning", detail: f.message))
                }
                let binary = try MaskReader.mask(from: labels, url: mask, label: nil, matching: volume.geometry, imagePath: url.path)
                masks.append(binary)
                layers.append(.init(name: name, mask: binary))
            } catch {
                let what = "\(m.name) \(name): \((error as? KiraError)?.description ?? "\(error)")"
                r.qc.append(.init(check: "\(m.name) mask (\(name))", status: "fail", detail: what))
                r.problems.append(what)
            }
        }
        if masks.count >= 2 {
            let d = Self.dice(masks[0], masks[1])
            r.qc.append(.init(check: "\(m.name) reader agreement", status: d >= 0.8 ? "ok" : "warning",
                              detail: "Dice \(String(format: "%.3f", d)) between readers 1 and 2 (warning below 0.80)"))
        }
        do {
            let o = try Overlay(image: volume, layers: layers)
            im.slice = o.slice; im.sliceCount = volume.geometry.size.z; im.roiVoxels = o.voxels; im.areas = o.areas
            im.overlay = try o.dataURI()
            im.layers = layers.map(\.name)
            if !layers.isEmpty {
                r.qc.append(.init(check: "\(m.name) ROI size", status: o.voxels >= 64 ? "ok" : "warning",
                                  detail: "\(o.voxels) voxels (\(layers[0].name); warning below 64)"))
            }
        } catch {
            im.problem = (error as? KiraError)?.description ?? "\(error)"
        }
        return im
    }

    static func text(_ v: MetaValue) -> String? {
        switch v {
        case let .string(s): return s
        case let .integer(i): return String(i)
        case let .number(d): return String(d)
        case let .bool(b): return b ? "yes" : "no"
        case let .array(a): return a.compactMap(text).joined(separator: "\\")
        case .object, .null: return nil
        }
    }

    static func dice(_ a: Volume, _ b: Volume) -> Double {
        var both = 0, na = 0, nb = 0
        for k in 0..<a.geometry.voxelCount {
            let x = a.voxels[k] != 0, y = b.voxels[k] != 0
            if x { na += 1 }; if y { nb += 1 }; if x && y { both += 1 }
        }
        return na + nb == 0 ? 1 : 2 * Double(both) / Double(na + nb)
    }

    static func prediction(_ c: StudyCase, results: URL) -> Double? {
        guard let t = try? CSVTable(contentsOf: results.appendingPathComponent("predictions_\(c.split).csv")),
              let ids = try? t.strings("id"), let p = try? t.numbers("probability"), let k = ids.firstIndex(of: c.id) else { return nil }
        return p[k]
    }

    /// The case's row of the fused feature table, in the model's input order.
    static func inputs(_ id: String, model: ModelFile, features: URL) throws -> Matrix {
        let table = try FeatureTable.load([features], idColumn: "id")
        guard let row = table.ids.firstIndex(of: id) else { throw KiraError.invalidData("\(features.path): no row for case \(id)") }
        return try table.columns(for: model.pipeline.inputFeatures, source: features.path).selecting(rows: [row])
    }

    /// SHAP values of one row of raw model inputs.
    static func contributions(_ raw: Matrix, model: ModelFile) throws -> (values: [StudyReport.Contribution], scale: String) {
        let x = model.pipeline.transform(raw)
        let names = model.pipeline.selectedFeatures
        let shap: ShapExplanation
        if let exact = model.exactSHAP(x) {
            shap = exact
        } else {
            let bg = Matrix(rows: 1, cols: model.inputMean.count, values: model.inputMean)
            shap = try KernelSHAP(seed: 0).explain(model.pipeline.model.probabilities, x: x, background: bg, features: names, output: "probability")
        }
        return (zip(names, shap.values[0]).map { .init(feature: $0, value: $1) }, "SHAP, \(shap.output)")
    }
}
