import Foundation
import KiraCore
import KiraDICOM
import Logging

/// Binary DICOM Segmentation objects: masks on a DICOM series' grid, one segment per mask,
/// one frame per slice of every segment (empty slices included, so every frame keeps the
/// source geometry), each frame deriving from its source slice.
public enum SegmentationExport {
    public struct Written: Sendable {
        public var sopInstanceUID: String
        public var seriesInstanceUID: String
        public var frames: Int
    }

    /// The one image series under `source` (a folder or file), by DICOMScanner.
    public static func sourceSeries(_ source: URL, logger: Logger) throws -> DICOMSeries {
        let scan = DICOMScanner.scan([source], options: DICOMReadOptions(), logger: logger)
        guard scan.series.count == 1 else {
            let found = scan.series.isEmpty ? "none" : scan.series.map(\.key).joined(separator: ", ")
            throw KiraError.invalidArgument("\(source.path): the source must hold exactly one image series; found \(scan.series.count) (\(found))")
        }
        return scan.series[0]
    }

    /// Writes `masks` (each on the series' grid, non-zero inside) as segments `segments`
    /// to `output`, temp-then-rename.
    public static func write(series: DICOMSeries, masks: [Volume], segments: [SegmentDefinition], to output: URL,
                             maskNames: [String], logger: Logger) throws -> Written {
        precondition(masks.count == segments.count && masks.count == maskNames.count)
        let (geometry, files) = try series.sliceFiles()
        for (m, name) in zip(masks, maskNames) {
            let d = m.geometry.differences(from: geometry, tolerance: .standard)
            if !d.isEmpty { throw KiraError.gridMismatch(mask: name, image: "the source series", differences: d) }
        }
        let plane = geometry.size.x * geometry.size.y
        var bytes = [UInt8](repeating: 0, count: masks.count * plane * geometry.size.z)
        for (s, m) in masks.enumerated() {
            let base = s * plane * geometry.size.z
            for i in 0..<m.voxels.count where m.voxels[i] != 0 { bytes[base + i] = 1 }
        }
        var written = Written(sopInstanceUID: "", seriesInstanceUID: "", frames: masks.count * geometry.size.z)
        try AtomicOutput.write(to: output) { tmp in
            do {
                let ids = try DcmOutBridge.writeSegmentation(
                    to: tmp.path, sourceFiles: files.map(\.path), rows: geometry.size.y, columns: geometry.size.x,
                    sliceSpacing: geometry.spacing.z, segments: segments, masks: bytes, softwareVersion: KiraVersion.current,
                    description: "Kira segmentation")
                written.sopInstanceUID = ids.sop
                written.seriesInstanceUID = ids.series
            } catch let e as BridgeFailure { throw KiraError.writeFailed(path: output.path, reason: e.message) }
        }
        logger.info("wrote \(output.path): \(segments.count) segment(s), \(written.frames) frames")
        return written
    }
}
