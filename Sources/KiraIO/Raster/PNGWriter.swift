import CRaster
import Foundation
import KiraCore

/// 8-bit PNG output (grey, RGB or RGBA) through libpng: report overlays and screenshots.
public enum PNGWriter {
    /// `samples` holds rows top to bottom, `channels` (1, 3 or 4) interleaved per pixel.
    public static func write(_ samples: [UInt8], width: Int, height: Int, channels: Int, to url: URL) throws {
        guard width > 0, height > 0, [1, 3, 4].contains(channels), samples.count == width * height * channels else {
            throw KiraError.invalidArgument("\(url.path): a PNG needs width × height × channels (1, 3 or 4) samples; got \(samples.count) for \(width)×\(height)×\(channels)")
        }
        try AtomicOutput.write(to: url) { tmp in
            var message = [CChar](repeating: 0, count: 256)
            let status = samples.withUnsafeBufferPointer { b in
                kira_png_write(tmp.path, b.baseAddress, UInt32(width), UInt32(height), Int32(channels), &message)
            }
            guard status == Int32(KIRA_RASTER_OK.rawValue) else {
                let reason = String(decoding: message.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
                throw KiraError.writeFailed(path: url.path, reason: "PNG encoding failed: \(reason)")
            }
        }
    }

    /// The PNG's bytes (written through a temporary file, as libpng writes to a FILE).
    public static func data(_ samples: [UInt8], width: Int, height: Int, channels: Int) throws -> Data {
        let tmp = FileManager.default.temporaryDirectory.appendingPathComponent("kira-png-\(UUID().uuidString).png")
        defer { try? FileManager.default.removeItem(at: tmp) }
        try write(samples, width: width, height: height, channels: channels, to: tmp)
        return try Data(contentsOf: tmp)
    }
}
