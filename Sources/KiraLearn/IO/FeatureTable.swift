import Foundation
import KiraCore

/// Feature CSVs joined on an id column (early fusion): every file must list the same ids;
/// column names must be unique across files (give each file a prefix, e.g. `us_`, `mg_`).
public struct FeatureTable: Sendable {
    public var ids: [String]
    public var names: [String]
    /// Missing cells are NaN; the `impute` step fills them.
    public var x: Matrix

    public init(ids: [String], names: [String], x: Matrix) {
        self.ids = ids; self.names = names; self.x = x
    }

    public static func load(_ files: [URL], idColumn: String, prefixes: [String] = []) throws -> FeatureTable {
        guard !files.isEmpty else { throw KiraError.invalidArgument("no feature file given") }
        guard prefixes.isEmpty || prefixes.count == files.count else {
            throw KiraError.invalidArgument("--prefix: \(prefixes.count) prefixes for \(files.count) feature files")
        }
        var ids: [String] = []
        var names: [String] = []
        var seenNames = Set<String>()
        var columns: [[Double]] = []
        for (fi, url) in files.enumerated() {
            let t = try CSVTable(contentsOf: url)
            let fileIds = try t.strings(idColumn)
            guard !fileIds.isEmpty else { throw KiraError.invalidData("\(t.source): no cases (only a header row)") }
            try checkUnique(fileIds, source: t.source)
            let prefix = prefixes.isEmpty ? "" : prefixes[fi]
            var order: [Int]
            if fi == 0 {
                ids = fileIds
                order = Array(fileIds.indices)
            } else {
                let index = Dictionary(uniqueKeysWithValues: fileIds.enumerated().map { ($1, $0) })
                let missing = ids.filter { index[$0] == nil }
                let extra = Set(fileIds).subtracting(ids)
                if !missing.isEmpty || !extra.isEmpty {
                    var msg = "ids do not match between \(files[0].path) and \(t.source):"
                    if !missing.isEmpty { msg += " \(missing.count) missing from the second (\(missing.prefix(5).joined(separator: ", ")))" }
                    if !extra.isEmpty { msg += " \(extra.count) only in the second (\(extra.sorted().prefix(5).joined(separator: ", ")))" }
                    throw KiraError.invalidData(msg)
                }
                order = ids.map { index[$0]! }
            }
            for name in t.header where name != idColumn {
                let full = prefix + name
                if !seenNames.insert(full).inserted {
                    throw KiraError.invalidData("\(t.source): column \"\(full)\" is also in an earlier feature file; give each file a --prefix")
                }
                let values = try t.numbers(name)
                names.append(full)
                columns.append(order.map { values[$0] ?? .nan })
            }
        }
        guard !names.isEmpty else { throw KiraError.invalidData("\(files[0].path): no feature column besides \"\(idColumn)\"") }
        var x = Matrix(rows: ids.count, cols: names.count)
        for (j, c) in columns.enumerated() { for i in 0..<ids.count { x[i, j] = c[i] } }
        return FeatureTable(ids: ids, names: names, x: x)
    }

    static func checkUnique(_ ids: [String], source: String) throws {
        var seen = Set<String>()
        for (r, id) in ids.enumerated() {
            if id.isEmpty { throw KiraError.invalidData("\(source): row \(r + 2) has an empty id") }
            if !seen.insert(id).inserted { throw KiraError.invalidData("\(source): id \"\(id)\" appears twice (row \(r + 2))") }
        }
    }

    /// The columns a model reads, in its order; missing or unexpected columns are named.
    public func columns(for expected: [String], source: String) throws -> Matrix {
        let missing = expected.filter { !names.contains($0) }
        let extra = names.filter { !expected.contains($0) }
        if !missing.isEmpty || !extra.isEmpty {
            var parts: [String] = []
            if !missing.isEmpty { parts.append("missing \(missing.count) column(s) the model was trained on: \(missing.prefix(8).joined(separator: ", "))") }
            if !extra.isEmpty { parts.append("\(extra.count) column(s) the model does not know: \(extra.prefix(8).joined(separator: ", "))") }
            throw KiraError.invalidData("\(source): " + parts.joined(separator: "; "))
        }
        let index = Dictionary(uniqueKeysWithValues: names.enumerated().map { ($1, $0) })
        return x.selecting(columns: expected.map { index[$0]! })
    }
}

/// The outcome column: binary (0/1, true/false, yes/no, high/low, positive/negative) or a
/// Ki-67 percentage made binary with a threshold (high = above).
public struct Labels: Sendable {
    public var values: [String: Bool]
    /// Optional split per id (`train`, `internal`, `external`, a centre name).
    public var split: [String: String]?
    /// The Ki-67 cut-off when the column was a percentage.
    public var ki67Threshold: Double?

    public static func load(_ url: URL, idColumn: String, labelColumn: String, threshold: Double?,
                            splitColumn: String? = nil) throws -> Labels {
        let t = try CSVTable(contentsOf: url)
        let ids = try t.strings(idColumn)
        try FeatureTable.checkUnique(ids, source: t.source)
        let raw = try t.strings(labelColumn)
        let words: [String: Bool] = ["1": true, "0": false, "true": true, "false": false, "yes": true, "no": false,
                                     "high": true, "low": false, "positive": true, "negative": false]
        var out: [String: Bool] = [:]
        var usedThreshold: Double? = nil
        let isBinary = raw.allSatisfy { words[$0.lowercased()] != nil || Double($0) == 1 || Double($0) == 0 }
        for (r, cell) in raw.enumerated() {
            if CSVTable.missingTokens.contains(cell) {
                throw KiraError.invalidData("\(t.source): row \(r + 2), column \"\(labelColumn)\": missing label for id \"\(ids[r])\"")
            }
            if isBinary && threshold == nil {
                out[ids[r]] = words[cell.lowercased()] ?? (Double(cell) == 1)
            } else {
                guard let v = try CSVTable.number(cell, source: t.source, row: r + 2, column: labelColumn) else { continue }
                let cut = threshold ?? 20
                usedThreshold = cut
                out[ids[r]] = v > cut
            }
        }
        let positives = out.values.filter { $0 }.count
        guard positives > 0, positives < out.count else {
            let how = usedThreshold.map { " with Ki-67 threshold \($0) (high = above)" } ?? ""
            throw KiraError.invalidData("\(t.source): column \"\(labelColumn)\" has a single class\(how): \(positives) positive of \(out.count); a classifier needs both")
        }
        var split: [String: String]? = nil
        if let splitColumn {
            let s = try t.strings(splitColumn)
            split = Dictionary(uniqueKeysWithValues: zip(ids, s))
        }
        return Labels(values: out, split: split, ki67Threshold: usedThreshold)
    }

    /// Labels in the order of `ids`; ids without a label are named.
    public func aligned(to ids: [String], source: String) throws -> [Bool] {
        let missing = ids.filter { values[$0] == nil }
        if !missing.isEmpty {
            throw KiraError.invalidData("\(missing.count) id(s) of \(source) have no label: \(missing.prefix(5).joined(separator: ", "))")
        }
        return ids.map { values[$0]! }
    }
}
