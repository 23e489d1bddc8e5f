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
    /// Works on UTF-8 bytes (all delimiters are ASCII), so wide feature tables load quickly.
    public init(text: String, source: String) throws {
        var text = text
        let records: [[String]] = try text.withUTF8 { bytes in
            try Self.parse(bytes, source: source)
        }
        guard let head = records.first else {
            throw KiraError.invalidData("\(source): empty table (no header row)")
        }
        let header = head.map { $0.trimmingBlanks }
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

    private static func parse(_ b: UnsafeBufferPointer<UInt8>, source: String) throws -> [[String]] {
        let quote = UInt8(ascii: "\""), comma = UInt8(ascii: ","), cr = UInt8(ascii: "\r"), lf = UInt8(ascii: "\n")
        var records: [[String]] = []
        var record: [String] = []
        var i = 0, line = 1
        let n = b.count
        if n >= 3, b[0] == 0xEF, b[1] == 0xBB, b[2] == 0xBF { i = 3 }
        func endRecord() {
            if !(record.count == 1 && record[0].isEmpty) { records.append(record) }
            record = []
            record.reserveCapacity(records.first?.count ?? 16)
        }
        while i <= n {
            if i == n {
                if !record.isEmpty { record.append(""); endRecord() }
                break
            }
            if b[i] == quote {
                // Quoted field: copy up to the closing quote, unescaping "".
                var bytes: [UInt8] = []
                i += 1
                var closed = false
                while i < n {
                    if b[i] == quote {
                        if i + 1 < n, b[i + 1] == quote { bytes.append(quote); i += 2; continue }
                        closed = true; i += 1; break
                    }
                    if b[i] == lf { line += 1 }
                    bytes.append(b[i]); i += 1
                }
                guard closed else {
                    throw KiraError.invalidData("\(source): a quoted field is not closed before the end of the file")
                }
                record.append(String(decoding: bytes, as: UTF8.self))
                if i < n, b[i] != comma, b[i] != cr, b[i] != lf {
                    throw KiraError.invalidData("\(source): line \(line): text after a closing quote")
                }
            } else {
                let start = i
                while i < n, b[i] != comma, b[i] != cr, b[i] != lf {
                    if b[i] == quote { throw KiraError.invalidData("\(source): line \(line): a quote inside an unquoted field") }
                    i += 1
                }
                record.append(String(decoding: UnsafeBufferPointer(rebasing: b[start..<i]), as: UTF8.self))
            }
            if i == n { endRecord(); break }
            switch b[i] {
            case comma:
                i += 1
                if i == n { record.append(""); endRecord(); i += 1 }
            case cr:
                i += 1
                if i < n, b[i] == lf { i += 1 }
                endRecord(); line += 1
                if i == n { i += 1 }
            default:
                i += 1
                endRecord(); line += 1
                if i == n { i += 1 }
            }
        }
        return records
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
        return rows.map { $0[i].trimmingBlanks }
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
        // Plain numbers (the common case) parse without Foundation's trimming.
        if let v = Double(cell), v.isFinite { return v }
        let s = cell.trimmingBlanks
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

    /// Fields go straight onto the text (no per-row array of escaped copies and no joined
    /// string): a 1,130-row feature table is written at the very end of a run, on one core.
    public mutating func append(_ fields: [String]) {
        for (i, field) in fields.enumerated() {
            if i > 0 { text.append(",") }
            text.append(Self.escape(field))
        }
        text.append("\n")
    }

    /// Room for about `bytes` more bytes of text.
    public mutating func reserve(_ bytes: Int) { text.reserveCapacity(text.utf8.count + bytes) }

    public static func escape(_ field: String) -> String {
        // Bytes, not Characters: each Character comparison is a string comparison.
        guard field.utf8.contains(where: { $0 == 0x2C || $0 == 0x22 || $0 == 0x0A || $0 == 0x0D }) else { return field }
        return "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// Shortest text that reads back as the same Double.
    public static func format(_ v: Double) -> String { "\(v)" }

    public func write(to url: URL) throws {
        try AtomicOutput.write(Data(text.utf8), to: url)
    }
}
