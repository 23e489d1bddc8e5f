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

    /// A stack's frames (file index into the UID's files, frame).
    typealias Frames = [(Int, FrameInfo)]

    static func group(_ headers: [FileHeader], options: DICOMReadOptions) -> [DICOMSeries] {
        split(headers, options: options).series
    }

    /// The series, and the files left out of them: a lone slice whose matrix differs from
    /// the rest of its stack, and slices cut off from the volume by the hole it leaves.
    static func split(_ headers: [FileHeader], options: DICOMReadOptions) -> (series: [DICOMSeries], excluded: [DICOMFileIssue]) {
        var byUID: [String: [FileHeader]] = [:]
        for h in headers {
            // Files without a SeriesInstanceUID each form their own series.
            byUID[h.seriesUID.isEmpty ? "file:" + h.url.path : h.seriesUID, default: []].append(h)
        }
        var result: [DICOMSeries] = []
        var excluded: [DICOMFileIssue] = []
        for uid in byUID.keys.sorted() {
            let files = byUID[uid]!
            var stacks: [StackKey: Frames] = [:]
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
            excluded += dropOddSizes(&stacks, files: files)
            let keys = stacks.keys.sorted()
            var stacksPerFile = [Int](repeating: 0, count: files.count)
            for k in keys { for fi in Set(stacks[k]!.map(\.0)) { stacksPerFile[fi] += 1 } }
            for (fi, n) in stacksPerFile.enumerated() where n > 1 { files[fi].openFile?.setUsers(n) }
            let base = seriesKeyBase(uid: uid, header: files[0])
            let postfixes = postfixes(keys)
            for (n, k) in keys.enumerated() {
                let frames = stacks[k]!.map(\.1)
                let used = Set(frames.map(\.fileIndex)).sorted()
                let remap = Dictionary(uniqueKeysWithValues: used.enumerated().map { ($1, $0) })
                let stackFiles = used.map { files[$0] }
                let renumbered = frames.map { f -> FrameInfo in var f = f; f.fileIndex = remap[f.fileIndex]!; return f }
                var key = base + postfixes[n].key
                if postfixes.filter({ $0.key == postfixes[n].key }).count > 1 { key += "_\(n + 1)" }
                var summary = files[0].metadata
                summary["SourceFileCount"] = .integer(stackFiles.count)
                summary["FrameCount"] = .integer(frames.count)
                summary["Rows"] = .integer(k.rows)
                summary["Columns"] = .integer(k.columns)
                if !k.kind.isEmpty { summary["ImageKind"] = .string(k.kind) }
                if let e = frames.first?.echoTime { summary["EchoTime"] = .number(e / 1000) }
                if options.keepPHI { summary.merge(files[0].phi) { a, _ in a } }
                var series = DICOMSeries(key: key, files: stackFiles.map(\.url), summary: summary,
                                         headers: stackFiles, frames: renumbered)
                series.namePostfix = postfixes[n].name
                series.echoPostfix = postfixes[n].echo
                result.append(series)
            }
        }
        return (result.sorted { $0.key < $1.key }, excluded)
    }

    /// "series 5 'T2 ax'": how messages name a series to its user.
    static func label(_ h: FileHeader) -> String {
        let number = h.metadata["SeriesNumber"].flatMap(\.doubleValue).map(DICOMValue.integerText) ?? "?"
        let d = h.metadata["SeriesDescription"]?.stringValue ?? ""
        return "series \(number)" + (d.isEmpty ? "" : " '\(d)'")
    }

    /// Removes lone slices whose matrix differs from the rest of their stack (same
    /// orientation, echo and kind): a reconstruction error or a stray file, not a series of
    /// its own. When such a slice sat between others, the stack is cut to its longest run
    /// of evenly spaced slices, since the volume cannot hold a hole. Only slices count:
    /// projection images (mammograms, radiographs) of several sizes in one series are each
    /// an image in their own right.
    static func dropOddSizes(_ stacks: inout [StackKey: Frames], files: [FileHeader]) -> [DICOMFileIssue] {
        func family(_ k: StackKey) -> StackKey { var f = k; f.rows = 0; f.columns = 0; return f }
        var issues: [DICOMFileIssue] = []
        let families = Dictionary(grouping: stacks.keys, by: family)
        for famKey in families.keys.sorted() {
            let members = families[famKey]!.sorted()
            guard members.count > 1, famKey.orientation != "none",
                  members.allSatisfy({ stacks[$0]!.allSatisfy { $0.1.position != nil } }),
                  let largest = members.map({ stacks[$0]!.count }).max(), largest >= 2 else { continue }
            let odd = members.filter { stacks[$0]!.count == 1 }
            guard !odd.isEmpty else { continue }
            let rest = members.filter { stacks[$0]!.count > 1 }
            let restCount = rest.reduce(0) { $0 + stacks[$1]!.count }
            let restSizes = rest.map { "\($0.columns)×\($0.rows)" }.joined(separator: " or ")
            var holes: [(SIMD3<Double>, String)] = []
            for k in odd {
                let (fi, frame) = stacks[k]![0]
                let name = files[fi].url.lastPathComponent
                issues.append(DICOMFileIssue(file: files[fi].url.path,
                    reason: "\(label(files[fi])): file \(name) is \(k.columns)×\(k.rows), the other \(restCount) slices are \(restSizes); excluded"))
                if let p = frame.position { holes.append((p, "\(k.columns)×\(k.rows) file \(name)")) }
                stacks[k] = nil
            }
            for k in rest {
                issues += cutAtHoles(&stacks[k]!, holes: holes, files: files)
            }
        }
        return issues
    }

    /// Keeps the longest run of slices not broken by a hole (ties: the first along the
    /// slice normal) and names the files of the other runs.
    static func cutAtHoles(_ frames: inout Frames, holes: [(SIMD3<Double>, String)], files: [FileHeader]) -> [DICOMFileIssue] {
        guard !holes.isEmpty, let o = frames[0].1.orientation, o.count >= 6,
              frames.allSatisfy({ $0.1.position != nil }) else { return [] }
        let normal = cross(SIMD3(o[0], o[1], o[2]), SIMD3(o[3], o[4], o[5]))
        guard norm(normal) > 0.5 else { return [] }
        let n = normal / norm(normal)
        // A file cut in two (a multi-frame file spanning the hole) cannot be excluded
        // whole; such a stack is left for the layout to report.
        let perFile = Dictionary(grouping: frames, by: \.0)
        let along = frames.map { dot($0.1.position!, n) }
        let holeAt = holes.map { (dot($0.0, n), $0.1) }
        let order = frames.indices.sorted { along[$0] < along[$1] }
        var runs: [[Int]] = [[order[0]]]
        var cuts: [String] = []
        for i in order.dropFirst() {
            let prev = along[runs[runs.count - 1].last!]
            if let h = holeAt.first(where: { $0.0 > prev + 1e-2 && $0.0 < along[i] - 1e-2 }) {
                runs.append([i]); cuts.append(h.1)
            } else {
                runs[runs.count - 1].append(i)
            }
        }
        guard runs.count > 1 else { return [] }
        let keep = runs.indices.max { runs[$0].count < runs[$1].count || (runs[$0].count == runs[$1].count && $0 > $1) }!
        let kept = Set(runs[keep].map { frames[$0].0 })
        let dropped = Set(runs.indices.filter { $0 != keep }.flatMap { runs[$0] }.map { frames[$0].0 })
        guard kept.isDisjoint(with: dropped), dropped.allSatisfy({ perFile[$0]!.count == 1 }) else { return [] }
        let keptNames = runs[keep].map { files[frames[$0].0].url.lastPathComponent }
        let span = keptNames.count == 1 ? keptNames[0] : "\(keptNames.first!) to \(keptNames.last!)"
        var issues: [DICOMFileIssue] = []
        for r in runs.indices where r != keep {
            let hole = cuts[min(r, keep)]
            for i in runs[r] {
                let h = files[frames[i].0]
                issues.append(DICOMFileIssue(file: h.url.path,
                    reason: "\(label(h)): file \(h.url.lastPathComponent) lies beyond the hole left by the excluded \(hole); excluded (the volume keeps the \(runs[keep].count) contiguous slices \(span))"))
            }
        }
        frames = runs[keep].sorted().map { frames[$0] }
        return issues.sorted { $0.file < $1.file }
    }

    /// dcm2niix's post-fixes for stacks of one UID, only for what differs between them:
    /// `_e<N>` for echoes, `_ph`, `_real`, `_imaginary` for image kinds (magnitude has none),
    /// `_i<N>` for non-parallel slices. Stacks that differ only in matrix size get none in
    /// their name (the output name's clash suffix tells them apart, as dcm2niix's letter
    /// does), but a numbered key.
    static func postfixes(_ keys: [StackKey]) -> [(name: String, echo: String, key: String)] {
        guard keys.count > 1 else { return Array(repeating: ("", "", ""), count: keys.count) }
        let echoes = Set(keys.map(\.echo)), kinds = Set(keys.map { kindPostfix($0.kind) })
        let orientations = keys.map(\.orientation).reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }
        // Echo numbers when present, else the echo's rank by echo time.
        let echoRank = echoes.sorted { a, b in
            let ta = Double(a.split(separator: "/", omittingEmptySubsequences: false).last ?? "") ?? 0
            let tb = Double(b.split(separator: "/", omittingEmptySubsequences: false).last ?? "") ?? 0
            return ta < tb
        }
        var out: [(name: String, echo: String, key: String)] = []
        for k in keys {
            var echo = "", name = ""
            if echoes.count > 1 {
                let number = k.echo.split(separator: "/", omittingEmptySubsequences: false).first.map(String.init) ?? ""
                echo = "_e" + (Int(number).map(String.init) ?? String(echoRank.firstIndex(of: k.echo)! + 1))
            }
            if kinds.count > 1 { name += kindPostfix(k.kind) }
            if orientations.count > 1 { name += "_i\(orientations.firstIndex(of: k.orientation)! + 1)" }
            out.append((name, echo, echo + name))
        }
        return out
    }

    static func kindPostfix(_ kind: String) -> String {
        switch kind.uppercased() {
        case "P", "PHASE": "_ph"
        case "R", "REAL": "_real"
        case "I", "IMAGINARY": "_imaginary"
        default: ""
        }
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
        let number = header.metadata["SeriesNumber"].flatMap(\.doubleValue).map(DICOMValue.integerText) ?? "0"
        return "S\(number)_" + String(String(h, radix: 16).suffix(8))
    }
}
