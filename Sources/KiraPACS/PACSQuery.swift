/// What to look for: the level (study or series) and the matching keys. Empty keys are
/// returned by the PACS rather than matched.
public struct PACSQuery: Sendable, Equatable {
    public enum Level: String, Sendable, CaseIterable {
        case study = "STUDY"
        case series = "SERIES"
    }

    public var level: Level
    public var patientID: String?
    public var accession: String?
    /// A DICOM date or range: `20240101`, `20240101-20241231`, `-20241231`.
    public var date: String?
    public var modality: String?
    public var studyUID: String?
    public var seriesUID: String?

    public init(level: Level = .study, patientID: String? = nil, accession: String? = nil, date: String? = nil,
                modality: String? = nil, studyUID: String? = nil, seriesUID: String? = nil) {
        self.level = level
        self.patientID = patientID
        self.accession = accession
        self.date = date
        self.modality = modality
        self.studyUID = studyUID
        self.seriesUID = seriesUID
    }

    /// The matching keys as given, for messages. The patient ID is named, never shown.
    public var description: String {
        var parts: [String] = []
        if patientID != nil { parts.append("patient ID (given)") }
        if let a = accession { parts.append("accession \(a)") }
        if let d = date { parts.append("date \(d)") }
        if let m = modality { parts.append("modality \(m)") }
        if let s = studyUID { parts.append("study \(s)") }
        if let s = seriesUID { parts.append("series \(s)") }
        return "\(level.rawValue.lowercased()) query" + (parts.isEmpty ? " (all)" : " with " + parts.joined(separator: ", "))
    }

    /// Why the query cannot be sent, or nil.
    public var problem: String? {
        if let d = date, d.range(of: #"^(\d{8})?(-(\d{8})?)?$"#, options: .regularExpression) == nil || d.isEmpty || d == "-" {
            return "--date '\(d)' is not YYYYMMDD or a range YYYYMMDD-YYYYMMDD (either end may be left out)"
        }
        for (name, uid) in [("--study-uid", studyUID), ("--series-uid", seriesUID)] {
            if let u = uid, !PACSQuery.isUID(u) { return "\(name) '\(u)' is not a UID (digits and dots, at most 64)" }
        }
        return nil
    }

    /// Digits and dots, at most 64 characters (PS3.5 9.1), as every UID Kira accepts.
    public static func isUID(_ s: String) -> Bool {
        !s.isEmpty && s.utf8.count <= 64 && s.allSatisfy { $0 == "." || $0.isASCII && $0.isNumber } && !s.hasPrefix(".")
    }

    /// The identifier's keys as (tag, value): matching keys with their values, return keys empty.
    var keys: [(tag: String, value: String)] {
        var k: [(String, String)] = [
            (Tag.studyUID, studyUID ?? ""), (Tag.studyDate, date ?? ""), (Tag.accession, accession ?? ""),
            (Tag.patientID, patientID ?? ""), (Tag.studyDescription, ""),
        ]
        switch level {
        case .study:
            k += [(Tag.modalitiesInStudy, modality ?? ""), (Tag.studySeriesCount, ""), (Tag.studyInstanceCount, "")]
            if let s = seriesUID { k.append((Tag.seriesUID, s)) }
        case .series:
            k += [(Tag.seriesUID, seriesUID ?? ""), (Tag.modality, modality ?? ""), (Tag.seriesNumber, ""),
                  (Tag.seriesDescription, ""), (Tag.seriesInstanceCount, "")]
        }
        return k
    }

    enum Tag {
        static let studyUID = "0020,000D", seriesUID = "0020,000E", studyDate = "0008,0020", accession = "0008,0050"
        static let patientID = "0010,0020", studyDescription = "0008,1030", modalitiesInStudy = "0008,0061"
        static let modality = "0008,0060", seriesNumber = "0020,0011", seriesDescription = "0008,103E"
        static let studySeriesCount = "0020,1206", studyInstanceCount = "0020,1208", seriesInstanceCount = "0020,1209"
    }
}

/// One study or series the PACS matched. Only non-identifying attributes are kept (no
/// patient name, ID, birth date or accession number), so a match can be printed or stored.
public struct PACSMatch: Sendable, Equatable, Codable {
    public var level: String
    public var studyUID: String
    public var seriesUID: String?
    public var studyDate: String?
    public var studyDescription: String?
    public var modalities: [String]
    public var seriesNumber: Int?
    public var seriesDescription: String?
    /// Series in the study (study level) or instances in the series (series level), when the PACS says.
    public var seriesCount: Int?
    public var instanceCount: Int?

    init(level: PACSQuery.Level, attributes a: [String: String]) {
        typealias T = PACSQuery.Tag
        func text(_ t: String) -> String? { a[t].flatMap { $0.isEmpty ? nil : $0 } }
        self.level = level.rawValue.lowercased()
        studyUID = text(T.studyUID) ?? ""
        seriesUID = level == .series ? text(T.seriesUID) : nil
        studyDate = text(T.studyDate)
        studyDescription = text(T.studyDescription)
        let mods = text(level == .study ? T.modalitiesInStudy : T.modality) ?? ""
        modalities = mods.split(separator: "\\").map(String.init).filter { !$0.isEmpty }
        seriesNumber = text(T.seriesNumber).flatMap { Int($0) }
        seriesDescription = text(T.seriesDescription)
        seriesCount = text(T.studySeriesCount).flatMap { Int($0) }
        instanceCount = text(level == .study ? T.studyInstanceCount : T.seriesInstanceCount).flatMap { Int($0) }
    }

    public init(level: String, studyUID: String, seriesUID: String? = nil, studyDate: String? = nil, studyDescription: String? = nil,
                modalities: [String] = [], seriesNumber: Int? = nil, seriesDescription: String? = nil,
                seriesCount: Int? = nil, instanceCount: Int? = nil) {
        self.level = level
        self.studyUID = studyUID
        self.seriesUID = seriesUID
        self.studyDate = studyDate
        self.studyDescription = studyDescription
        self.modalities = modalities
        self.seriesNumber = seriesNumber
        self.seriesDescription = seriesDescription
        self.seriesCount = seriesCount
        self.instanceCount = instanceCount
    }
}

import Foundation
