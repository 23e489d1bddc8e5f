import CDcmOut
import Foundation

/// The one file that hands Swift values to the C writers (CDcmOut) as pointers: every
/// string lives, NUL-terminated, for the duration of the call only.
enum DcmOutBridge {
    /// `kira_seg_write`; returns (SOP Instance UID, Series Instance UID) or throws the writer's message.
    static func writeSegmentation(to path: String, sourceFiles: [String], rows: Int, columns: Int, sliceSpacing: Double,
                                  segments: [SegmentDefinition], masks: [UInt8], softwareVersion: String,
                                  description: String) throws(BridgeFailure) -> (sop: String, series: String) {
        let texts = segments.flatMap { [$0.label, $0.category.value, $0.category.scheme, $0.category.meaning,
                                        $0.type.value, $0.type.scheme, $0.type.meaning] }
        let owned = (sourceFiles + texts).map { strdup($0)! }
        defer { owned.forEach { free($0) } }
        let files = owned.prefix(sourceFiles.count).map { UnsafePointer<CChar>?(UnsafePointer($0)) }
        let p = owned.dropFirst(sourceFiles.count).map { UnsafePointer<CChar>($0) }
        var list: [kira_seg_segment] = []
        for s in 0..<segments.count {
            let b = s * 7
            list.append(kira_seg_segment(label: p[b], category: kira_code(value: p[b + 1], scheme: p[b + 2], meaning: p[b + 3]),
                                         type: kira_code(value: p[b + 4], scheme: p[b + 5], meaning: p[b + 6])))
        }
        var sop = [CChar](repeating: 0, count: 128), series = [CChar](repeating: 0, count: 128)
        var msg = [CChar](repeating: 0, count: 1024)
        let rc = kira_seg_write(path, files, Int32(files.count), Int32(rows), Int32(columns), sliceSpacing,
                                list, Int32(list.count), masks, softwareVersion, description,
                                &sop, sop.count, &series, series.count, &msg, msg.count)
        guard rc == 0 else { throw BridgeFailure(message: text(msg)) }
        return (text(sop), text(series))
    }

    static func text(_ buf: [CChar]) -> String {
        String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

struct BridgeFailure: Error { var message: String }

extension DcmOutBridge {
    struct Measurement {
        var concept: CodedConcept
        var value: String
        var unit: CodedConcept
        var filter: CodedConcept?
    }

    struct ReportGroup {
        var trackingID: String
        var trackingUID: String
        var segmentNumber: Int
        var finding: CodedConcept
        var measurements: [Measurement]
        var ki67Class: CodedConcept?
        var undefined: String
    }

    /// `kira_sr_write`; returns the SOP Instance UID or throws the writer's message.
    static func writeReport(to path: String, seg: String, sourceFiles: [String], groups: [ReportGroup],
                            algorithm: String, version: String) throws(BridgeFailure) -> String {
        // Every string is copied once into C memory that lives until the call returns.
        var owned: [UnsafeMutablePointer<CChar>] = []
        defer { owned.forEach { free($0) } }
        func c(_ s: String) -> UnsafePointer<CChar> { let p = strdup(s)!; owned.append(p); return UnsafePointer(p) }
        func code(_ x: CodedConcept?) -> kira_code {
            guard let x else { return kira_code(value: nil, scheme: nil, meaning: nil) }
            return kira_code(value: c(x.value), scheme: c(x.scheme), meaning: c(x.meaning))
        }
        let files = sourceFiles.map { Optional(c($0)) }
        let measurementLists: [UnsafeMutableBufferPointer<kira_sr_measurement>] = groups.map { g in
            let buf = UnsafeMutableBufferPointer<kira_sr_measurement>.allocate(capacity: max(1, g.measurements.count))
            for (i, m) in g.measurements.enumerated() {
                buf[i] = kira_sr_measurement(concept: code(m.concept), value: c(m.value), unit: code(m.unit), filter: code(m.filter))
            }
            return buf
        }
        defer { measurementLists.forEach { $0.deallocate() } }
        var list: [kira_sr_group] = []
        for (k, g) in groups.enumerated() {
            list.append(kira_sr_group(tracking_id: c(g.trackingID), tracking_uid: c(g.trackingUID), segment_number: Int32(g.segmentNumber),
                                      finding: code(g.finding), measurements: UnsafePointer(measurementLists[k].baseAddress),
                                      measurement_count: Int32(g.measurements.count), ki67_class: code(g.ki67Class),
                                      undefined_text: g.undefined.isEmpty ? nil : c(g.undefined)))
        }
        var sop = [CChar](repeating: 0, count: 128)
        var msg = [CChar](repeating: 0, count: 1024)
        let rc = kira_sr_write(path, seg, files, Int32(files.count), list, Int32(list.count), algorithm, version,
                               &sop, sop.count, &msg, msg.count)
        guard rc == 0 else { throw BridgeFailure(message: text(msg)) }
        return text(sop)
    }
}

extension DcmOutBridge {
    /// `kira_pdf_write`; returns (SOP Instance UID, Series Instance UID) or throws the writer's message.
    static func writeEncapsulatedPDF(to path: String, pdf: Data, sourceFiles: [String], title: String, description: String,
                                     softwareVersion: String) throws(BridgeFailure) -> (sop: String, series: String) {
        let owned = sourceFiles.map { strdup($0)! }
        defer { owned.forEach { free($0) } }
        let files = owned.map { UnsafePointer<CChar>?(UnsafePointer($0)) }
        var sop = [CChar](repeating: 0, count: 128), series = [CChar](repeating: 0, count: 128)
        var msg = [CChar](repeating: 0, count: 1024)
        let rc = pdf.withUnsafeBytes { raw in
            kira_pdf_write(path, raw.bindMemory(to: UInt8.self).baseAddress, raw.count, files, Int32(files.count), title,
                           description, softwareVersion, &sop, sop.count, &series, series.count, &msg, msg.count)
        }
        guard rc == 0 else { throw BridgeFailure(message: text(msg)) }
        return (text(sop), text(series))
    }
}
