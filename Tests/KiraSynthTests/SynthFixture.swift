import Foundation
import KiraCore
import KiraDICOM
import KiraIO
import KiraSynth
import KiraTestSupport
import Logging

let testLogger = Logger(label: "kira.synth.tests")

/// Cohorts written once per test process and shared by the suites that only read them.
enum SynthFixture {
    static let small: URL = try! make(cases: 4, seed: 7, label: "small")
    static let signal: URL = try! make(cases: 40, seed: 11, label: "signal")

    static func make(cases: Int, seed: UInt64, centres: Int = 3, label: String) throws -> URL {
        let root = try TestPaths.temporaryDirectory("kira-synth-\(label)")
        let out = root.appendingPathComponent("cohort")
        try SyntheticCohort.write(.init(output: out, cases: cases, seed: seed, centres: centres), logger: testLogger)
        return out
    }

    static func table(_ dir: URL, _ name: String = "cases.csv") throws -> CSVTable {
        try CSVTable(contentsOf: dir.appendingPathComponent(name))
    }

    /// Every series Kira's DICOM reader finds under `url`, loaded.
    static func loadDICOM(_ url: URL) throws -> [Volume] {
        let scan = DICOMScanner.scan([url], options: .init(), logger: testLogger)
        return try scan.series.map { try $0.load(options: .init(), logger: testLogger) }
    }
}

/// Average ranks (ties share their mean rank), 1-based.
func ranks(_ x: [Double]) -> [Double] {
    let order = x.indices.sorted { x[$0] < x[$1] }
    var r = [Double](repeating: 0, count: x.count)
    var i = 0
    while i < order.count {
        var j = i
        while j + 1 < order.count, x[order[j + 1]] == x[order[i]] { j += 1 }
        for k in i...j { r[order[k]] = Double(i + j) / 2 + 1 }
        i = j + 1
    }
    return r
}

func pearson(_ a: [Double], _ b: [Double]) -> Double {
    let n = Double(a.count)
    let ma = a.reduce(0, +) / n, mb = b.reduce(0, +) / n
    var sab = 0.0, saa = 0.0, sbb = 0.0
    for i in a.indices { sab += (a[i] - ma) * (b[i] - mb); saa += (a[i] - ma) * (a[i] - ma); sbb += (b[i] - mb) * (b[i] - mb) }
    return sab / (saa * sbb).squareRoot()
}

func spearman(_ a: [Double], _ b: [Double]) -> Double { pearson(ranks(a), ranks(b)) }

/// Every regular file under `dir`, relative paths sorted.
func filesUnder(_ dir: URL) -> [String] {
    let e = FileManager.default.enumerator(atPath: dir.path)
    var out: [String] = []
    while let f = e?.nextObject() as? String {
        var isDir: ObjCBool = false
        if FileManager.default.fileExists(atPath: dir.appendingPathComponent(f).path, isDirectory: &isDir), !isDir.boolValue { out.append(f) }
    }
    return out.sorted()
}
