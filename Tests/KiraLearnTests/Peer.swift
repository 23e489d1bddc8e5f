import Foundation
import KiraTestSupport

/// Runs a Python peer script (scikit-learn, shap, numpy) and decodes the JSON it prints.
/// Tests that need a peer are enabled only when its module imports.
enum Peer {
    static func available(_ modules: String...) -> Bool { modules.allSatisfy(PythonPeer.has) }

    static let sklearn = available("sklearn", "numpy", "scipy")
    static let shap = available("shap", "sklearn")
    static let sklearnMissing = Comment(rawValue: "needs python3 with scikit-learn, numpy and scipy (make peers); not importable here")
    static let shapMissing = Comment(rawValue: "needs python3 with shap and scikit-learn (make peers); not importable here")

    /// Runs `script` with `input` as JSON on stdin; returns the parsed JSON it prints.
    static func run(_ script: String, input: Any = [String: Any]()) throws -> Any {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", "-c", "import json, sys, warnings\nwarnings.filterwarnings('ignore')\nIN = json.load(sys.stdin)\n" + script]
        let inPipe = Pipe(), out = Pipe(), err = Pipe()
        p.standardInput = inPipe; p.standardOutput = out; p.standardError = err
        try p.run()
        let data = Data(jsonText(input).utf8)
        inPipe.fileHandleForWriting.write(data)
        try inPipe.fileHandleForWriting.close()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else {
            throw PeerError(message: String(decoding: e, as: UTF8.self))
        }
        return try JSONSerialization.jsonObject(with: o)
    }

    /// JSON with every Double in Swift's shortest round-trip form, so Python reads the
    /// exact same numbers (Foundation's serialiser can drop the last bit).
    static func jsonText(_ v: Any) -> String {
        switch v {
        case let d as Double: return d.isFinite ? "\(d)" : "NaN"
        case let i as Int: return "\(i)"
        case let b as Bool: return b ? "true" : "false"
        case let s as String:
            return String(decoding: try! JSONSerialization.data(withJSONObject: [s]), as: UTF8.self).dropFirst().dropLast().description
        case let a as [Any]: return "[" + a.map(jsonText).joined(separator: ",") + "]"
        case let m as [String: Any]: return "{" + m.map { jsonText($0.key) + ":" + jsonText($0.value) }.joined(separator: ",") + "}"
        default: return "null"
        }
    }

    struct PeerError: Error, CustomStringConvertible { var message: String; var description: String { message } }
}

import Testing

func maxAbsDiff(_ a: [Double], _ b: [Double]) -> Double {
    precondition(a.count == b.count, "length \(a.count) vs \(b.count)")
    return zip(a, b).map { abs($0 - $1) }.max() ?? 0
}

func doubles(_ any: Any?) -> [Double] { (any as? [Any] ?? []).map { ($0 as? NSNumber)?.doubleValue ?? .nan } }
func double(_ any: Any?) -> Double { (any as? NSNumber)?.doubleValue ?? .nan }
