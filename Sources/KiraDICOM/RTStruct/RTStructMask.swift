import Foundation
import KiraCore
import Logging

/// An RT Structure Set ROI as a binary mask on the grid of the image series it references.
public enum RTStructMask {
    /// The folders searched for the referenced series, in order: `searchIn` (e.g. the image
    /// when it is a DICOM folder), then the folder above the RTSTRUCT's own folder, recursively
    /// (the usual `study/{image,rtstruct}` layout).
    public static func searchFolders(for url: URL, searchIn: [URL]) -> [URL] {
        var dirs: [URL] = []
        for u in searchIn {
            var isDir: ObjCBool = false
            if FileManager.default.fileExists(atPath: u.path, isDirectory: &isDir), isDir.boolValue { dirs.append(u) }
        }
        dirs.append(url.deletingLastPathComponent().deletingLastPathComponent())
        return dirs
    }

    /// The grid of the series `rt` references, found under `folders`.
    public static func referencedGeometry(_ rt: RTStructFile, folders: [URL], logger: Logger) throws -> Geometry {
        guard let uid = rt.referencedSeriesUID else {
            throw KiraError.unsupportedFormat(path: rt.url.path, reason: "the RT Structure Set names no referenced image series (3006,0010)…(0020,000E)")
        }
        let options = DICOMReadOptions()
        for dir in folders {
            let scan = DICOMScanner.scan([dir], options: options, logger: logger)
            let matches = scan.series.filter { $0.headers.first?.seriesUID == uid }
            if let s = matches.max(by: { $0.frames.count < $1.frames.count }) {
                logger.debug("RTSTRUCT \(rt.url.lastPathComponent): referenced series found in \(dir.path)")
                return try s.plan(options: options).header.geometry
            }
        }
        throw KiraError.invalidArgument("\(rt.url.path): the image series it references (SeriesInstanceUID \(uid)) is not among the DICOM files under \(folders.map(\.path).joined(separator: ", ")); give that series' folder as the image")
    }

    /// The ROI `roi` (nil: the only one) rasterised by `RTStructRasteriser`'s rule on the
    /// referenced series' grid: uint8, 1 inside. Metadata: `SourceFile`, `MaskROI`,
    /// `MaskVoxelCount`.
    public static func read(_ url: URL, roi: String?, searchIn: [URL], logger: Logger) throws -> Volume {
        let rt = try RTStructFile(url: url)
        let region = try rt.roi(named: roi)
        guard !region.contours.isEmpty else {
            throw KiraError.invalidArgument("\(url.path): ROI \"\(region.name)\" has no closed planar contour (\(region.nonClosedContours) point or open contour(s))")
        }
        let g = try referencedGeometry(rt, folders: searchFolders(for: url, searchIn: searchIn), logger: logger)
        let slices = try RTStructRasteriser.slicePolygons(region, on: g, path: url.path)
        let mask = RTStructRasteriser.rasterise(slices, size: g.size)
        let inside = mask.reduce(0) { $0 + Int($1) }
        return try Volume(geometry: g, voxels: .uint8(mask), metadata: [
            "SourceFile": .string(url.lastPathComponent),
            "MaskROI": .string(region.name),
            "MaskVoxelCount": .integer(inside),
        ])
    }
}
