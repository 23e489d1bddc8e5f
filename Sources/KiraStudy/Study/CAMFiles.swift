import Foundation
import KiraCore
import KiraDeep
import KiraIO

/// A Grad-CAM map's two files (an overlay PNG of the crop, the map on the image grid as NIfTI),
/// written into the cache first and copied from there into results/deep/<case>/, so a rerun
/// places the cached bytes and never recomputes them.
enum CAMFiles {
    /// Writes the overlay and the map into the cache files and returns their bytes.
    static func cache(_ map: GradCAM.Map, image: Volume, record: CropRecord, metadata: [String: MetaValue],
                      png: URL, nifti: URL) throws -> (png: Data, nifti: Data) {
        let o = CAMPlacement.overlay(image: image, scaled: map.scaled, record: record)
        let pngData = try PNGWriter.data(o.pixels, width: o.width, height: o.height, channels: 3)
        try StudyFiles.write(pngData, to: png)
        let grid = CAMPlacement.onImageGrid(map.scaled, record: record, geometry: image.geometry)
        try NIfTIWriter.write(try Volume(geometry: image.geometry, voxels: .float32(grid), metadata: metadata), to: nifti)
        guard let niftiData = FileManager.default.contents(atPath: nifti.path) else {
            throw KiraError.writeFailed(path: nifti.path, reason: "the Grad-CAM map just written cannot be read back")
        }
        return (pngData, niftiData)
    }

    /// Copies cached bytes into the results (unchanged files left alone).
    static func place(png: Data, nifti: Data, to pngURL: URL, _ niftiURL: URL) throws {
        do {
            try FileManager.default.createDirectory(at: pngURL.deletingLastPathComponent(), withIntermediateDirectories: true)
        } catch {
            throw KiraError.writeFailed(path: pngURL.path, reason: error.localizedDescription)
        }
        try StudyFiles.write(png, to: pngURL)
        try StudyFiles.write(nifti, to: niftiURL)
    }
}
