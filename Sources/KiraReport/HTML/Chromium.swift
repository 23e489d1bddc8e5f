import Foundation
import KiraCore

/// Headless Chromium (Debian's `chromium`, found on PATH) for what only a browser does:
/// printing a report to PDF, and (in tests and benchmarks) loading a page, screenshotting it
/// and dumping its DOM. It runs with a throw-away profile, no sandbox (it is started as
/// root in CI), and every background fetch switched off.
public struct Chromium: Sendable {
    public var executable: URL

    public static let names = ["chromium", "chromium-browser", "google-chrome", "google-chrome-stable"]

    /// The first of `names` on PATH; nil when none is there.
    public static func find(environment: [String: String] = ProcessInfo.processInfo.environment) -> Chromium? {
        let path = environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for name in names {
            for dir in path.split(separator: ":") {
                let url = URL(fileURLWithPath: String(dir)).appendingPathComponent(name)
                if FileManager.default.isExecutableFile(atPath: url.path) { return Chromium(executable: url) }
            }
        }
        return nil
    }

    public static let missingMessage = "no Chromium on PATH (looked for \(names.joined(separator: ", "))): --pdf needs headless Chromium; install Debian's 'chromium' package, or leave out --pdf"

    public struct Run: Sendable {
        public var status: Int32
        public var stdout: String
        public var stderr: String
    }

    /// Flags for a quiet, offline, reproducible headless run. The browser's own background
    /// requests (update checks, account probes), which the flags do not all stop, go to a
    /// proxy on a closed loopback port, so nothing ever leaves the machine; a report needs no
    /// network anyway.
    static func baseArguments(profile: URL) -> [String] {
        ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run", "--no-default-browser-check",
         "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-extensions",
         "--disable-default-apps", "--metrics-recording-only", "--mute-audio", "--hide-scrollbars",
         "--proxy-server=http://127.0.0.1:9", "--proxy-bypass-list=<-loopback>",
         "--user-data-dir=\(profile.path)"]
    }

    /// Runs Chromium on `page` with `extra` flags; the profile folder is removed afterwards.
    public func run(_ extra: [String], page: URL, timeout: TimeInterval = 120) throws -> Run {
        let profile = FileManager.default.temporaryDirectory.appendingPathComponent("kira-chromium-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: profile, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: profile) }
        let outURL = profile.appendingPathComponent("stdout.txt"), errURL = profile.appendingPathComponent("stderr.txt")
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        let out = try FileHandle(forWritingTo: outURL), err = try FileHandle(forWritingTo: errURL)
        defer { try? out.close(); try? err.close() }
        let p = Process()
        p.executableURL = executable
        p.arguments = Self.baseArguments(profile: profile) + extra + [page.absoluteString]
        // Files rather than pipes: a chatty browser can never stall on a full pipe.
        p.standardOutput = out; p.standardError = err
        p.standardInput = FileHandle.nullDevice
        try p.run()
        let deadline = Date().addingTimeInterval(timeout)
        while p.isRunning {
            if Date() > deadline {
                p.terminate()
                p.waitUntilExit()
                throw KiraError.invalidData("chromium did not finish within \(Int(timeout)) s on \(page.path)")
            }
            usleep(20_000)
        }
        return Run(status: p.terminationStatus, stdout: (try? String(contentsOf: outURL, encoding: .utf8)) ?? "",
                   stderr: (try? String(contentsOf: errURL, encoding: .utf8)) ?? "")
    }

    /// Prints `html` to `pdf` (A4, backgrounds, no header or footer lines).
    public func printPDF(_ html: URL, to pdf: URL) throws {
        let r = try run(["--no-pdf-header-footer", "--print-to-pdf=\(pdf.path)", "--virtual-time-budget=5000"], page: html)
        let size = (try? FileManager.default.attributesOfItem(atPath: pdf.path)[.size] as? Int) ?? 0
        guard r.status == 0, size > 0 else {
            let last = r.stderr.split(separator: "\n").last.map(String.init) ?? ""
            throw KiraError.writeFailed(path: pdf.path, reason: "chromium exited \(r.status) without a PDF: \(last)")
        }
    }
}
