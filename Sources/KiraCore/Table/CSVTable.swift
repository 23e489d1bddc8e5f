import Foundation

/// A CSV file read into memory: one header row, then records of the same width.
/// QC, learning and survival all read their inputs through this type, so every
/// message about a table names the file, the row (1-based, header = row 1) and the column.
public struct CSVTable: Sendable {
    /// The file name (or label) used in messages.
    public let source: String
    public let header: [String]
    public private(set) var rows: [[String]]

    /// Cells read as missing by `numbers(_:)`: empty, NA, NaN and their spellings.
    public static let missingTokens: Set<String> = ["", "NA", "N/A", "NaN", "nan", "NAN", "null", "NULL", "None", "."]

    public init(source: String, header: [String], rows: [[String]]) {
        self.source = source
        self.header = header
        self.rows = rows
    }

    public init(contentsOf url: URL) throws {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw KiraError.unreadable(path: url.path, reason: error.localizedDescription)
        }
        try self.init(text: String(decoding: data, as: UTF8.self), source: url.path)
    }

    /// Parses RFC 4180 text: quoted fields may hold commas, quotes ("") and newlines;
    /// CRLF and LF both end a record; a UTF-8 byte-order mark is skipped; blank lines are ignored.
    public init(text: String, source: String) throws {
        var records: [[String]] = []
        var field = ""
        var record: [String] = []
        var inQuotes = false
        var quotedFieldEnded = false
        var line = 1
        var scalars = text.unicodeScalars[...]
        if scalars.first == "\u{FEFF}" { scalars = scalars.dropFirst() }
        var iterator = scalars.makeIterator()
        var pending: Unicode.Scalar? = nil
        func endRecord() {
            record.append(field)
            field = ""
            if !(record.count == 1 && record[0].isEmpty) { records.append(record) }
            record = []
        }
        while let c = pending ?? iterator.next() {
            pending = nil
            if inQuotes {
                if c == "\"" {
                    if let next = iterator.next() {
                        if next == "\"" { field.unicodeScalars.append("\"") } else {
                            inQuotes = false; quotedFieldEnded = true; pending = next
                        }
                    } else { inQuotes = false; quotedFieldEnded = true }
                } else {
                    if c == "\n" { line += 1 }
                    field.unicodeScalars.append(c)
                }
                continue
            }
            switch c {
            case "\"":
                guard field.isEmpty, !quotedFieldEnded else {
                    throw KiraError.invalidData("\(source): line \(line): a quote inside an unquoted field")
                }
                inQuotes = true
            case ",":
                record.append(field); field = ""; quotedFieldEnded = false
            case "\r":
                if let next = iterator.next(), next != "\n" { pending = next }
                endRecord(); quotedFieldEnded = false; line += 1
            case "\n":
                endRecord(); quotedFieldEnded = false; line += 1
            default:
                if quotedFieldEnded {
                    throw KiraError.invalidData("\(source): line \(line): text after a closing quote")
                }
                field.unicodeScalars.append(c)
            }
        }
        if inQuotes { throw KiraError.invalidData("\(source): a quoted field is not closed before the end of the file") }
        if !field.isEmpty || !record.isEmpty { endRecord() }
        guard let head = records.first else {
            throw KiraError.invalidData("\(source): empty table (no header row)")
        }
        let header = head.map { $0.trimmingCharacters(in: .whitespaces) }
        var seen: Set<String> = []
        for name in header {
            if !seen.insert(name).inserted {
                throw KiraError.invalidData("\(source): column \"\(name)\" appears twice in the header")
            }
        }
        for (i, r) in records.dropFirst().enumerated() where r.count != header.count {
            throw KiraError.invalidData("\(source): row \(i + 2) has \(r.count) fields, the header has \(header.count)")
        }
        self.init(source: source, header: header, rows: Array(records.dropFirst()))
    }

    public var rowCount: Int { rows.count }

    public func hasColumn(_ name: String) -> Bool { header.contains(name) }

    /// The index of a column; the error lists the columns that do exist.
    public func columnIndex(_ name: String) throws -> Int {
        guard let i = header.firstIndex(of: name) else {
            let known = header.prefix(12).joined(separator: ", ") + (header.count > 12 ? ", …" : "")
            throw KiraError.invalidArgument("\(source): no column \"\(name)\" (columns: \(known))")
        }
        return i
    }

    public func strings(_ column: String) throws -> [String] {
        let i = try columnIndex(column)
        return rows.map { $0[i].trimmingCharacters(in: .whitespaces) }
    }

    /// A numeric column; missing cells (see `missingTokens`) are nil, anything else that is
    /// not a finite number is an error naming the row.
    public func numbers(_ column: String) throws -> [Double?] {
        let i = try columnIndex(column)
        return try rows.enumerated().map { r, row in
            try Self.number(row[i], source: source, row: r + 2, column: column)
        }
    }

    /// A numeric column that must be complete.
    public func requiredNumbers(_ column: String) throws -> [Double] {
        let values = try numbers(column)
        if let r = values.firstIndex(where: { $0 == nil }) {
            throw KiraError.invalidData("\(source): row \(r + 2), column \"\(column)\": missing value")
        }
        return values.map { $0! }
    }

    public static func number(_ cell: String, source: String, row: Int, column: String) throws -> Double? {
        let s = cell.trimmingCharacters(in: .whitespaces)
        if missingTokens.contains(s) { return nil }
        guard let v = Double(s), v.isFinite else {
            throw KiraError.invalidData("\(source): row \(row), column \"\(column)\": \"\(cell)\" is not a number")
        }
        return v
    }
}

/// Writes CSV text with RFC 4180 quoting and numbers printed so they read back exactly.
public struct CSVWriter: Sendable {
    public private(set) var text = ""

    public init(header: [String]) { append(header) }

    public mutating func append(_ fields: [String]) {
        text += fields.map(Self.escape).joined(separator: ",") + "\n"
    }

    public static func escape(_ field: String) -> String {
        guard field.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return field }
        return "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// Shortest text that reads back as the same Double.
    public static func format(_ v: Double) -> String { "\(v)" }

    public func write(to url: URL) throws {
        try AtomicOutput.write(Data(text.utf8), to: url)
    }
}
