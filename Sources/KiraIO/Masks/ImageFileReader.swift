import Foundation
import KiraCore

/// Reads any image file Kira handles outside DICOM, choosing the reader by extension:
/// `.nii`, `.nii.gz` (NIfTI), `.nrrd`, `.nhdr` (NRRD), `.png`, `.jpg`, `.jpeg`, `.tif`, `.tiff`
/// (rasters, read with 1 mm spacing unless the TIFF says otherwise, colour as BT.601 grey).
public enum ImageFileReader {
    public enum Kind: String, Sendable { case nifti, nrrd, raster }

    /// The reader for a file name, or nil when the extension is not one of the above.
    public static func kind(of url: URL) -> Kind? {
        let name = url.lastPathComponent.lowercased()
        if name.hasSuffix(".nii") || name.hasSuffix(".nii.gz") { return .nifti }
        if name.hasSuffix(".nrrd") || name.hasSuffix(".nhdr") { return .nrrd }
        if RasterReader.extensions.contains(url.pathExtension.lowercased()) { return .raster }
        return nil
    }

    /// `read` for a label map: NRRD maps whose values fit in a byte come back as uint8
    /// (`NRRDReader.readLabels`); other files as `read` gives them.
    public static func readLabels(_ url: URL) throws -> Volume {
        kind(of: url) == .nrrd ? try NRRDReader.readLabels(url) : try read(url)
    }

    /// `rasterSpacing` and `keepRGB` apply to PNG/JPEG/TIFF only.
    public static func read(_ url: URL, rasterSpacing: SIMD2<Double>? = nil, keepRGB: Bool = false) throws -> Volume {
        switch kind(of: url) {
        case .nifti: return try NIfTIReader.read(url)
        case .nrrd: return try NRRDReader.read(url)
        case .raster: return try RasterReader.read(url, spacing: rasterSpacing, keepRGB: keepRGB)
        case nil:
            let ext = url.pathExtension.lowercased()
            if ext == "dcm" || ext == "dicom" || ext == "ima" {
                throw KiraError.unsupportedFormat(path: url.path, reason: "DICOM files are read as a series by the DICOM reader, not as a single image file")
            }
            throw KiraError.unsupportedFormat(path: url.path, reason: "unknown image extension \"\(ext)\"; expected .nii, .nii.gz, .nrrd, .nhdr, .png, .jpg, .jpeg, .tif or .tiff")
        }
    }
}
