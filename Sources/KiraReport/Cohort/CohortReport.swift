import Foundation
import KiraCore
import KiraLearn

/// The cohort report of one study run: discrimination (ROC per set with AUC and DeLong 95% CI,
/// the model comparison), calibration, decision curves, Kaplan–Meier by predicted group with
/// numbers at risk and log-rank p, the ICC distribution with the features kept and dropped,
/// Table 1 and a clinical logistic model when a clinical table is given, and the run's
/// settings and provenance.
public struct CohortReport: Sendable {
    /// The clinical table (the study's cohort CSV) for Table 1 and the clinical model.
    public struct Clinical: Sendable {
        public var table: CSVTable
        public var idColumn: String
        /// Table 1 is grouped by this column (the study's split column) and by predicted group.
        public var groupColumn: String?
        public var variables: [(name: String, kind: BaselineTable.Kind)]
        /// Predictors of the clinical model (numeric, or categorical: one 0/1 column per level
        /// after the first).
        public var predictors: [String]
        public init(table: CSVTable, idColumn: String, groupColumn: String?, variables: [(name: String, kind: BaselineTable.Kind)], predictors: [String]) {
            self.table = table; self.idColumn = idColumn; self.groupColumn = groupColumn; self.variables = variables; self.predictors = predictors
        }
    }

    public var results: StudyResults
    public var clinical: Clinical?
    public var title: String

    public init(results: StudyResults, clinical: Clinical? = nil, title: String? = nil) {
        self.results = results; self.clinical = clinical
        self.title = title ?? "Kira cohort report: \(results.summary?.studyFile ?? results.directory.lastPathComponent)"
    }

    static let setNames = ["train": "training (cross-validated)", "internal": "internal validation", "external": "external validation"]
    static func setName(_ s: String) -> String { setNames[s] ?? s }

    /// The page, and the problems it lists (empty: everything needed was there).
    public func page(created: Date? = Date()) -> ReportPage {
        var page = ReportPage(title: title, subtitle: subtitle, created: created)
        page.problems = results.problems
        page.sections.append(overview())
        page.sections.append(discrimination())
        page.sections.append(calibration())
        page.sections.append(decisionCurves())
        page.sections.append(explanations())
        if let l = lasso() { page.sections.append(l) }
        if let s = survival() { page.sections.append(s) }
        if let r = reliability() { page.sections.append(r) }
        if let clinical {
            var problems: [String] = []
            page.sections.append(tableOne(clinical, problems: &problems))
            if !clinical.predictors.isEmpty { page.sections.append(clinicalModel(clinical, problems: &problems)) }
            page.problems += problems
        }
        return page
    }

    var subtitle: String {
        guard let s = results.summary else { return results.directory.path }
        return "\(s.cohort.cases) cases (\(StudyResults.splits.compactMap { k in s.cohort.splits[k].map { "\(Self.setName(k)) \($0)" } }.joined(separator: ", "))); high Ki-67: \(s.cohort.labelRule); best model \(s.best.model)"
    }

    /// The evaluation of one set at the model's threshold, as `kira evaluate --cutoff` gives it.
    func evaluation(_ split: String) -> Evaluation? {
        guard let (p, y) = results.scored(split), y.contains(true), y.contains(false) else { return nil }
        return try? Evaluation(probabilities: p, labels: y, threshold: results.metrics?.threshold ?? results.summary?.best.threshold)
    }

    var evaluated: [(split: String, e: Evaluation)] {
        StudyResults.splits.compactMap { s in evaluation(s).map { (s, $0) } }
    }

    func overview() -> ReportPage.Section {
        var s = ReportPage.Section(id: "overview", heading: "Study and provenance")
        var rows: [ReportPage.Row] = []
        if let sum = results.summary {
            rows.append(.init(texts: ["Study file", sum.studyFile]))
            rows.append(.init(texts: ["Settings hash", sum.studyHash]))
            rows.append(.init(texts: ["Kira version (run)", sum.kiraVersion]))
            rows.append(.init(texts: ["Kira version (report)", KiraVersion.current]))
            rows.append(.init(texts: ["High Ki-67", sum.cohort.labelRule]))
            rows.append(.init(texts: ["Best model", "\(sum.best.model) (\(sum.best.rule))"]))
            rows.append(.init([.init("Threshold"), .init(ReportNumber.fixed(sum.best.threshold, 3), key: "threshold")]))
            rows.append(.init(texts: ["Threshold rule", sum.best.thresholdRule]))
            rows.append(.init(texts: ["Selected features", sum.best.selectedFeatures.joined(separator: ", ")]))
        }
        rows.append(.init(texts: ["Results folder", results.directory.lastPathComponent]))
        s.tables.append(.init(id: "provenance", caption: "Run settings and provenance", header: ["Item", "Value"], rows: rows))
        if let sum = results.summary {
            let setRows = StudyResults.splits.compactMap { k -> ReportPage.Row? in
                guard let n = sum.cohort.splits[k] else { return nil }
                let pos = sum.cohort.positives[k] ?? 0
                return .init(texts: [Self.setName(k), "\(n)", "\(pos) (\(ReportNumber.fixed(100 * Double(pos) / Double(max(n, 1)), 1))%)"])
            }
            s.tables.append(.init(id: "sets", caption: "Cases per set", header: ["Set", "Cases", "High Ki-67"], rows: setRows))
        }
        return s
    }

    func discrimination() -> ReportPage.Section {
        var s = ReportPage.Section(id: "discrimination", heading: "Discrimination",
                                   intro: "ROC curves of the chosen model per set; AUC with DeLong's 95% confidence interval. Training-set curves use out-of-fold cross-validated probabilities.")
        var plot = Plot(title: "ROC: \(results.summary?.best.model ?? results.metrics?.best ?? "model")", xLabel: "1 − specificity",
                        yLabel: "Sensitivity", x: NiceScale(0, 1, maxTicks: 6), y: NiceScale(0, 1, maxTicks: 6))
        plot.marks.append(.reference(from: (0, 0), to: (1, 1)))
        for (k, (split, e)) in evaluated.enumerated() {
            let (p, y) = results.scored(split)!
            let roc = ROCCurve(scores: p, labels: y)
            plot.series.append(.init("\(Self.setName(split)): AUC \(ReportNumber.fixed(e.auc, 3)) (\(ReportNumber.interval(e.aucCI95, 3)))"))
            plot.marks.append(.line(Array(zip(roc.fpr, roc.tpr)), series: k))
        }
        s.figures.append(.init(id: "roc", caption: "ROC curves per set. Legend: AUC (95% CI, DeLong).", svg: plot.svg()))
        // The comparison: every candidate's cross-validated metrics, then the chosen model per set.
        var rows: [ReportPage.Row] = []
        let header = ["Model", "Set", "n", "AUC", "95% CI", "Accuracy", "Sensitivity", "Specificity", "F1"]
        func row(_ model: String, _ set: String, _ e: Evaluation, key: String) -> ReportPage.Row {
            .init([.init(model), .init(set), .init("\(e.n)"), .init(ReportNumber.fixed(e.auc), key: "auc:\(key)", value: e.auc),
                   .init(ReportNumber.interval(e.aucCI95), key: "auc_ci:\(key)"), .init(ReportNumber.fixed(e.accuracy)),
                   .init(ReportNumber.fixed(e.sensitivity)), .init(ReportNumber.fixed(e.specificity)), .init(ReportNumber.fixed(e.f1))])
        }
        for m in results.metrics?.models ?? [] {
            rows.append(row(m.model, "training CV (mean AUC \(ReportNumber.fixed(m.aucMean)) ± \(ReportNumber.fixed(m.aucSD)))", m.cv, key: "cv:\(m.model)"))
        }
        let best = results.summary?.best.model ?? results.metrics?.best ?? "model"
        for (split, e) in evaluated { rows.append(row(best, Self.setName(split), e, key: split)) }
        s.tables.append(.init(id: "model-comparison", caption: "Model comparison (class metrics at the frozen threshold \(ReportNumber.fixed(results.metrics?.threshold ?? results.summary?.best.threshold, 3)))",
                              header: header, rows: rows))
        if evaluated.isEmpty { s.notes.append("No set has both classes among labelled predictions: no ROC curve.") }
        return s
    }

    func calibration() -> ReportPage.Section {
        var s = ReportPage.Section(id: "calibration", heading: "Calibration",
                                   intro: "Observed fraction of high Ki-67 against mean predicted probability in ten equal-width bins; the dotted diagonal is perfect calibration.")
        var plot = Plot(title: "Calibration", xLabel: "Predicted probability", yLabel: "Observed fraction high",
                        x: NiceScale(0, 1, maxTicks: 6), y: NiceScale(0, 1, maxTicks: 6))
        plot.legendAtBottom = true
        plot.marks.append(.reference(from: (0, 0), to: (1, 1)))
        var rows: [ReportPage.Row] = []
        for (k, (split, e)) in evaluated.enumerated() {
            guard let c = e.calibration else { continue }
            let pts = c.curve.filter { $0.count > 0 }.map { ($0.meanPredicted, $0.observed) }
            plot.series.append(.init(Self.setName(split)))
            plot.marks.append(.line(pts, series: k))
            plot.marks.append(.points(pts, series: k))
            rows.append(.init([.init(Self.setName(split)), .init(ReportNumber.fixed(c.slope), key: "cal_slope:\(split)", value: c.slope),
                               .init(ReportNumber.fixed(c.intercept)), .init(ReportNumber.fixed(e.brier), key: "brier:\(split)"),
                               .init(ReportNumber.fixed(c.hosmerLemeshow.statistic, 2)), .init(ReportNumber.p(c.hosmerLemeshow.p))]))
        }
        s.figures.append(.init(id: "calibration-curve", caption: "Calibration curves per set.", svg: plot.svg()))
        s.tables.append(.init(id: "calibration-table", caption: "Calibration", header: ["Set", "Slope", "Intercept", "Brier", "Hosmer–Lemeshow χ²", "p"], rows: rows))
        return s
    }

    func decisionCurves() -> ReportPage.Section {
        var s = ReportPage.Section(id: "decision-curves", heading: "Decision curves",
                                   intro: "Net benefit of acting on the model's prediction against treating everyone or no one, over threshold probabilities.")
        for (split, e) in evaluated {
            let d = e.decisionCurve
            let all = d.model + d.treatAll + d.treatNone
            let lo = max(-0.1, min(0, all.filter(\.isFinite).min() ?? 0))
            let hi = max(0.05, all.filter(\.isFinite).max() ?? 0.1)
            var plot = Plot(title: "Decision curve: \(Self.setName(split))", xLabel: "Threshold probability", yLabel: "Net benefit",
                            x: NiceScale(0, 1, maxTicks: 6), y: NiceScale(lo, hi, maxTicks: 6))
            plot.legendAtBottom = false
            plot.series = [.init("model"), .init("treat all"), .init("treat none")]
            plot.marks.append(.line(Array(zip(d.thresholds, d.model)), series: 0))
            plot.marks.append(.line(Array(zip(d.thresholds, d.treatAll)), series: 1))
            plot.marks.append(.line(Array(zip(d.thresholds, d.treatNone)), series: 2))
            s.figures.append(.init(id: "dca-\(split)", caption: "Decision curve, \(Self.setName(split)) (n = \(e.n)).", svg: plot.svg()))
        }
        return s
    }

    func survival() -> ReportPage.Section? {
        guard let sv = results.survival else { return nil }
        var s = ReportPage.Section(id: "survival", heading: "Survival by predicted Ki-67 group",
                                   intro: "Kaplan–Meier estimates with 95% confidence bands; groups split at \(ReportNumber.fixed(sv.cutoff, 3)) (\(sv.cutoffRule)).")
        var rows: [ReportPage.Row] = []
        for split in StudyResults.splits {
            guard let sp = sv.splits[split] else { continue }
            let names = ["high", "low"].filter { sp.groups[$0] != nil }
            let maxT = names.compactMap { sp.groups[$0]?.timeline.last }.max() ?? 1
            let pText = sp.logRankP.map { ", log-rank p \(ReportNumber.p($0).hasPrefix("<") ? ReportNumber.p($0) : "= " + ReportNumber.p($0))" } ?? ""
            var plot = Plot(title: "Kaplan–Meier: \(Self.setName(split))\(pText)", xLabel: "Months", yLabel: "Disease-free survival",
                            x: NiceScale(0, maxT, maxTicks: 7), y: NiceScale(0, 1, maxTicks: 6))
            plot.legendAtBottom = true
            for (k, name) in names.enumerated() {
                let g = sp.groups[name]!
                plot.series.append(.init("\(name) Ki-67 predicted (n = \(g.n), \(g.events) events)"))
                plot.marks.append(.band(x: g.timeline, lower: g.lower, upper: g.upper, series: k, stepped: true))
                plot.marks.append(.step(Array(zip(g.timeline, g.survival)), series: k))
                let ticks = plot.xScale.ticks
                plot.belowAxis.append((name, ticks.map { t in (t, "\(Self.atRisk(g, at: t))") }))
            }
            s.figures.append(.init(id: "km-\(split)", caption: "Kaplan–Meier curves, \(Self.setName(split)); numbers at risk below the axis.", svg: plot.svg()))
            rows.append(.init([.init(Self.setName(split)), .init("\(sp.n)"), .init(ReportNumber.p(sp.logRankP), key: "logrank_p:\(split)", value: sp.logRankP),
                               .init(ReportNumber.fixed(sp.hazardRatio, 2)), .init(ReportNumber.interval(sp.hazardRatioCI95, 2)),
                               .init(ReportNumber.p(sp.coxP)), .init(sp.note ?? "")]))
        }
        s.tables.append(.init(id: "survival-table", caption: "Log-rank test and Cox hazard ratio (high against low)",
                              header: ["Set", "n", "Log-rank p", "HR", "95% CI", "Cox p", "Note"], rows: rows))
        return s
    }

    /// Subjects still at risk at time t: those whose time is at least t.
    static func atRisk(_ g: StudyResults.Survival.Group, at t: Double) -> Int {
        guard let k = g.timeline.firstIndex(where: { $0 >= t }) else { return 0 }
        return g.atRisk[k]
    }

    func reliability() -> ReportPage.Section? {
        guard let icc = results.icc, !icc.isEmpty else { return nil }
        let form = results.summary?.reproducibility.form ?? "ICC"
        let minimum = results.summary?.reproducibility.min
        var s = ReportPage.Section(id: "reliability", heading: "Inter-reader reliability",
                                   intro: "\(form) of each feature between the two readers' masks; features below \(ReportNumber.fixed(minimum, 2)) are dropped before modelling.")
        let bins = 20
        var kept = [Double](repeating: 0, count: bins), dropped = kept
        for r in icc {
            guard let v = r.icc, v.isFinite else { continue }
            let b = min(bins - 1, max(0, Int((max(0, v)) * Double(bins))))
            if r.kept { kept[b] += 1 } else { dropped[b] += 1 }
        }
        let top = max(kept.max() ?? 1, dropped.max() ?? 1)
        var plot = Plot(title: "\(form) distribution", xLabel: form, yLabel: "Features", x: NiceScale(0, 1, maxTicks: 6), y: NiceScale(0, top, maxTicks: 6))
        plot.legendAtBottom = false
        plot.series = [.init("kept"), .init("dropped")]
        let w = 1.0 / Double(bins)
        plot.marks.append(.bars((0..<bins).map { (Double($0) * w + w * 0.3, kept[$0]) }, width: w * 0.45, series: 0))
        plot.marks.append(.bars((0..<bins).map { (Double($0) * w + w * 0.7, dropped[$0]) }, width: w * 0.45, series: 1))
        if let minimum { plot.marks.append(.reference(from: (minimum, 0), to: (minimum, top))) }
        s.figures.append(.init(id: "icc-histogram", caption: "Features per ICC bin (width 0.05), kept and dropped; dotted line: the minimum.", svg: plot.svg()))
        var rows: [ReportPage.Row] = []
        for m in Array(Set(icc.map(\.modality))).sorted() {
            let rs = icc.filter { $0.modality == m }
            rows.append(.init([.init(m), .init("\(rs.count)"), .init("\(rs.filter(\.kept).count)", key: "icc_kept:\(m)"),
                               .init("\(rs.filter { !$0.kept }.count)", key: "icc_dropped:\(m)")]))
        }
        s.tables.append(.init(id: "icc-table", caption: "Features kept and dropped per modality", header: ["Modality", "Features", "Kept", "Dropped"], rows: rows))
        s.notes = results.summary?.reproducibility.notes ?? []
        return s
    }
}
