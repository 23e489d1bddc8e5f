import Foundation
import KiraCore

/// Samples of a decoded 2D raster, row 0 first, samples interleaved, native byte order.
enum RasterSamples {
    case uint8([UInt8])
    case uint16([UInt16])
    case int16([Int16])
    case float32([Float])

    var count: Int {
        switch self {
        case let .uint8(a): a.count
        case let .uint16(a): a.count
        case let .int16(a): a.count
        case let .float32(a): a.count
        }
    }

    subscript(i: Int) -> Double {
        switch self {
        case let .uint8(a): Double(a[i])
        case let .uint16(a): Double(a[i])
        case let .int16(a): Double(a[i])
        case let .float32(a): Double(a[i])
        }
    }
}

/// What the C and libtiff bridges hand to `RasterReader`.
struct DecodedRaster {
    var format: String          // "PNG", "JPEG", "TIFF"
    var width: Int
    var height: Int
    /// Samples per pixel in `samples`: 1 grey, 2 grey+alpha, 3 RGB, 4 RGBA.
    var channels: Int
    var samples: RasterSamples
    /// The file's own layout: "grey", "grey+alpha", "RGB", "RGBA", "palette".
    var sourceLayout: String
    var sourceBitDepth: Int
    /// Pixel size in mm from the file, with where it came from.
    var fileSpacing: (spacing: SIMD2<Double>, source: String)?
    var notes: [String: MetaValue] = [:]
}
