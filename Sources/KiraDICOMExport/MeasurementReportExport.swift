import Foundation
import KiraCore
import KiraDICOM
import Logging

/// TID 1500 Measurement Reports (Comprehensive 3D SR) of a Kira feature table: one
/// measurement group (TID 1411) per segment of a Kira SEG.
public enum MeasurementReportExport {
    /// One row of a single-case feature table (`kira features` CSV).
    public struct Feature: Sendable {
        public var name: String
        public var tag: String
        public var ibsiCode: String
        public var value: Double?
        public var undefinedReason: String

        public init(name: String, tag: String, ibsiCode: String, value: Double?, undefinedReason: String) {
            self.name = name; self.tag = tag; self.ibsiCode = ibsiCode; self.value = value; self.undefinedReason = undefinedReason
        }
    }

    /// The case-level prediction, reported in the first (tumour) group.
    public struct Prediction: Sendable {
        public var probability: Double
        public var highClass: Bool

        public init(probability: Double, highClass: Bool) { self.probability = probability; self.highClass = highClass }
    }

    public struct Group: Sendable {
        public var segmentNumber: Int
        public var label: String
        public var features: [Feature]
    }

    /// Reads `kira features`' CSV (name,tag,ibsi_code,family,value,undefined_reason).
    public static func readFeatures(_ url: URL) throws -> [Feature] {
        let t = try CSVTable(contentsOf: url)
        let names = try t.strings("name"), tags = try t.strings("tag"), codes = try t.strings("ibsi_code")
        let values = try t.strings("value"), reasons = try t.strings("undefined_reason")
        var out: [Feature] = []
        for i in names.indices {
            let text = values[i].trimmingCharacters(in: .whitespaces)
            var v: Double? = nil
            if !text.isEmpty {
                guard let d = Double(text), d.isFinite else {
                    throw KiraError.invalidData("\(url.path): row \(i + 2), column \"value\": \"\(text)\" is not a finite number")
                }
                v = d
            }
            out.append(Feature(name: names[i], tag: tags[i], ibsiCode: codes[i], value: v, undefinedReason: reasons[i]))
        }
        return out
    }

    /// Reads `kira predict`'s CSV (id,probability,class): the row of `caseID`, or the only row.
    public static func readPrediction(_ url: URL, caseID: String?) throws -> Prediction {
        let t = try CSVTable(contentsOf: url)
        let ids = try t.strings(t.header.first ?? "id"), p = try t.numbers("probability"), c = try t.numbers("class")
        let row: Int
        if let caseID {
            guard let r = ids.firstIndex(of: caseID) else { throw KiraError.invalidArgument("\(url.path): no row for case \"\(caseID)\"") }
            row = r
        } else {
            guard ids.count == 1 else { throw KiraError.invalidArgument("\(url.path) has \(ids.count) rows; choose one with --case") }
            row = 0
        }
        guard let prob = p[row], (0...1).contains(prob), let cls = c[row], cls == 0 || cls == 1 else {
            throw KiraError.invalidData("\(url.path): row \(row + 2): probability must be in [0, 1] and class 0 or 1")
        }
        return Prediction(probability: prob, highClass: cls == 1)
    }

    /// Splits the table among the SEG's segments: with no row named after a segment (a
    /// one-region table) every row is the first segment's; otherwise each row goes to the
    /// segment whose region prefix (`FeatureCoding.regionPrefix` of its label, then "_")
    /// begins its name (the longest such), with that prefix removed. A row matching no
    /// segment is an error naming it.
    public static func groups(_ features: [Feature], segments: [(number: Int, label: String)], table: String) throws -> [Group] {
        let prefixes = segments.map { FeatureCoding.regionPrefix($0.label) + "_" }
        func owner(_ name: String) -> Int? {
            prefixes.indices.filter { name.hasPrefix(prefixes[$0]) }.max { prefixes[$0].count < prefixes[$1].count }
        }
        guard features.contains(where: { owner($0.name) != nil }) else {
            return [Group(segmentNumber: segments[0].number, label: segments[0].label, features: features)]
        }
        var groups = segments.map { Group(segmentNumber: $0.number, label: $0.label, features: []) }
        for f in features {
            guard let k = owner(f.name) else {
                throw KiraError.invalidData("\(table): feature \"\(f.name)\" belongs to no segment of the SEG (labels: \(segments.map(\.label).joined(separator: ", ")))")
            }
            var g = f
            g.name = String(f.name.dropFirst(prefixes[k].count))
            groups[k].features.append(g)
        }
        return groups.filter { !$0.features.isEmpty }
    }

    /// A DS value (at most 16 characters).
    static func decimal(_ x: Double) -> String {
        for digits in stride(from: 10, through: 6, by: -1) {
            let s = String(format: "%.\(digits)g", x)
            if s.count <= 16 { return s }
        }
        return String(format: "%.5g", x)
    }

    /// Writes the report to `output` temp-then-rename; returns its SOP Instance UID.
    public static func write(seg: URL, source: DICOMSeries, groups: [Group], prediction: Prediction?, modality: String,
                             to output: URL, logger: Logger) throws -> String {
        let files = try source.sliceFiles().files
        let imageUnit = FeatureCoding.imageUnit(modality: modality)
        var bridgeGroups: [DcmOutBridge.ReportGroup] = []
        for (k, g) in groups.enumerated() {
            var measurements: [DcmOutBridge.Measurement] = []
            var undefined: [String] = []
            for f in g.features {
                guard let v = f.value else { undefined.append("\(f.name): \(f.undefinedReason.isEmpty ? "undefined" : f.undefinedReason)"); continue }
                measurements.append(.init(concept: FeatureCoding.concept(name: f.name, tag: f.tag, ibsiCode: f.ibsiCode), value: decimal(v),
                                          unit: FeatureCoding.unit(tag: f.tag, imageUnit: imageUnit), filter: FeatureCoding.filter(f.name)))
            }
            var ki67Class: CodedConcept?
            if k == 0, let prediction {
                measurements.append(.init(concept: CodedConcept("KI67PROB", FeatureCoding.privateScheme, "Probability of high Ki-67"),
                                          value: decimal(prediction.probability), unit: CodedConcept("1", "UCUM", "no units"), filter: nil))
                ki67Class = prediction.highClass ? CodedConcept("KI67HIGH", FeatureCoding.privateScheme, "High Ki-67 proliferation index")
                                                 : CodedConcept("KI67LOW", FeatureCoding.privateScheme, "Low Ki-67 proliferation index")
            }
            let finding = SegmentDefinition.forRegion(g.label).type
            bridgeGroups.append(.init(trackingID: g.label, trackingUID: "2.25." + uuidDecimal(), segmentNumber: g.segmentNumber,
                                      finding: finding, measurements: measurements, ki67Class: ki67Class,
                                      undefined: undefined.joined(separator: "\n")))
        }
        var sop = ""
        try AtomicOutput.write(to: output) { tmp in
            do {
                sop = try DcmOutBridge.writeReport(to: tmp.path, seg: seg.path, sourceFiles: files.map(\.path), groups: bridgeGroups,
                                                   algorithm: "Kira", version: KiraVersion.current)
            } catch let e as BridgeFailure { throw KiraError.writeFailed(path: output.path, reason: e.message) }
        }
        logger.info("wrote \(output.path): \(groups.count) measurement group(s)")
        return sop
    }

    /// A random UUID as the decimal number of a 2.25 UID.
    static func uuidDecimal() -> String {
        let u = UUID().uuid
        let bytes = [u.0, u.1, u.2, u.3, u.4, u.5, u.6, u.7, u.8, u.9, u.10, u.11, u.12, u.13, u.14, u.15]
        // 128-bit unsigned integer in decimal, by repeated division of the byte string by 10.
        var n = bytes, digits: [Character] = []
        while n.contains(where: { $0 != 0 }) {
            var rem = 0
            for i in n.indices {
                let cur = rem * 256 + Int(n[i])
                n[i] = UInt8(cur / 10)
                rem = cur % 10
            }
            digits.append(Character(String(rem)))
        }
        return digits.isEmpty ? "0" : String(digits.reversed())
    }
}
