import Foundation

/// Locations the tests read from: the project's own `TestData/` and the shared reference
/// data beside the checkout (`../shared/reference`), which may be absent.
public enum TestPaths {
    /// The package root, found from this file's location (Sources/KiraTestSupport/…).
    public static let packageRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    public static let testData = packageRoot.appendingPathComponent("TestData")

    /// `KIRA_REFERENCE` overrides the default `../shared/reference`.
    public static let reference: URL = {
        if let env = ProcessInfo.processInfo.environment["KIRA_REFERENCE"], !env.isEmpty {
            return URL(fileURLWithPath: env)
        }
        return packageRoot.deletingLastPathComponent().appendingPathComponent("shared/reference")
    }()

    public static var referenceAvailable: Bool {
        FileManager.default.fileExists(atPath: reference.appendingPathComponent("README.md").path)
    }

    /// The reason printed by tests skipped for lack of reference data.
    public static let referenceMissing = "needs the shared reference data at ../shared/reference (or KIRA_REFERENCE); absent here"

    public static func reference(_ relative: String) -> URL { reference.appendingPathComponent(relative) }
    public static func testData(_ relative: String) -> URL { testData.appendingPathComponent(relative) }

    /// A fresh empty directory under the system temporary directory.
    public static func temporaryDirectory(_ label: String = "kira-test") throws -> URL {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("\(label)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// The built `kira` executable next to the test bundle.
    public static var kiraExecutable: URL {
        let candidates = [
            Bundle.main.bundleURL.appendingPathComponent("kira"),
            Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent("kira"),
        ]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) } ?? candidates[0]
    }
}
