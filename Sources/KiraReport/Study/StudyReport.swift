import Foundation
import KiraCore

/// The per-study (one case) report: the identifiers of the study and series (no
/// patient-identifying field unless the caller keeps them), each modality's image with the ROI
/// drawn over its largest cross-section, the predicted probability of high Ki-67 with the
/// model's threshold and the class, the case's largest feature contributions (SHAP), QC flags,
/// provenance, and what was missing or wrong. The same content is written as JSON.
public struct StudyReport: Sendable, Encodable {
    public struct Image: Sendable, Encodable {
        public var modality: String
        public var source: String
        /// Reader masks and other regions drawn, in colour order.
        public var layers: [String]
        public var slice: Int?
        public var sliceCount: Int?
        public var roiVoxels: Int?
        public var areas: [Int]?
        /// data: URI of the PNG overlay (left out of the JSON).
        public var overlay: String?
        public var problem: String?
        enum CodingKeys: String, CodingKey { case modality, source, layers, slice, sliceCount = "slice_count", roiVoxels = "roi_voxels", areas, problem }
        public init(modality: String, source: String, layers: [String]) { self.modality = modality; self.source = source; self.layers = layers }
    }

    public struct Contribution: Sendable, Encodable {
        public var feature: String
        public var value: Double
        public init(feature: String, value: Double) { self.feature = feature; self.value = value }
    }

    public struct Flag: Sendable, Encodable {
        public var check: String
        /// "ok", "warning" or "fail".
        public var status: String
        public var detail: String
        public init(check: String, status: String, detail: String) { self.check = check; self.status = status; self.detail = detail }
    }

    /// A Grad-CAM map of one crop: of the model's decision, or the network's top class.
    public struct CAM: Sendable, Encodable {
        public var modality: String
        public var crop: String
        /// "decision" or "top class".
        public var target: String
        /// The overlay and the map on the image grid, relative to the results folder.
        public var overlayFile: String
        public var mapFile: String
        /// data: URI of the overlay (left out of the JSON).
        public var overlay: String?
        enum CodingKeys: String, CodingKey { case modality, crop, target, overlayFile = "overlay_file", mapFile = "map_file" }
        public init(modality: String, crop: String, target: String, overlayFile: String, mapFile: String, overlay: String?) {
            self.modality = modality; self.crop = crop; self.target = target
            self.overlayFile = overlayFile; self.mapFile = mapFile; self.overlay = overlay
        }
    }

    public var format = "kira-study-report"
    public var version = 1
    public var caseID: String
    public var identifiers: [String: String]
    public var images: [Image] = []
    public var model: String?
    public var probability: Double?
    public var threshold: Double?
    public var predictedHigh: Bool?
    public var contributions: [Contribution] = []
    public var contributionScale: String?
    public var qc: [Flag] = []
    /// nil (left out of the JSON) when the study makes no Grad-CAM maps.
    public var cams: [CAM]?
    /// Why the maps are not of the model's decision (a model without a gradient).
    public var camNote: String?
    public var provenance: [String: String] = [:]
    public var problems: [String] = []
    public var notice = "Research use only, not for clinical decisions."

    enum CodingKeys: String, CodingKey {
        case format, version, caseID = "case", identifiers, images, model, probability, threshold, predictedHigh = "predicted_high",
             contributions, contributionScale = "contribution_scale", qc, cams = "grad_cam", camNote = "grad_cam_note", provenance, problems, notice
    }

    public init(caseID: String, identifiers: [String: String]) { self.caseID = caseID; self.identifiers = identifiers }

    public func json() throws -> Data {
        let e = JSONEncoder()
        e.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try e.encode(self)
    }

    public func page(created: Date? = Date()) -> ReportPage {
        var page = ReportPage(title: "Kira study report: \(caseID)", subtitle: model.map { "Model: \($0)" } ?? "No model result", created: created)
        page.problems = problems
        var result = ReportPage.Section(id: "result", heading: "Prediction")
        var rows: [ReportPage.Row] = []
        rows.append(.init([.init("Probability of high Ki-67"), .init(ReportNumber.fixed(probability, 3), key: "probability", value: probability)]))
        rows.append(.init([.init("Model threshold"), .init(ReportNumber.fixed(threshold, 3), key: "threshold", value: threshold)]))
        rows.append(.init([.init("Predicted class"), .init(predictedHigh.map { $0 ? "high Ki-67" : "low Ki-67" } ?? "not predicted", key: "class")]))
        result.tables.append(.init(id: "prediction", caption: "Predicted Ki-67 class", header: ["Item", "Value"], rows: rows))
        if probability == nil { result.notes.append("No prediction: see Problems.") }
        page.sections.append(result)

        var imaging = ReportPage.Section(id: "images", heading: "Images and regions",
                                         intro: "Each modality's cross-section where the first reader's ROI is largest; outlines: orange the first reader (lightly filled), blue the second.")
        for im in images {
            if let o = im.overlay {
                imaging.figures.append(.init(id: "overlay-\(im.modality)",
                                             caption: "\(im.modality): slice \((im.slice ?? 0) + 1) of \(im.sliceCount ?? 1); \(im.layers.joined(separator: ", ")); ROI \(im.roiVoxels ?? 0) voxels.",
                                             image: o, width: 320))
            }
            if let p = im.problem { imaging.notes.append("\(im.modality): \(p)") }
        }
        imaging.tables.append(.init(id: "image-sources", caption: "Images used", header: ["Modality", "Source", "Regions"],
                                    rows: images.map { .init(texts: [$0.modality, $0.source, $0.layers.joined(separator: ", ")]) }))
        page.sections.append(imaging)

        var explain = ReportPage.Section(id: "contributions", heading: "Feature contributions",
                                         intro: "The case's largest SHAP contributions (\(contributionScale ?? "model output")); positive values push towards high Ki-67.")
        if !contributions.isEmpty {
            explain.figures.append(.init(id: "shap", caption: "SHAP values of this case's model inputs, largest |value| first.",
                                         svg: BarChart(title: "Feature contributions (SHAP)", valueLabel: contributionScale ?? "SHAP value",
                                                       bars: contributions.map { .init(label: $0.feature, value: $0.value) }).svg()))
        } else {
            explain.notes.append("No contributions: the case was not scored.")
        }
        page.sections.append(explain)

        if cams != nil || camNote != nil {
            var section = ReportPage.Section(id: "grad-cam", heading: "Grad-CAM",
                                             intro: "Where in each crop the network's features weigh most: for the model's decision, the channels weighted by the gradient of its log-odds of high Ki-67 with respect to the crop's features; otherwise the network's own top class.")
            if let camNote { section.notes.append(camNote) }
            for c in cams ?? [] {
                if let o = c.overlay {
                    section.figures.append(.init(id: "cam-\(c.modality)-\(c.crop)-\(c.target == "decision" ? "decision" : "top")",
                                                 caption: "\(c.modality) \(c.crop): Grad-CAM of the \(c.target == "decision" ? "model's decision" : "network's top class") (\(c.mapFile)).",
                                                 image: o, width: 240))
                }
            }
            page.sections.append(section)
        }

        var qcSection = ReportPage.Section(id: "qc", heading: "Quality control")
        qcSection.tables.append(.init(id: "qc-flags", caption: "QC flags", header: ["Check", "Status", "Detail"],
                                      rows: qc.map { .init([.init($0.check), .init($0.status, key: "qc:\($0.check)"), .init($0.detail)]) }))
        page.sections.append(qcSection)

        var prov = ReportPage.Section(id: "provenance", heading: "Identifiers and provenance")
        prov.tables.append(.init(id: "identifiers", caption: "Study and series", header: ["Item", "Value"],
                                 rows: identifiers.sorted { $0.key < $1.key }.map { .init(texts: [$0.key, $0.value]) }))
        prov.tables.append(.init(id: "provenance-table", caption: "Provenance", header: ["Item", "Value"],
                                 rows: provenance.sorted { $0.key < $1.key }.map { .init(texts: [$0.key, $0.value]) }))
        page.sections.append(prov)
        return page
    }
}
