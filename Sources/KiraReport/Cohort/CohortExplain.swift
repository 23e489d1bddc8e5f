import Foundation
import KiraCore
import KiraLearn

/// The SHAP summary of the cohort report: mean |SHAP| per model input over every case of the
/// fused feature table, from the frozen model (exact for logistic models, TreeSHAP for forests
/// and boosting; other models are left to `kira explain`, whose KernelSHAP takes seconds a case).
extension CohortReport {
    func explanations() -> ReportPage.Section {
        var s = ReportPage.Section(id: "shap", heading: "Feature contributions (SHAP summary)",
                                   intro: "Mean absolute SHAP value of each model input over all cases of the fused feature table: how much each feature moves the model's output on average.")
        let modelURL = results.directory.appendingPathComponent("model.json")
        let featuresURL = results.directory.appendingPathComponent("features.csv")
        do {
            let model = try ModelFile.read(modelURL)
            let table = try FeatureTable.load([featuresURL], idColumn: "id")
            let x = model.pipeline.transform(try table.columns(for: model.pipeline.inputFeatures, source: featuresURL.path))
            let names = model.pipeline.selectedFeatures
            guard let shap = model.exactSHAP(x) else {
                s.notes.append("The chosen model (\(model.pipeline.model.kind)) has no exact SHAP here; `kira explain` gives KernelSHAP values.")
                return s
            }
            let order = shap.meanAbs.indices.sorted { shap.meanAbs[$0] > shap.meanAbs[$1] }.prefix(15)
            let chart = BarChart(title: "Mean |SHAP| (\(shap.output))", valueLabel: "mean |SHAP value| (\(shap.output))",
                                 bars: order.map { .init(label: names[$0], value: shap.meanAbs[$0]) })
            s.figures.append(.init(id: "shap-summary", caption: "SHAP summary (\(shap.method)), \(x.rows) cases; largest first.", svg: chart.svg()))
            s.tables.append(.init(id: "shap-table", caption: "Mean |SHAP| per input", header: ["Feature", "Mean |SHAP|"],
                                  rows: order.map { .init([.init(names[$0]), .init(ReportNumber.fixed(shap.meanAbs[$0], 4), key: "shap:\(names[$0])", value: shap.meanAbs[$0])]) }))
        } catch {
            s.notes.append("No SHAP summary: \((error as? KiraError)?.description ?? "\(error)")")
        }
        return s
    }
}
