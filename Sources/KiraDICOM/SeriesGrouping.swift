import Foundation
import KiraCore

/// Splits files of one SeriesInstanceUID into stacks that can each form one grid:
/// orientation, matrix size, echo and image kind (magnitude/phase) must agree.
enum SeriesGrouping {
    struct StackKey: Hashable, Comparable {
        var orientation: String
        var rows: Int, columns: Int, samples: Int
        var echo: String
        var kind: String
        static func < (a: Self, b: Self) -> Bool {
            (a.echo, a.kind, a.orientation, a.rows, a.columns) < (b.echo, b.kind, b.orientation, b.rows, b.columns)
        }
    }

    static func group(_ headers: [FileHeader], options: DICOMReadOptions) -> [DICOMSeries] {
        var byUID: [String: [FileHeader]] = [:]
        for h in headers {
            // Files without a SeriesInstanceUID each form their own series.
            byUID[h.seriesUID.isEmpty ? "file:" + h.url.path : h.seriesUID, default: []].append(h)
        }
        var result: [DICOMSeries] = []
        for uid in byUID.keys.sorted() {
            let files = byUID[uid]!
            var stacks: [StackKey: [(Int, FrameInfo)]] = [:]
            for (fi, h) in files.enumerated() {
                for var fr in h.frames {
                    fr.fileIndex = fi
                    let o = fr.orientation.map { $0.map(fixed3).joined(separator: ",") } ?? "none"
                    let echo = fr.echoNumber + "/" + (fr.echoTime.map(fixed3) ?? "")
                    let key = StackKey(orientation: o, rows: h.rows, columns: h.columns, samples: h.samplesPerPixel,
                                       echo: echo, kind: fr.imageKind)
                    stacks[key, default: []].append((fi, fr))
                }
            }
            let keys = stacks.keys.sorted()
            var stacksPerFile = [Int](repeating: 0, count: files.count)
            for k in keys { for fi in Set(stacks[k]!.map(\.0)) { stacksPerFile[fi] += 1 } }
            for (fi, n) in stacksPerFile.enumerated() where n > 1 { files[fi].openFile?.setUsers(n) }
            let base = seriesKeyBase(uid: uid, header: files[0])
            for (n, k) in keys.enumerated() {
                let frames = stacks[k]!.map(\.1)
                let used = Set(frames.map(\.fileIndex)).sorted()
                let remap = Dictionary(uniqueKeysWithValues: used.enumerated().map { ($1, $0) })
                let stackFiles = used.map { files[$0] }
                let renumbered = frames.map { f -> FrameInfo in var f = f; f.fileIndex = remap[f.fileIndex]!; return f }
                var key = base
                if keys.count > 1 { key += "_\(n + 1)" }
                var summary = files[0].metadata
                summary["SourceFileCount"] = .integer(stackFiles.count)
                summary["FrameCount"] = .integer(frames.count)
                summary["Rows"] = .integer(k.rows)
                summary["Columns"] = .integer(k.columns)
                if !k.kind.isEmpty { summary["ImageKind"] = .string(k.kind) }
                if let e = frames.first?.echoTime { summary["EchoTime"] = .number(e / 1000) }
                if options.keepPHI { summary.merge(files[0].phi) { a, _ in a } }
                result.append(DICOMSeries(key: key, files: stackFiles.map(\.url), summary: summary,
                                          headers: stackFiles, frames: renumbered))
            }
        }
        return result.sorted { $0.key < $1.key }
    }

    /// `x` with three decimals ("-0.342", "0.000"): grouping keys for every frame, where
    /// String(format:) cost more than reading the header.
    static func fixed3(_ x: Double) -> String {
        guard x.isFinite else { return "\(x)" }
        let r = Int64((x * 1000).rounded())
        let a = r.magnitude
        let frac = String(a % 1000)
        return (r < 0 ? "-" : "") + String(a / 1000) + "." + String(repeating: "0", count: 3 - frac.count) + frac
    }

    /// "<SeriesNumber>_<hash of the UID>": stable across runs, unique per UID, and free
    /// of the UID itself (UIDs can identify a patient).
    static func seriesKeyBase(uid: String, header: FileHeader) -> String {
        var h: UInt64 = 0xcbf29ce484222325
        for b in uid.utf8 { h = (h ^ UInt64(b)) &* 0x100000001b3 }
        let number = header.metadata["SeriesNumber"].flatMap(\.doubleValue).map { String(Int($0)) } ?? "0"
        return "S\(number)_" + String(String(h, radix: 16).suffix(8))
    }
}
