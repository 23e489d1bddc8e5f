import Foundation
import KiraCore
import KiraLearn

/// Table 1 and the clinical logistic model of the cohort report.
extension CohortReport {
    /// Labels (high Ki-67) by case id, from every set's predictions.
    var labels: [String: Bool] {
        var out: [String: Bool] = [:]
        for rows in results.predictions.values { for r in rows { if let l = r.label { out[r.id] = l } } }
        return out
    }

    func tableOne(_ c: Clinical, problems: inout [String]) -> ReportPage.Section {
        var s = ReportPage.Section(id: "table1", heading: "Baseline characteristics (Table 1)",
                                   intro: "Normal variables: mean (SD), Welch's t-test (two groups) or one-way ANOVA; non-normal: median [Q1, Q3], Kruskal–Wallis; categorical: n (%), χ² or Fisher's exact test (2×2 with an expected count below 5). Percentages are of the non-missing values.")
        let ids: [String]
        do { ids = try c.table.strings(c.idColumn) } catch {
            problems.append("clinical table: \(error)")
            return s
        }
        var variables: [BaselineTable.Variable] = []
        for v in c.variables {
            do { variables.append(.init(name: v.name, kind: v.kind, values: try c.table.strings(v.name).map { CSVTable.missingTokens.contains($0) ? nil : $0 })) }
            catch { problems.append("clinical table: \(error)") }
        }
        let lab = labels
        var groupings: [(String, String, [String?])] = []
        if let g = c.groupColumn {
            do { groupings.append(("set", "By set", try c.table.strings(g).map { $0.isEmpty ? nil : $0 })) }
            catch { problems.append("clinical table: \(error)") }
        }
        groupings.append(("ki67", "By Ki-67 group", ids.map { lab[$0].map { $0 ? "high" : "low" } }))
        for (key, caption, group) in groupings {
            do {
                let t = try BaselineTable(groupBy: key, group: group, variables: variables)
                s.tables.append(Self.render(t, id: "table1-\(key)", caption: caption))
            } catch {
                s.notes.append("\(caption): \((error as? KiraError)?.description ?? "\(error)")")
            }
        }
        return s
    }

    static func summaryText(_ sm: BaselineTable.Summary, kind: BaselineTable.Kind) -> String {
        switch kind {
        case .normal: return "\(ReportNumber.fixed(sm.mean, 2)) (\(ReportNumber.fixed(sm.sd, 2)))"
        case .nonnormal: return "\(ReportNumber.fixed(sm.median, 2)) [\(ReportNumber.fixed(sm.q25, 2)), \(ReportNumber.fixed(sm.q75, 2))]"
        case .categorical: return ""
        }
    }

    static func render(_ t: BaselineTable, id: String, caption: String) -> ReportPage.Table {
        var rows: [ReportPage.Row] = []
        rows.append(.init(texts: ["n", "\(t.counts.reduce(0, +))"] + t.counts.map(String.init) + ["", ""]))
        for r in t.rows {
            let test = r.test ?? "not tested"
            let p = ReportPage.Cell(ReportNumber.p(r.p), key: "p:\(id):\(r.name)", value: r.p)
            switch r.kind {
            case .normal, .nonnormal:
                let label = r.kind == .normal ? "\(r.name), mean (SD)" : "\(r.name), median [Q1, Q3]"
                rows.append(.init([.init(label), .init(summaryText(r.overall, kind: r.kind))]
                                  + r.byGroup.map { .init(summaryText($0, kind: r.kind)) } + [.init(test), p]))
            case .categorical:
                rows.append(.init([.init("\(r.name), n (%)"), .init("")] + r.byGroup.map { _ in .init("") } + [.init(test), p], group: true))
                for (k, l) in (r.overall.levels ?? []).enumerated() {
                    func cell(_ sm: BaselineTable.Summary) -> ReportPage.Cell {
                        let lv = sm.levels![k]
                        return .init("\(lv.count) (\(ReportNumber.fixed(lv.percent, 1)))")
                    }
                    rows.append(.init([.init("  \(l.level)"), cell(r.overall)] + r.byGroup.map(cell) + [.init(""), .init("")]))
                }
            }
        }
        return .init(id: id, caption: caption, header: ["Variable", "Overall"] + t.groups + ["Test", "p"], rows: rows)
    }

    /// The design columns of the clinical predictors: numbers as they are, categories as
    /// 0/1 indicators of each level after the first (in string order).
    static func design(_ c: Clinical, rows: [Int]) throws -> (columns: [[Double]], names: [String]) {
        var columns: [[Double]] = [], names: [String] = []
        for name in c.predictors {
            let raw = try c.table.strings(name)
            let values = rows.map { raw[$0] }
            if values.allSatisfy({ Double($0) != nil }) {
                columns.append(values.map { Double($0)! }); names.append(name)
            } else {
                let levels = Array(Set(values)).sorted()
                for l in levels.dropFirst() {
                    columns.append(values.map { $0 == l ? 1 : 0 }); names.append("\(name)=\(l) (vs \(levels[0]))")
                }
            }
        }
        return (columns, names)
    }

    func clinicalModel(_ c: Clinical, problems: inout [String]) -> ReportPage.Section {
        var s = ReportPage.Section(id: "clinical-model", heading: "Clinical model",
                                   intro: "Logistic regression of high Ki-67 on the clinical variables in the training set: univariate (one variable at a time) and multivariate odds ratios with Wald 95% CI and p.")
        let lab = labels
        do {
            let ids = try c.table.strings(c.idColumn)
            var rows = ids.indices.filter { lab[ids[$0]] != nil }
            if let g = c.groupColumn, c.table.hasColumn(g) {
                let sets = try c.table.strings(g)
                let train = rows.filter { sets[$0] == "train" }
                if !train.isEmpty { rows = train }
            }
            // Cases with any predictor missing are left out (complete-case analysis).
            let raw = try c.predictors.map { try c.table.strings($0) }
            rows = rows.filter { r in raw.allSatisfy { !CSVTable.missingTokens.contains($0[r]) } }
            let (columns, names) = try Self.design(c, rows: rows)
            for name in c.predictors where !names.contains(where: { $0 == name || $0.hasPrefix(name + "=") }) {
                s.notes.append("\(name) takes one value only among the \(rows.count) training cases: left out of the model.")
            }
            guard !columns.isEmpty else {
                s.notes.append("No clinical predictor varies among the training cases: no model.")
                return s
            }
            let y = rows.map { lab[ids[$0]]! }
            let (uni, multi) = try LogitInference.univariateAndMultivariate(columns: columns, names: names, y: y)
            var out: [ReportPage.Row] = []
            for (k, u) in uni.enumerated() {
                let m = multi.terms[k + 1]
                out.append(.init([.init(u.name),
                                  .init(ReportNumber.fixed(u.oddsRatio, 3), key: "or_uni:\(u.name)", value: u.oddsRatio), .init(ReportNumber.interval(u.oddsRatioCI95, 3)), .init(ReportNumber.p(u.p)),
                                  .init(ReportNumber.fixed(m.oddsRatio, 3), key: "or_multi:\(m.name)", value: m.oddsRatio), .init(ReportNumber.interval(m.oddsRatioCI95, 3)), .init(ReportNumber.p(m.p))]))
            }
            s.tables.append(.init(id: "clinical-or", caption: "Odds ratios for high Ki-67 (n = \(multi.n), \(multi.events) high)",
                                  header: ["Variable", "Univariate OR", "95% CI", "p", "Multivariate OR", "95% CI", "p"], rows: out))
            if let nomogram = try? NomogramChart(logit: multi, columns: columns, outcome: "high Ki-67") {
                s.figures.append(.init(id: "nomogram", caption: "Nomogram of the multivariate model: read each variable's points on the top scale, add them, and read the probability of high Ki-67 below the total (scales span the training cases' values).",
                                       svg: nomogram.svg()))
            }
        } catch {
            let text = (error as? KiraError)?.description ?? "\(error)"
            s.notes.append("The clinical model could not be fitted: \(text)")
            problems.append("clinical model: \(text)")
        }
        return s
    }
}
