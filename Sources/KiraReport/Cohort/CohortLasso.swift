import Foundation
import KiraCore
import KiraLearn

/// The LASSO section of the cohort report: the coefficient paths and the inner
/// cross-validation curve of the frozen model's LASSO step, reproduced from the training rows.
extension CohortReport {
    func lasso() -> ReportPage.Section? {
        let modelURL = results.directory.appendingPathComponent("model.json")
        let featuresURL = results.directory.appendingPathComponent("features.csv")
        guard let model = try? ModelFile.read(modelURL), model.pipeline.steps.contains(where: { $0.kind == .lasso }) else { return nil }
        var s = ReportPage.Section(id: "lasso", heading: "LASSO selection",
                                   intro: "L1-logistic coefficient paths of the features reaching the LASSO step, and its inner cross-validation curve (mean held-out log-loss ± SE); dotted lines: the minimum and the chosen λ.")
        do {
            guard let train = results.predictions["train"] else { throw KiraError.invalidData("no predictions_train.csv: the training rows are unknown") }
            let labels = Dictionary(uniqueKeysWithValues: train.compactMap { p in p.label.map { (p.id, $0) } })
            let table = try FeatureTable.load([featuresURL], idColumn: "id")
            let rows = table.ids.indices.filter { labels[table.ids[$0]] != nil }
            let x = try table.columns(for: model.pipeline.inputFeatures, source: featuresURL.path).selecting(rows: rows)
            let data = LabeledData(ids: rows.map { table.ids[$0] }, featureNames: model.pipeline.inputFeatures, x: x,
                                   y: rows.map { labels[table.ids[$0]]! })
            guard let c = try LassoCurve.reproduce(spec: model.spec, fitted: model.pipeline, training: data) else {
                s.notes.append("The LASSO step had no path (no feature with a non-zero gradient, or too few cases per class).")
                return s
            }
            let logL = c.lambdas.map { log10($0) }
            // Paths: every feature non-zero somewhere on the path, the 12 with the largest |coefficient| at the end drawn.
            let ever = c.features.indices.filter { j in c.coefficients.contains { $0[j] != 0 } }
            let drawn = ever.sorted { abs(c.coefficients.last![$0]) > abs(c.coefficients.last![$1]) }.prefix(12)
            let all = drawn.flatMap { j in c.coefficients.map { $0[j] } }
            var paths = Plot(title: "LASSO coefficient paths", xLabel: "log10 λ", yLabel: "Coefficient",
                             x: NiceScale(logL.min()!, logL.max()!, maxTicks: 6, exact: true), y: NiceScale(min(0, all.min() ?? 0), max(0, all.max() ?? 1), maxTicks: 6))
            paths.legendAtBottom = false
            for (k, j) in drawn.enumerated() {
                paths.marks.append(.line(Array(zip(logL, c.coefficients.map { $0[j] })), series: k))
            }
            let chosen = logL[c.chosenIndex], best = logL[c.minIndex]
            paths.marks.append(.reference(from: (chosen, paths.yScale.lower), to: (chosen, paths.yScale.upper)))
            s.figures.append(.init(id: "lasso-paths", caption: "Coefficient paths (standardised inputs) of the \(drawn.count) features with the largest final coefficients; \(ever.count) reach a non-zero value.", svg: paths.svg()))
            let lo = zip(c.meanLogLoss, c.seLogLoss).map { $0 - $1 }, hi = zip(c.meanLogLoss, c.seLogLoss).map { $0 + $1 }
            var cv = Plot(title: "LASSO cross-validation", xLabel: "log10 λ", yLabel: "Held-out log-loss",
                          x: NiceScale(logL.min()!, logL.max()!, maxTicks: 6, exact: true), y: NiceScale(lo.min()!, hi.max()!, maxTicks: 6))
            cv.marks.append(.band(x: logL, lower: lo, upper: hi, series: 0, stepped: false))
            cv.marks.append(.line(Array(zip(logL, c.meanLogLoss)), series: 0))
            cv.marks.append(.points(Array(zip(logL, c.meanLogLoss)), series: 0))
            cv.marks.append(.reference(from: (best, cv.yScale.lower), to: (best, cv.yScale.upper)))
            cv.marks.append(.reference(from: (chosen, cv.yScale.lower), to: (chosen, cv.yScale.upper)))
            s.figures.append(.init(id: "lasso-cv", caption: "Inner \(c.lambdas.count)-λ cross-validation; chosen: \(c.rule).", svg: cv.svg()))
            s.tables.append(.init(id: "lasso-table", caption: "Chosen λ and features", header: ["Item", "Value"], rows: [
                .init([.init("λ (chosen)"), .init(String(format: "%.4g", c.lambdas[c.chosenIndex]), key: "lasso_lambda", value: c.lambdas[c.chosenIndex])]),
                .init([.init("Rule"), .init(c.rule)]),
                .init([.init("Selected features"), .init(c.selected.joined(separator: ", "), key: "lasso_selected")]),
            ]))
            if let step = model.pipeline.steps.first(where: { $0.kind == .lasso }), step.fallback == nil, step.outputNames != c.selected {
                s.notes.append("The reproduced path selects other features than the frozen model's LASSO step (\(step.outputNames.joined(separator: ", "))).")
            }
        } catch {
            s.notes.append("No LASSO curves: \((error as? KiraError)?.description ?? "\(error)")")
        }
        return s
    }
}
