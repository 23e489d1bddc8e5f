import Foundation
import KiraCore
import Mustache

/// One report as data (sections of figures, tables and notes), rendered through the page
/// template into a single self-contained HTML file: inline style, SVG inline, images as
/// data: URIs, a Content-Security-Policy that forbids every fetch and all scripts.
public struct ReportPage: Sendable, Encodable {
    public struct Cell: Sendable, Encodable {
        public var text: String
        /// A machine-readable key for the numbers a test or a reader checks (e.g. "auc:external").
        public var key: String?
        /// The number behind `text` at full precision (written as data-value), for checks.
        public var value: Double?
        public init(_ text: String, key: String? = nil, value: Double? = nil) { self.text = text; self.key = key; self.value = value }
    }

    public struct Row: Sendable, Encodable {
        public var cells: [Cell]
        public var group = false
        public init(_ cells: [Cell], group: Bool = false) { self.cells = cells; self.group = group }
        public init(texts: [String]) { cells = texts.map { Cell($0) } }
    }

    public struct Table: Sendable, Encodable {
        public var id: String
        public var caption: String
        public var header: [String]
        public var rows: [Row]
        public init(id: String, caption: String, header: [String], rows: [Row]) {
            self.id = id; self.caption = caption; self.header = header; self.rows = rows
        }
    }

    public struct Figure: Sendable, Encodable {
        public var id: String
        public var caption: String
        public var svg: String?
        /// A data: URI (PNG).
        public var image: String?
        public var width: Int?
        public init(id: String, caption: String, svg: String? = nil, image: String? = nil, width: Int? = nil) {
            self.id = id; self.caption = caption; self.svg = svg; self.image = image; self.width = width
        }
    }

    public struct Section: Sendable, Encodable {
        public var id: String
        public var heading: String
        public var intro: String?
        public var figures: [Figure] = []
        public var tables: [Table] = []
        public var notes: [String] = []
        public init(id: String, heading: String, intro: String? = nil) { self.id = id; self.heading = heading; self.intro = intro }
    }

    public var title: String
    public var subtitle: String
    public var problems: [String] = []
    public var sections: [Section] = []
    /// Empty when the page must be the same bytes on every run (the one `kira study run`
    /// writes, whose outputs are byte-identical when nothing changed).
    public var created: String

    public init(title: String, subtitle: String, created: Date? = Date()) {
        self.title = title; self.subtitle = subtitle
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime]
        self.created = created.map { f.string(from: $0) } ?? ""
    }

    static let template: MustacheTemplate = {
        do { return try MustacheTemplate(string: Templates.page) } catch { fatalError("report template does not parse: \(error)") }
    }()

    /// The page as HTML.
    public func html() -> String {
        Self.template.render(context())
    }

    /// Mustache reads dictionaries and arrays; optional values become absent keys.
    func context() -> [String: Any] {
        func cell(_ c: Cell) -> [String: Any] {
            var d: [String: Any] = ["text": c.text]
            if let k = c.key { d["key"] = k }
            if let v = c.value, v.isFinite { d["value"] = "\(v)" }
            return d
        }
        func table(_ t: Table) -> [String: Any] {
            ["id": t.id, "caption": t.caption, "header": t.header,
             "rows": t.rows.map { r -> [String: Any] in ["cells": r.cells.map(cell), "group": r.group] }]
        }
        func figure(_ f: Figure) -> [String: Any] {
            var d: [String: Any] = ["id": f.id, "caption": f.caption]
            if let s = f.svg { d["svg"] = s }
            if let i = f.image { d["image"] = i; d["width"] = f.width ?? 400 }
            return d
        }
        return [
            // Mustache has no "is this list empty": each list gets its own flag.
            "title": title, "subtitle": subtitle, "problems": problems, "hasProblems": !problems.isEmpty, "created": created,
            "kiraVersion": KiraVersion.current, "csp": Templates.contentSecurityPolicy, "css": Templates.css,
            "sections": sections.map { s -> [String: Any] in
                var d: [String: Any] = ["id": s.id, "heading": s.heading, "figures": s.figures.map(figure),
                                        "tables": s.tables.map(table), "notes": s.notes,
                                        "hasFigures": !s.figures.isEmpty, "hasNotes": !s.notes.isEmpty]
                if let i = s.intro { d["intro"] = i }
                return d
            },
        ]
    }
}
