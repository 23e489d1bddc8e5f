import Foundation
import KiraCore

/// One row of the cohort CSV, its paths resolved against the CSV's folder.
public struct StudyCase: Sendable {
    public var id: String
    public var split: String
    /// nil: no label (a cohort for prediction only).
    public var label: Bool?
    public var survivalTime: Double?
    public var survivalEvent: Bool?
    /// Per modality: the image path (nil when the cell is empty).
    public var images: [String: URL?]
    /// Per modality: one mask path per reader (nil: no mask from that reader).
    public var masks: [String: [URL?]]
}

/// The cohort CSV read against the study: every named column present, ids unique, splits
/// known, labels readable. Errors name the CSV, the column and the case.
public struct StudyCohort: Sendable {
    public static let splits = ["train", "internal", "external"]
    public var cases: [StudyCase]

    /// `requireOutcome`: false for a cohort given to `predict` (labels, splits and survival are
    /// read when present).
    public static func load(_ url: URL, study: StudySpec, requireOutcome: Bool = true) throws -> StudyCohort {
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw KiraError.invalidArgument("\(study.file.lastPathComponent): cohort: \(url.path) does not exist")
        }
        let table = try CSVTable(contentsOf: url)
        let name = url.lastPathComponent
        func column(_ c: String, _ key: String, required: Bool = true) throws -> [String]? {
            guard table.hasColumn(c) else {
                if !required { return nil }
                throw KiraError.invalidArgument("\(name): no column \"\(c)\" (named by \(study.file.lastPathComponent) \(key))")
            }
            return try table.strings(c)
        }
        let ids = try column(study.idColumn, "id")!
        let labels = try column(study.label.column, "label.column", required: requireOutcome)
        let splits = try column(study.splitColumn, "split.column", required: requireOutcome)
        let times = try study.survival.map { try column($0.time, "survival.time", required: requireOutcome) } ?? nil
        let events = try study.survival.map { try column($0.event, "survival.event", required: requireOutcome) } ?? nil
        var images: [String: [String]] = [:], masks: [String: [[String]?]] = [:]
        for m in study.modalities {
            images[m.name] = try column(m.imageColumn, "modalities.\(m.name).image")!
            // A reader column may be absent from a prediction cohort: new cases have one reader.
            masks[m.name] = try m.maskColumns.enumerated().map { k, c in
                try column(c, "modalities.\(m.name).masks", required: requireOutcome || k == 0)
            }
        }
        let base = url.deletingLastPathComponent()
        func resolve(_ p: String) -> URL? {
            let t = p.trimmingCharacters(in: .whitespaces)
            if t.isEmpty { return nil }
            return t.hasPrefix("/") ? URL(fileURLWithPath: t) : base.appendingPathComponent(t).standardizedFileURL
        }
        var seen: [String: Int] = [:]
        var cases: [StudyCase] = []
        for r in 0..<table.rowCount {
            let id = ids[r].trimmingCharacters(in: .whitespaces)
            let row = "\(name): row \(r + 2)"
            guard !id.isEmpty else { throw KiraError.invalidData("\(row): empty id in column \"\(study.idColumn)\"") }
            guard id.range(of: "^[A-Za-z0-9._-]+$", options: .regularExpression) != nil, !id.hasPrefix(".") else {
                throw KiraError.invalidData("\(row): case \"\(id)\": an id is letters, digits, '.', '_' and '-' (it names cache and output files)")
            }
            if let first = seen[id] { throw KiraError.invalidData("\(name): case \"\(id)\" appears in rows \(first + 2) and \(r + 2)") }
            seen[id] = r
            var split = ""
            if let splits {
                split = splits[r].trimmingCharacters(in: .whitespaces).lowercased()
                guard Self.splits.contains(split) else {
                    throw KiraError.invalidData("\(row): case \"\(id)\": split \"\(splits[r])\" in column \"\(study.splitColumn)\" is not one of train, internal, external")
                }
            }
            var label: Bool?
            if let labels {
                label = try Self.label(labels[r], study.label, row: row, id: id, required: requireOutcome)
            }
            var time: Double?, event: Bool?
            if let times, let events, let s = study.survival {
                time = try CSVTable.number(times[r], source: name, row: r + 2, column: s.time)
                if let t = time, t < 0 { throw KiraError.invalidData("\(row): case \"\(id)\": survival time \(t) is negative") }
                let e = events[r].trimmingCharacters(in: .whitespaces).lowercased()
                switch e {
                case "1", "true", "yes": event = true
                case "0", "false", "no": event = false
                case _ where CSVTable.missingTokens.contains(events[r].trimmingCharacters(in: .whitespaces)): event = nil
                default: throw KiraError.invalidData("\(row): case \"\(id)\": event \"\(events[r])\" in column \"\(s.event)\" is not 0 or 1")
                }
            }
            var caseImages: [String: URL?] = [:], caseMasks: [String: [URL?]] = [:]
            for m in study.modalities {
                let cell = images[m.name]![r]
                caseImages[m.name] = study.source != nil && StudySource.isSeriesUID(cell)
                    ? StudySource.folder(output: study.output, seriesUID: cell.trimmingCharacters(in: .whitespaces))
                    : resolve(cell)
                caseMasks[m.name] = masks[m.name]!.map { $0.flatMap { resolve($0[r]) } }
            }
            cases.append(StudyCase(id: id, split: split, label: label, survivalTime: time, survivalEvent: event,
                                   images: caseImages, masks: caseMasks))
        }
        guard !cases.isEmpty else { throw KiraError.invalidData("\(name): no cases") }
        if requireOutcome && !cases.contains(where: { $0.split == "train" }) {
            throw KiraError.invalidData("\(name): no case has split \"train\" in column \"\(study.splitColumn)\"")
        }
        return StudyCohort(cases: cases)
    }

    static func label(_ cell: String, _ spec: LabelSpec, row: String, id: String, required: Bool) throws -> Bool? {
        let text = cell.trimmingCharacters(in: .whitespaces)
        if CSVTable.missingTokens.contains(text) {
            if required { throw KiraError.invalidData("\(row): case \"\(id)\": no label in column \"\(spec.column)\"") }
            return nil
        }
        if let t = spec.threshold {
            guard let v = Double(text.hasSuffix("%") ? String(text.dropLast()) : text), v.isFinite else {
                throw KiraError.invalidData("\(row): case \"\(id)\": label \"\(cell)\" in column \"\(spec.column)\" is not a number")
            }
            return v > t
        }
        switch text.lowercased() {
        case "1", "true", "yes", "high": return true
        case "0", "false", "no", "low": return false
        default:
            throw KiraError.invalidData("\(row): case \"\(id)\": label \"\(cell)\" in column \"\(spec.column)\" is not 0 or 1 (give label.threshold for a percentage)")
        }
    }
}
