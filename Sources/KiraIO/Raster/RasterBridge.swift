import CRaster
import Foundation
import KiraCore

/// The only Swift owner of a `kira_raster_image` filled by CRaster; frees its pixels on deinit.
private final class CRasterImage {
    var image = kira_raster_image()

    deinit { kira_raster_free(&image) }

    var message: String {
        withUnsafeBytes(of: image.message) { raw in
            String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
        }
    }
}

/// PNG (libpng) and JPEG (libjpeg) decoding, and JPEG encoding, through CRaster, whose C code
/// catches the libraries' longjmp errors and returns a status and message.
enum RasterBridge {
    /// Writes 8-bit grey (1 channel) or RGB (3) samples, row 0 first, as a JPEG at `path`.
    static func encodeJPEG(_ samples: [UInt8], width: Int, height: Int, channels: Int, quality: Int, to path: String) throws {
        precondition(samples.count == width * height * channels, "JPEG samples do not fill \(width)×\(height)×\(channels)")
        var message = [CChar](repeating: 0, count: 256)
        let status = samples.withUnsafeBufferPointer { buffer in
            kira_jpeg_write(path, buffer.baseAddress, UInt32(width), UInt32(height), Int32(channels), Int32(quality), &message)
        }
        guard status == Int32(KIRA_RASTER_OK.rawValue) else {
            let reason = String(decoding: message.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
            throw KiraError.writeFailed(path: path, reason: "JPEG encoding failed: \(reason)")
        }
    }

    enum Codec { case png, jpeg }

    static func decode(_ path: String, codec: Codec) throws -> DecodedRaster {
        let owner = CRasterImage()
        let status: Int32 = switch codec {
        case .png: kira_png_read(path, AllocationBudget.maxBytes, &owner.image)
        case .jpeg: kira_jpeg_read(path, AllocationBudget.maxBytes, &owner.image)
        }
        let format = codec == .png ? "PNG" : "JPEG"
        switch status {
        case Int32(KIRA_RASTER_OK.rawValue):
            break
        case Int32(KIRA_RASTER_TOO_LARGE.rawValue):
            let what = "\(path): \(format) pixels (width × height × samples × bytes)"
            let img = owner.image
            try AllocationBudget.check(what, factors: [Int(img.width), Int(img.height), Int(img.channels), Int(img.bit_depth) / 8],
                                       elementBytes: 1, unit: "bytes")
            throw KiraError.tooLarge(subject: what, reason: "over the budget (\(AllocationBudget.environmentKey))")
        case Int32(KIRA_RASTER_CANNOT_OPEN.rawValue):
            throw KiraError.unreadable(path: path, reason: owner.message)
        case Int32(KIRA_RASTER_NOT_THIS_FORMAT.rawValue):
            throw KiraError.unsupportedFormat(path: path, reason: "not a \(format) file: \(owner.message)")
        case Int32(KIRA_RASTER_UNSUPPORTED.rawValue):
            throw KiraError.unsupportedFormat(path: path, reason: owner.message)
        default:
            let m = owner.message
            let lower = m.lowercased()
            if lower.contains("premature end") || lower.contains("read error") || lower.contains("eof")
                || lower.contains("not enough") || lower.contains("truncat") {
                throw KiraError.truncated(path: path, reason: "\(format) data ends early: \(m)")
            }
            throw KiraError.unreadable(path: path, reason: "\(format) decoding failed: \(m)")
        }
        let img = owner.image
        let width = Int(img.width), height = Int(img.height), channels = Int(img.channels)
        let count = width * height * channels
        guard let pixels = img.pixels else {
            throw KiraError.unreadable(path: path, reason: "\(format) decoder returned no pixels")
        }
        let samples: RasterSamples
        if img.bit_depth == 16 {
            guard img.byte_count >= count * 2 else {
                throw KiraError.unreadable(path: path, reason: "\(format) decoder returned \(img.byte_count) bytes for \(count) samples")
            }
            samples = .uint16(Array(UnsafeBufferPointer(start: pixels.assumingMemoryBound(to: UInt16.self), count: count)))
        } else {
            guard img.byte_count >= count else {
                throw KiraError.unreadable(path: path, reason: "\(format) decoder returned \(img.byte_count) bytes for \(count) samples")
            }
            samples = .uint8(Array(UnsafeBufferPointer(start: pixels.assumingMemoryBound(to: UInt8.self), count: count)))
        }
        let layout: String = switch Int(img.source_layout) {
        case Int(KIRA_RASTER_SOURCE_GREY.rawValue): "grey"
        case Int(KIRA_RASTER_SOURCE_GREY_ALPHA.rawValue): "grey+alpha"
        case Int(KIRA_RASTER_SOURCE_RGB.rawValue): "RGB"
        case Int(KIRA_RASTER_SOURCE_RGBA.rawValue): "RGBA"
        default: "palette"
        }
        return DecodedRaster(format: format, width: width, height: height, channels: channels, samples: samples,
                             sourceLayout: layout, sourceBitDepth: Int(img.source_bit_depth))
    }
}
