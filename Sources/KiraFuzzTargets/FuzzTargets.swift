import Foundation
import KiraCore
import KiraDICOM
import KiraIO
import KiraRadiomics
import Logging

/// One entry point per reader that takes bytes from outside: the libFuzzer executable
/// (`Fuzz/kira-fuzz`, built by `make fuzz`) and the replay test (`KiraFuzzReplayTests`) both
/// call these, so a corpus file replays in `swift test` exactly as the fuzzer ran it.
///
/// A thrown `KiraError` is the correct answer to bad input; `run` returns every thrown error
/// that is not one (an error of another type reaches the user without a file name or reason),
/// and a crash, trap, hang or leak in a reader is a bug.
public enum FuzzTarget: String, CaseIterable, Sendable {
    case dicom, nifti, nrrd, raster, csv, settings

    /// Feeds `data` to the target's readers and returns the errors they threw that are not
    /// `KiraError` (empty when the input was read or cleanly refused).
    @discardableResult
    public func run(_ data: Data) -> [Error] {
        var stray: [Error] = []
        func attempt(_ body: () throws -> Void) {
            do { try body() } catch is KiraError {} catch { stray.append(error) }
        }
        switch self {
        case .csv:
            attempt { _ = try CSVTable(text: String(decoding: data, as: UTF8.self), source: "fuzz.csv") }
        case .settings:
            attempt { _ = try SettingsFile.parse(String(decoding: data, as: UTF8.self), source: "fuzz.yaml") }
        case .nifti:
            // niftilib picks gzip by the name, so a gzip stream goes to a .nii.gz file.
            let gz = data.starts(with: [0x1F, 0x8B])
            let url = FuzzFiles.write(data, name: gz ? "input.nii.gz" : "input.nii")
            attempt { _ = try NIfTIReader.readGeometry(url) }
            attempt { _ = try NIfTIReader.read(url) }
        case .nrrd:
            let url = FuzzFiles.write(data, name: "input.nrrd")
            attempt { _ = try NRRDReader.readGeometry(url) }
            attempt { _ = try NRRDReader.read(url) }
            attempt { _ = try NRRDReader.readLabels(url) }
        case .raster:
            // The reader sniffs the signature; the extension only matters when there is none.
            let url = FuzzFiles.write(data, name: "input.png")
            attempt { _ = try RasterReader.read(url, spacing: nil) }
            attempt { _ = try RasterReader.read(url, spacing: nil, keepRGB: true) }
        case .dicom:
            let url = FuzzFiles.write(data, name: "input.dcm")
            let scan = DICOMScanner.scan([url], options: .init(), logger: FuzzFiles.quiet)
            for series in scan.series {
                attempt { _ = try series.load(options: .init(), logger: FuzzFiles.quiet) }
            }
            for seg in scan.segmentations {
                attempt { _ = try DICOMSegReader.read(seg) }
            }
        }
        return stray
    }
}

/// The per-process folder the file-based readers read from: one file, rewritten per input.
enum FuzzFiles {
    static let folder: URL = {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("kira-fuzz-\(ProcessInfo.processInfo.processIdentifier)", isDirectory: true)
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        // Every replaying test process would otherwise leave one behind.
        atexit { try? FileManager.default.removeItem(at: FuzzFiles.folder) }
        return url
    }()

    /// Readers log at debug level; a fuzzer's output should show only its own progress.
    static let quiet = Logger(label: "kira.fuzz") { _ in SwiftLogNoOpLogHandler() }

    static func write(_ data: Data, name: String) -> URL {
        let url = folder.appendingPathComponent(name)
        // A failed write would fuzz the previous input again; better to stop loudly.
        do { try data.write(to: url) } catch { fatalError("kira-fuzz: cannot write \(url.path): \(error)") }
        return url
    }
}
