import Foundation
import KiraCore
import KiraDICOM
import KiraIO
import Logging

/// A study step that failed for one case, modality and reader: which step and why.
public struct StepFailure: Error, Sendable, CustomStringConvertible {
    public var step: String
    public var reason: String
    public init(step: String, reason: String) { self.step = step; self.reason = reason }
    public var description: String { "\(step): \(reason)" }
}

/// Reading a case's image: a DICOM folder or file (one series), or a NIfTI/NRRD file; a 4D
/// series reduced to the phase (or phase difference) the study names.
enum CaseImage {
    static func isDICOM(_ url: URL) -> Bool {
        var dir: ObjCBool = false
        if FileManager.default.fileExists(atPath: url.path, isDirectory: &dir), dir.boolValue { return true }
        return ImageFileReader.kind(of: url) == nil
    }

    static func read(_ url: URL, modality: ModalitySpec, logger: Logger, keepPHI: Bool = false) throws -> Volume {
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw StepFailure(step: "load", reason: "image \(url.path) does not exist")
        }
        var volume: Volume
        do {
            if isDICOM(url) {
                let scan = DICOMScanner.scan([url], options: DICOMReadOptions(keepPHI: keepPHI), logger: logger)
                guard !scan.series.isEmpty else {
                    let why = scan.failures.first.map { ": \($0.file): \($0.reason)" } ?? ""
                    throw KiraError.invalidData("\(url.path): no DICOM image series found\(why)")
                }
                guard scan.series.count == 1 else {
                    throw KiraError.invalidData("\(url.path): holds \(scan.series.count) DICOM series; give the folder of one series")
                }
                volume = try scan.series[0].load(options: DICOMReadOptions(keepPHI: keepPHI), logger: logger)
            } else {
                volume = try ImageFileReader.read(url)
            }
        } catch let e as KiraError {
            throw StepFailure(step: "load", reason: e.description)
        } catch let e as StepFailure {
            throw e
        } catch {
            throw StepFailure(step: "load", reason: "\(url.path): \(error)")
        }
        guard volume.components == 1 else {
            throw StepFailure(step: "load", reason: "\(url.path): \(volume.components) components per voxel (colour); a grey image is needed")
        }
        return try phase(volume, url: url, modality: modality)
    }

    /// One 3D volume from a 4D series, as float32, keeping the series' metadata.
    static func phase(_ v: Volume, url: URL, modality: ModalitySpec) throws -> Volume {
        var out = try frames(v, url: url, modality: modality)
        out.metadata = v.metadata
        return out
    }

    static func frames(_ v: Volume, url: URL, modality: ModalitySpec) throws -> Volume {
        let t = v.timepoints
        let n = v.geometry.voxelCount
        // Converted once, and only for a 4D series that is cut.
        var all: [Float]?
        func frame(_ k: Int, _ key: String) throws -> [Float] {
            guard k < t else {
                throw StepFailure(step: "load", reason: "\(url.path): \(key) \(k) asked for, the series has \(t) phase(s) (0…\(t - 1))")
            }
            if all == nil { all = v.voxels.toFloats() }
            return Array(all![(k * n)..<((k + 1) * n)])
        }
        if let (a, b) = modality.subtraction {
            let fa = try frame(a, "subtraction phase"), fb = try frame(b, "subtraction phase")
            var out = [Float](repeating: 0, count: n)
            for i in 0..<n { out[i] = fa[i] - fb[i] }
            return try Volume(geometry: v.geometry, voxels: .float32(out))
        }
        if let p = modality.phase {
            if t == 1 && p == 0 { return v }
            return try Volume(geometry: v.geometry, voxels: .float32(try frame(p, "phase")))
        }
        guard t == 1 else {
            throw StepFailure(step: "load", reason: "\(url.path): a 4D series with \(t) phases; give modalities.\(modality.name).phase or subtraction")
        }
        return v
    }
}
