import Foundation
import KiraCore
import KiraLearn
import KiraRadiomics
import KiraReport
import Logging

/// The per-study reports of `kira study run` and `kira study analyse`: results/reports/<case>.html
/// and <case>.json for every case of the cohort, built in this process from the results just
/// written (the model file, predictions and feature table are read once for the whole cohort,
/// not once per case), cases in parallel. Nothing in a report depends on the clock, and a file
/// whose bytes would not change is left alone, so a rerun with nothing changed leaves them
/// byte-identical. A report that names problems (no prediction, a modality the model needs
/// without an image, a mask off its image) is still written; its problems are listed in
/// reports/problems.csv and make the run partial.
struct CaseReportStage {
    var study: StudySpec
    var cohort: StudyCohort
    var files: StudyFiles
    var jobs: Int
    var logger: Logger

    struct Outcome {
        var written = 0
        var unchanged = 0
        /// One row per problem a report names (step "report").
        var problems: [StudyFailure] = []
    }

    /// What the reports read from the results folder, read once.
    struct Inputs {
        var model: ModelFile?
        var modelProblem: String?
        var modelHash: String?
        /// split → case → probability.
        var predictions: [String: [String: Double]] = [:]
        /// The fused table's rows in the model's input order, or why it could not be read.
        var rows: Result<(index: [String: Int], x: Matrix), KiraError> = .failure(.invalidData("no model"))
    }

    func read() -> Inputs {
        var out = Inputs()
        do { out.model = try ModelFile.read(files.model) } catch { out.modelProblem = (error as? KiraError)?.description ?? "\(error)" }
        out.modelHash = try? FeatureOutput.fileHash(files.model)
        for split in StudyCohort.splits {
            guard let t = try? CSVTable(contentsOf: files.predictions(split)),
                  let ids = try? t.strings("id"), let p = try? t.numbers("probability") else { continue }
            var m: [String: Double] = [:]
            for (id, v) in zip(ids, p) { if let v { m[id] = v } }
            out.predictions[split] = m
        }
        if let model = out.model {
            do {
                let table = try FeatureTable.load([files.fused], idColumn: "id")
                let x = try table.columns(for: model.pipeline.inputFeatures, source: files.fused.path)
                out.rows = .success((Dictionary(table.ids.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a }), x))
            } catch {
                out.rows = .failure((error as? KiraError) ?? .invalidData("\(files.fused.path): \(error)"))
            }
        }
        return out
    }

    func run() throws -> Outcome {
        let dir = files.reports
        do {
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        } catch {
            throw KiraError.writeFailed(path: dir.path, reason: error.localizedDescription)
        }
        let inputs = read()
        let builder = StudyCaseReport(study: study, logger: logger)
        let cases = cohort.cases
        // Each case writes only its own two files; the outcome is gathered in cohort order.
        let results = concurrentMap(cases.count, workers: jobs) { i -> (wrote: Bool, failed: Bool, problems: [String]) in
            let c = cases[i]
            var report = builder.make(
                c, modelURL: files.model, model: inputs.model, modelProblem: inputs.modelProblem, modelHash: inputs.modelHash,
                results: files.root, probability: { inputs.predictions[c.split]?[c.id] },
                inputs: { _ in
                    let (index, x) = try inputs.rows.get()
                    guard let row = index[c.id] else { throw KiraError.invalidData("\(files.fused.path): no row for case \(c.id)") }
                    return x.selecting(rows: [row])
                })
            do {
                let json = try StudyFiles.write(try report.json(), to: files.caseReport(c.id, ext: "json"))
                let html = try StudyFiles.write(Data(report.page(created: nil).html().utf8), to: files.caseReport(c.id, ext: "html"))
                return (json || html, false, report.problems)
            } catch {
                report.problems.append("report not written: \((error as? KiraError)?.description ?? "\(error)")")
                return (false, true, report.problems)
            }
        }
        var out = Outcome()
        var csv = CSVWriter(header: ["case", "problem"])
        for (c, r) in zip(cases, results) {
            if r.wrote { out.written += 1 } else if !r.failed { out.unchanged += 1 }
            for p in r.problems {
                out.problems.append(StudyFailure(caseID: c.id, modality: "", reader: "", step: "report", reason: p))
                csv.append([c.id, p])
            }
        }
        try StudyFiles.write(Data(csv.text.utf8), to: files.reportProblems)
        removeStale(keeping: Set(cases.map(\.id)))
        for c in Set(out.problems.map(\.caseID)).sorted() {
            logger.warning("\(c): its report names \(out.problems.filter { $0.caseID == c }.count) problem(s) (reports/problems.csv)")
        }
        logger.info("reports: \(out.written) written, \(out.unchanged) unchanged, \(Set(out.problems.map(\.caseID)).count) with problems")
        return out
    }

    /// Reports of cases no longer in the cohort: the folder holds this cohort's reports only.
    func removeStale(keeping ids: Set<String>) {
        for name in (try? FileManager.default.contentsOfDirectory(atPath: files.reports.path)) ?? [] {
            let url = files.reports.appendingPathComponent(name)
            guard ["html", "json"].contains(url.pathExtension), !ids.contains(url.deletingPathExtension().lastPathComponent) else { continue }
            try? FileManager.default.removeItem(at: url)
        }
    }
}
