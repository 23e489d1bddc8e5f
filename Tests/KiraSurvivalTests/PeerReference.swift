import Foundation
import KiraCore
import KiraSurvival
import KiraTestSupport

/// Runs Tests/Peers/survival_reference.py once per test process: it writes lifelines'
/// bundled data sets as CSV and the peers' (lifelines, statsmodels, scikit-survival) results
/// on them into a temporary folder, which the tests read back.
enum PeerReference {
    static let lifelinesAvailable = PythonPeer.has("lifelines")
    static let missingReason = "needs the Python peer lifelines (make peers); python3 -c 'import lifelines' failed"
    static let statsmodelsAvailable = lifelinesAvailable && PythonPeer.has("statsmodels")
    static let statsmodelsMissing = "needs lifelines and statsmodels (make peers); python3 -c 'import statsmodels' failed"
    static let sksurvAvailable = lifelinesAvailable && PythonPeer.has("sksurv")
    static let sksurvMissing = "needs lifelines and scikit-survival (make peers); python3 -c 'import sksurv' failed"

    /// The folder with the CSV files and reference.json, or nil when the script could not run.
    static let folder: URL? = {
        guard lifelinesAvailable, let dir = try? TestPaths.temporaryDirectory("kira-survival-ref") else { return nil }
        guard (try? PythonPeer.script("survival_reference.py", [dir.path])) != nil else {
            print("survival_reference.py failed")
            return nil
        }
        return dir
    }()

    nonisolated(unsafe) static let json: [String: Any] = {
        guard let folder, let data = try? Data(contentsOf: folder.appendingPathComponent("reference.json")),
              let obj = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return [:] }
        return obj
    }()

    static func table(_ name: String) throws -> CSVTable {
        guard let folder else { throw KiraError.invalidArgument("peer reference data unavailable") }
        return try CSVTable(contentsOf: folder.appendingPathComponent(name + ".csv"))
    }

    static func csvPath(_ name: String) -> String { folder!.appendingPathComponent(name + ".csv").path }

    static func dict(_ path: String...) -> [String: Any] {
        var cur: Any = json
        for k in path { cur = (cur as? [String: Any])?[k] ?? [:] }
        return cur as? [String: Any] ?? [:]
    }
}

func doubles(_ any: Any?) -> [Double?] {
    (any as? [Any] ?? []).map { ($0 as? NSNumber)?.doubleValue }
}

func relativeDifference(_ a: Double, _ b: Double) -> Double {
    a == b ? 0 : abs(a - b) / max(abs(a), abs(b), 1e-300)
}

/// Largest |a − b| over two curves; infinite when lengths differ or a value is missing.
func maxAbsDifference(_ a: [Double], _ b: [Double?]) -> Double {
    guard a.count == b.count else { return .infinity }
    return zip(a, b).reduce(0) { m, p in max(m, p.1.map { abs(p.0 - $0) } ?? .infinity) }
}
