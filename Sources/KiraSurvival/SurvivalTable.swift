import Foundation
import KiraCore

/// A row left out of an analysis because one of the columns it needs is empty.
public struct DroppedRow: Sendable, Equatable {
    /// 1-based row number in the file (the header is row 1).
    public var row: Int
    public var column: String
}

/// Survival times, event indicators and the covariates one analysis needs, read from a CSV
/// table. Missing-value policy: a row with an empty (missing) cell in any column the analysis
/// uses is dropped and counted; every other bad cell (text in a number column, a negative
/// time, an event code other than 0/1) is an error naming the file, row and column.
public struct SurvivalTable: Sendable {
    public var time: [Double]
    public var event: [Bool]
    /// Numeric columns in the order asked for, each one value per kept row.
    public var numeric: [[Double]]
    public var numericNames: [String]
    /// Text columns (groups, strata), each one value per kept row.
    public var text: [[String]]
    public var textNames: [String]
    /// File row numbers of the kept rows.
    public var sourceRows: [Int]
    public var dropped: [DroppedRow]
    public var source: String

    public var count: Int { time.count }
    public var eventCount: Int { event.reduce(0) { $0 + ($1 ? 1 : 0) } }

    public init(table: CSVTable, time timeColumn: String, event eventColumn: String,
                numeric: [String] = [], text: [String] = []) throws {
        let ti = try table.columnIndex(timeColumn)
        let ei = try table.columnIndex(eventColumn)
        let ni = try numeric.map { try table.columnIndex($0) }
        let xi = try text.map { try table.columnIndex($0) }
        var time: [Double] = [], event: [Bool] = [], rows: [Int] = [], dropped: [DroppedRow] = []
        var num = [[Double]](repeating: [], count: numeric.count)
        var txt = [[String]](repeating: [], count: text.count)
        let src = table.source
        rowLoop: for (r, row) in table.rows.enumerated() {
            let fileRow = r + 2
            guard let t = try Self.number(row[ti], source: src, row: fileRow, column: timeColumn) else {
                dropped.append(.init(row: fileRow, column: timeColumn)); continue
            }
            guard t >= 0 else {
                throw KiraError.invalidData("\(src): row \(fileRow), column \"\(timeColumn)\": negative time \(row[ti])")
            }
            guard let e = try Self.eventValue(row[ei], source: src, row: fileRow, column: eventColumn) else {
                dropped.append(.init(row: fileRow, column: eventColumn)); continue
            }
            var values: [Double] = []
            for (k, c) in ni.enumerated() {
                guard let v = try Self.number(row[c], source: src, row: fileRow, column: numeric[k]) else {
                    dropped.append(.init(row: fileRow, column: numeric[k])); continue rowLoop
                }
                values.append(v)
            }
            var labels: [String] = []
            for (k, c) in xi.enumerated() {
                let s = row[c].trimmingCharacters(in: .whitespaces)
                if CSVTable.missingTokens.contains(s) { dropped.append(.init(row: fileRow, column: text[k])); continue rowLoop }
                labels.append(s)
            }
            time.append(t); event.append(e); rows.append(fileRow)
            for k in values.indices { num[k].append(values[k]) }
            for k in labels.indices { txt[k].append(labels[k]) }
        }
        guard !time.isEmpty else {
            let why = dropped.isEmpty ? "it has no data rows" : "all \(dropped.count) rows have missing values (first: row \(dropped[0].row), column \"\(dropped[0].column)\")"
            throw KiraError.invalidData("\(src): no usable rows: \(why)")
        }
        self.time = time; self.event = event; self.numeric = num; self.numericNames = numeric
        self.text = txt; self.textNames = text; self.sourceRows = rows; self.dropped = dropped; self.source = src
    }

    /// `CSVTable.number` with a fast path for the common cell, a plain finite number without
    /// surrounding blanks: trimming through Foundation dominated the reading of wide tables.
    @inline(__always)
    static func number(_ cell: String, source: String, row: Int, column: String) throws -> Double? {
        if let first = cell.utf8.first, let last = cell.utf8.last, first > 32, last > 32,
           let v = Double(cell), v.isFinite {
            return v
        }
        return try CSVTable.number(cell, source: source, row: row, column: column)
    }

    /// Event codes: 1/0, true/false, yes/no (any case); missing tokens are nil.
    static func eventValue(_ cell: String, source: String, row: Int, column: String) throws -> Bool? {
        let s = cell.trimmingCharacters(in: .whitespaces)
        if CSVTable.missingTokens.contains(s) { return nil }
        switch s.lowercased() {
        case "1", "1.0", "true", "yes": return true
        case "0", "0.0", "false", "no": return false
        default:
            throw KiraError.invalidData("\(source): row \(row), column \"\(column)\": event must be 0 or 1 (or true/false), found \"\(cell)\"")
        }
    }

    /// A one-line account of the dropped rows for logs and reports.
    public var droppedSummary: String? {
        guard !dropped.isEmpty else { return nil }
        let shown = dropped.prefix(5).map { "row \($0.row) (\($0.column))" }.joined(separator: ", ")
        return "\(source): dropped \(dropped.count) row(s) with missing values: \(shown)\(dropped.count > 5 ? ", …" : "")"
    }
}
