import Foundation
import KiraCore
import KiraDICOM
import KiraDICOMExport
import KiraIO
import KiraLearn
import KiraPACS
import KiraRadiomics
import KiraReport
import Logging

/// `export: {seg: true, sr: true, pdf: true}`: which DICOM objects a run writes per case and
/// modality (SEG, SR) and per case (the case's study report as an Encapsulated PDF).
/// The report references the SEG's segments, so `sr: true` writes the SEG as well.
public struct StudyExportSpec: Sendable, Equatable {
    public var seg: Bool
    public var sr: Bool
    public var pdf: Bool
    public init(seg: Bool = false, sr: Bool = false, pdf: Bool = false) { self.seg = seg; self.sr = sr; self.pdf = pdf }
    public var any: Bool { seg || sr || pdf }

    static func parse(_ v: ConfigValue, _ r: StudyReader) throws -> StudyExportSpec {
        let m = try r.map(v, "export", known: ["seg", "sr", "pdf"], what: "a mapping {seg: true, sr: true, pdf: true}")
        func flag(_ key: String) throws -> Bool {
            guard let x = r.value(m, key) else { return false }
            guard case let .bool(b) = x else { throw r.fail("export.\(key)", "expected true or false, got \(x.display)") }
            return b
        }
        return StudyExportSpec(seg: try flag("seg"), sr: try flag("sr"), pdf: try flag("pdf"))
    }

    /// `destination: {pacs: {host, port, aet, calling_aet}}`.
    static func destination(_ v: ConfigValue, _ r: StudyReader) throws -> PACSNode {
        let m = try r.map(v, "destination", known: ["pacs"], what: "a mapping {pacs: {host, port, aet, calling_aet}}")
        return try StudySource.node(try r.required(m, "pacs", "destination"), "destination.pacs", r)
    }
}

/// The export stage of `kira study run`, after the analysis: for each case and modality whose
/// image is a DICOM series and whose primary reader's branch succeeded, a SEG of the study's
/// regions (tumour, rings, habitats; labels = the feature prefixes) on the source grid, and a
/// TID 1500 report of that branch's features with the case's prediction. Each object is keyed
/// by what decides it (the branch key; for the report also the SEG's bytes and the
/// prediction) and kept when the key recorded in the ledger is unchanged. Then, with a
/// destination, every case's objects are sent over one association per case.
struct ExportStage {
    var study: StudySpec
    var cohort: StudyCohort
    var files: StudyFiles
    var ledger: RunLedger
    var logger: Logger

    struct Outcome {
        var written = 0
        var reused = 0
        var sent = 0
        var failures: [StudyFailure] = []
    }

    func run(features: [CaseFeatures]) throws -> Outcome {
        var out = Outcome()
        let previous = try ledger.entries()
        let predictions = readPredictions()
        var perCase: [(caseID: String, files: [URL])] = []
        let reports = study.export.pdf ? CaseReportPDF(study: study, files: files, logger: logger) : nil
        for c in cohort.cases {
            var ready: [URL] = []
            for m in study.modalities where study.export.seg || study.export.sr {
                guard let image = c.images[m.name] ?? nil, CaseImage.isDICOM(image),
                      let mask = (c.masks[m.name] ?? []).first ?? nil,
                      let x = features.first(where: { $0.caseID == c.id && $0.modality == m.name && $0.reader == 0 })
                else { continue }
                var step = "export-seg"
                do {
                    let segURL = files.dicomObject(caseID: c.id, modality: m.name, kind: "seg")
                    let segKey = FeatureOutput.hash(Data("seg\n\(x.key)\n\(KiraVersion.current)\n".utf8))
                    var series: DICOMSeries?
                    func source() throws -> DICOMSeries {
                        if let series { return series }
                        do { series = try SegmentationExport.sourceSeries(image, logger: logger) } catch let e as KiraError {
                            throw StepFailure(step: step, reason: e.description)
                        }
                        return series!
                    }
                    if unchanged(previous, step, c.id, m.name, key: segKey, url: segURL) {
                        try record(step, c.id, m.name, "reused", key: segKey, url: segURL)
                        out.reused += 1
                    } else {
                        try writeSEG(case: c.id, modality: m, image: image, mask: mask, series: try source(), to: segURL)
                        try record(step, c.id, m.name, "done", key: segKey, url: segURL)
                        out.written += 1
                    }
                    ready.append(segURL)
                    guard study.export.sr else { continue }
                    step = "export-sr"
                    let srURL = files.dicomObject(caseID: c.id, modality: m.name, kind: "sr")
                    let p = predictions[c.id]
                    let pText = p.map { "\($0.probability) \($0.highClass)" } ?? "none"
                    let srKey = FeatureOutput.hash(Data("sr\n\(x.key)\n\(try FeatureOutput.fileHash(segURL))\n\(pText)\n\(KiraVersion.current)\n".utf8))
                    if unchanged(previous, step, c.id, m.name, key: srKey, url: srURL) {
                        try record(step, c.id, m.name, "reused", key: srKey, url: srURL)
                        out.reused += 1
                    } else {
                        try writeSR(x, seg: segURL, series: try source(), prediction: p, to: srURL)
                        try record(step, c.id, m.name, "done", key: srKey, url: srURL)
                        out.written += 1
                    }
                    ready.append(srURL)
                } catch {
                    let reason = (error as? StepFailure)?.reason ?? (error as? KiraError)?.description ?? "\(error)"
                    logger.warning("\(c.id) \(m.name): \(step) failed: \(reason)")
                    try? record(step, c.id, m.name, "failed", key: nil, url: nil, error: reason)
                    out.failures.append(StudyFailure(caseID: c.id, modality: m.name, reader: "1", step: step, reason: reason))
                }
            }
            if let reports {
                do {
                    let (url, key, reused) = try reports.export(c, previous: previous, unchanged: unchanged)
                    try record(CaseReportPDF.step, c.id, "", reused ? "reused" : "done", key: key, url: url)
                    if reused { out.reused += 1 } else { out.written += 1 }
                    ready.append(url)
                } catch {
                    let reason = (error as? StepFailure)?.reason ?? (error as? KiraError)?.description ?? "\(error)"
                    logger.warning("\(c.id): \(CaseReportPDF.step) failed: \(reason)")
                    try? record(CaseReportPDF.step, c.id, "", "failed", key: nil, url: nil, error: reason)
                    out.failures.append(StudyFailure(caseID: c.id, modality: "", reader: "", step: CaseReportPDF.step, reason: reason))
                }
            }
            if !ready.isEmpty { perCase.append((c.id, ready)) }
        }
        logger.info("export: \(out.written) DICOM object(s) written, \(out.reused) unchanged, \(out.failures.count) failed")
        if let node = study.destination {
            for (caseID, objects) in perCase {
                do {
                    let stored = try PACS.store(files: objects, to: node, logger: logger)
                    out.sent += stored
                    guard stored == objects.count else {
                        throw KiraError.invalidData("\(node) stored \(stored) of \(objects.count) object(s)")
                    }
                    logger.info("\(caseID): \(objects.count) object(s) sent to \(node)")
                } catch {
                    let reason = "\(error)"
                    logger.error("\(caseID): not sent to \(node): \(reason)")
                    out.failures.append(StudyFailure(caseID: caseID, modality: "", reader: "", step: "send", reason: reason))
                }
            }
        }
        var f = CSVWriter(header: ["case", "modality", "reader", "step", "reason"])
        for x in out.failures { f.append([x.caseID, x.modality, x.reader, x.step, x.reason]) }
        try StudyFiles.write(Data(f.text.utf8), to: files.exportFailures)
        return out
    }

    private func unchanged(_ previous: [RunLedger.Entry], _ step: String, _ caseID: String, _ modality: String, key: String, url: URL) -> Bool {
        guard FileManager.default.fileExists(atPath: url.path) else { return false }
        return previous.contains { $0.step == step && $0.caseID == caseID && $0.modality == modality && $0.cacheKey == key
            && ($0.status == "done" || $0.status == "reused") }
    }

    private func record(_ step: String, _ caseID: String, _ modality: String, _ status: String, key: String?, url: URL?, error: String? = nil) throws {
        let now = Date().timeIntervalSince1970
        try ledger.record(.init(step: step, caseID: caseID, modality: modality, reader: "1", status: status, cacheKey: key,
                                output: url?.path, started: now, finished: now, seconds: 0, error: error))
    }

    /// The study's regions on the source series' grid (when the modality is resampled, the
    /// features were computed on the new grid, the SEG keeps the source's).
    private func writeSEG(case caseID: String, modality: ModalitySpec, image: URL, mask: URL, series: DICOMSeries, to url: URL) throws {
        let volume = try CaseImage.read(image, modality: modality, logger: logger)
        let tumour: Volume
        do {
            let labels = try ImageFileReader.readLabels(mask)
            tumour = try MaskReader.mask(from: labels, url: mask, label: nil, matching: volume.geometry, imagePath: image.path)
        } catch let e as KiraError { throw StepFailure(step: "export-seg", reason: e.description) }
        let branch = CaseBranch(study: study, modality: modality, caseID: caseID, reader: 0, image: image, mask: mask)
        var masks: [(prefix: String, mask: Volume)] = []
        for region in study.regions {
            do { masks += try branch.regionMasks(region, image: volume, tumour: tumour) } catch let e as KiraError {
                throw StepFailure(step: "export-seg", reason: "region \(region): \(e.description)")
            }
        }
        try createFolder(url)
        _ = try SegmentationExport.write(series: series, masks: masks.map(\.mask), segments: masks.map { SegmentDefinition.forRegion($0.prefix) },
                                         to: url, maskNames: masks.map { "\(caseID) \(modality.name) region \($0.prefix)" }, logger: logger)
    }

    private func writeSR(_ x: CaseFeatures, seg: URL, series: DICOMSeries, prediction: MeasurementReportExport.Prediction?, to url: URL) throws {
        let table = x.names.indices.map {
            MeasurementReportExport.Feature(name: x.names[$0], tag: x.tags[$0], ibsiCode: x.ibsiCodes[$0], value: x.values[$0],
                                            undefinedReason: x.reasons[$0])
        }
        let groups = try MeasurementReportExport.groups(table, segments: try DICOMSegReader.segments(seg),
                                                        table: "case \(x.caseID) \(x.modality) features")
        let modality = series.summary["Modality"].flatMap { if case let .string(s) = $0 { s } else { nil } } ?? ""
        try createFolder(url)
        _ = try MeasurementReportExport.write(seg: seg, source: series, groups: groups, prediction: prediction, modality: modality,
                                              to: url, logger: logger)
    }

    private func createFolder(_ url: URL) throws {
        let dir = url.deletingLastPathComponent()
        do { try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true) } catch {
            throw KiraError.writeFailed(path: dir.path, reason: error.localizedDescription)
        }
    }

    /// The frozen model's prediction per case, from predictions_<split>.csv (written by this
    /// run's analysis or kept from an earlier one): probability and predicted class.
    private func readPredictions() -> [String: MeasurementReportExport.Prediction] {
        var out: [String: MeasurementReportExport.Prediction] = [:]
        for split in StudyCohort.splits {
            let url = files.predictions(split)
            guard FileManager.default.fileExists(atPath: url.path), let t = try? CSVTable(contentsOf: url),
                  let ids = try? t.strings("id"), let p = try? t.numbers("probability"), let c = try? t.numbers("predicted_high")
            else { continue }
            for i in ids.indices {
                guard let prob = p[i], let cls = c[i] else { continue }
                out[ids[i]] = .init(probability: prob, highClass: cls == 1)
            }
        }
        return out
    }
}

/// `export: {pdf: true}`: each case's study report (results/reports/<case>.html, written by the
/// report stage before export) printed to PDF by headless Chromium and wrapped as an
/// Encapsulated PDF in the study of the case's first DICOM series, every DICOM series of the
/// case among its source instances: dicom/<case>/report.pdf and report_pdf.dcm. Keyed by the
/// report's content (reports/<case>.json), so a rerun keeps both files when nothing shown changed.
struct CaseReportPDF {
    static let step = "export-pdf"
    var study: StudySpec
    var files: StudyFiles
    var logger: Logger
    let chromium = Chromium.find()

    func pdfURL(_ caseID: String) -> URL { files.dicom.appendingPathComponent(caseID).appendingPathComponent("report.pdf") }
    func objectURL(_ caseID: String) -> URL { files.dicom.appendingPathComponent(caseID).appendingPathComponent("report_pdf.dcm") }

    /// The object's URL, its key, and whether the earlier one was kept.
    func export(_ c: StudyCase, previous: [RunLedger.Entry],
                unchanged: ([RunLedger.Entry], String, String, String, String, URL) -> Bool) throws -> (URL, String, Bool) {
        // The report's study is that of the case's DICOM series (its first modality holding one).
        var sources: [DICOMSeries] = []
        for m in study.modalities {
            guard let image = c.images[m.name] ?? nil, CaseImage.isDICOM(image) else { continue }
            do { sources.append(try SegmentationExport.sourceSeries(image, logger: logger)) } catch let e as KiraError {
                throw StepFailure(step: Self.step, reason: "\(m.name): \(e.description)")
            }
        }
        guard !sources.isEmpty else {
            throw StepFailure(step: Self.step, reason: "\(c.id) has no DICOM image, so there is no study to file the report in")
        }
        // The page and JSON the report stage has just written for this case (it runs first).
        let json = files.caseReport(c.id, ext: "json"), page = files.caseReport(c.id, ext: "html")
        guard let shown = FileManager.default.contents(atPath: json.path), FileManager.default.fileExists(atPath: page.path) else {
            throw StepFailure(step: Self.step, reason: "\(c.id): no study report in \(files.reports.path)")
        }
        let object = objectURL(c.id), pdf = pdfURL(c.id)
        let key = FeatureOutput.hash(shown + Data("pdf\n\(KiraVersion.current)\n".utf8))
        if FileManager.default.fileExists(atPath: pdf.path), unchanged(previous, Self.step, c.id, "", key, object) {
            return (object, key, true)
        }
        guard let chromium else { throw StepFailure(step: Self.step, reason: Chromium.missingMessage) }
        do { try FileManager.default.createDirectory(at: object.deletingLastPathComponent(), withIntermediateDirectories: true) } catch {
            throw KiraError.writeFailed(path: object.deletingLastPathComponent().path, reason: error.localizedDescription)
        }
        try AtomicOutput.write(to: pdf) { tmp in try chromium.printPDF(page, to: tmp) }
        let document = try EncapsulatedPDFExport.readPDF(pdf)
        _ = try EncapsulatedPDFExport.write(pdf: document, sources: sources, title: "Kira study report", to: object, logger: logger)
        return (object, key, false)
    }
}
