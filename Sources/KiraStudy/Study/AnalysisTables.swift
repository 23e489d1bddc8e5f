import Foundation
import KiraCore
import KiraQC

/// One modality × reader's features as a table: cases in cohort order, columns in first-seen order.
struct ReaderTable {
    var modality: String
    var reader: Int
    var ids: [String]
    var names: [String]
    /// values[row][column]; nil = undefined or absent.
    var values: [[Double?]]

    init(modality: String, reader: Int, features: [CaseFeatures], order: [String]) {
        self.modality = modality
        self.reader = reader
        let byCase = Dictionary(features.filter { $0.modality == modality && $0.reader == reader }.map { ($0.caseID, $0) },
                                uniquingKeysWith: { a, _ in a })
        ids = order.filter { byCase[$0] != nil }
        var names: [String] = [], known = Set<String>()
        for id in ids { for n in byCase[id]!.names where known.insert(n).inserted { names.append(n) } }
        self.names = names
        values = ids.map { id in
            let f = byCase[id]!
            let v = Dictionary(zip(f.names, f.values), uniquingKeysWith: { a, _ in a })
            return names.map { v[$0] ?? nil }
        }
    }

    var csvText: String {
        var w = CSVWriter(header: ["id"] + names)
        for (id, row) in zip(ids, values) { w.append([id] + row.map { $0.map(CSVWriter.format) ?? "" }) }
        return w.text
    }

    var csvTable: CSVTable {
        CSVTable(source: "features_\(modality)_reader\(reader + 1).csv", header: ["id"] + names,
                 rows: zip(ids, values).map { [$0] + $1.map { $0.map(CSVWriter.format) ?? "" } })
    }
}

/// The ICC filter's verdict on one feature of one modality.
public struct ICCRow: Sendable, Codable, Equatable {
    public var modality: String
    public var feature: String
    public var icc: Double?
    public var ci95: [Double]?
    public var cases: Int
    public var kept: Bool
    public var reason: String?
}

/// The reproducibility filter: ICC of each feature between the first two readers, over the
/// cases both segmented; features below the minimum are dropped.
enum ReliabilityStage {
    /// Kept feature names per modality (nil: no filter for that modality) and the rows of icc.csv.
    static func run(study: StudySpec, tables: [String: [ReaderTable]]) throws -> (kept: [String: Set<String>], rows: [ICCRow], notes: [String]) {
        guard let spec = study.reproducibility else { return ([:], [], []) }
        var kept: [String: Set<String>] = [:], rows: [ICCRow] = [], notes: [String] = []
        for m in study.modalities {
            let readers = tables[m.name] ?? []
            guard readers.count >= 2, readers[1].ids.count >= 2 else {
                notes.append("\(m.name): fewer than 2 cases with a second reader's mask; no ICC filter")
                continue
            }
            let report = try FeatureStability.evaluate(tables: [readers[0].csvTable, readers[1].csvTable], idColumn: "id",
                                                       form: spec.form, minICC: spec.min)
            kept[m.name] = Set(report.kept)
            for f in report.features {
                rows.append(ICCRow(modality: m.name, feature: f.name, icc: f.estimate?.icc,
                                   ci95: f.estimate?.ci95.map { [$0.lowerBound, $0.upperBound] }, cases: f.cases,
                                   kept: f.kept, reason: f.reason))
            }
            for i in report.ignored {
                rows.append(ICCRow(modality: m.name, feature: i.column, icc: nil, ci95: nil, cases: 0, kept: false, reason: i.reason))
            }
        }
        return (kept, rows, notes)
    }

    static func csv(_ rows: [ICCRow], form: String) -> String {
        var w = CSVWriter(header: ["modality", "feature", "column", form.lowercased(), "ci95_low", "ci95_high", "cases", "kept", "reason"])
        for r in rows {
            w.append([r.modality, r.feature, "\(r.modality)_\(r.feature)", r.icc.map(CSVWriter.format) ?? "",
                      r.ci95.map { CSVWriter.format($0[0]) } ?? "", r.ci95.map { CSVWriter.format($0[1]) } ?? "",
                      String(r.cases), r.kept ? "1" : "0", r.reason ?? ""])
        }
        return w.text
    }
}

/// The fused table: for each case with the primary reader's features in every modality, the
/// columns `<modality>_<region>_<feature>` kept by the ICC filter and defined for every case.
struct FusedTable {
    var ids: [String]
    var names: [String]
    var x: [[Double]]
    /// Cases left out (a modality missing) and columns left out (undefined for some case).
    var droppedCases: [String: String]
    var droppedColumns: [String]

    init(study: StudySpec, primary: [String: ReaderTable], kept: [String: Set<String>], order: [String]) {
        var columns: [(modality: String, index: Int, name: String)] = []
        for m in study.modalities {
            guard let t = primary[m.name] else { continue }
            for (j, n) in t.names.enumerated() where kept[m.name]?.contains(n) ?? true {
                columns.append((m.name, j, "\(m.name)_\(n)"))
            }
        }
        var rowOf: [String: [String: Int]] = [:]
        for (name, t) in primary { rowOf[name] = Dictionary(t.ids.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a }) }
        var ids: [String] = [], dropped: [String: String] = [:]
        for id in order {
            if let missing = study.modalities.first(where: { rowOf[$0.name]?[id] == nil }) {
                dropped[id] = "no \(missing.name) features from the primary reader"
            } else {
                ids.append(id)
            }
        }
        let raw: [[Double?]] = ids.map { id in columns.map { c in primary[c.modality]!.values[rowOf[c.modality]![id]!][c.index] } }
        let complete = columns.indices.filter { j in raw.allSatisfy { $0[j] != nil } }
        self.ids = ids
        names = complete.map { columns[$0].name }
        x = raw.map { row in complete.map { row[$0]! } }
        droppedCases = dropped
        droppedColumns = columns.indices.filter { !complete.contains($0) }.map { columns[$0].name }
    }

    var csvText: String {
        var w = CSVWriter(header: ["id"] + names)
        for (id, row) in zip(ids, x) { w.append([id] + row.map(CSVWriter.format)) }
        return w.text
    }
}
