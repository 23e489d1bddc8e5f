import Foundation
import KiraCore

/// Baseline JPEG output of 8-bit grey or RGB pixels (what scanners export beside the DICOM),
/// written atomically. JPEG has no pixel spacing, so none is kept.
public enum JPEGWriter {
    /// `samples` holds rows top to bottom, `channels` (1 or 3) interleaved per pixel.
    public static func write(_ samples: [UInt8], width: Int, height: Int, channels: Int = 1,
                             quality: Int = 95, to url: URL) throws {
        guard width > 0, height > 0, channels == 1 || channels == 3, samples.count == width * height * channels else {
            throw KiraError.invalidArgument("\(url.path): a JPEG needs width × height × channels (1 or 3) samples; got \(samples.count) for \(width)×\(height)×\(channels)")
        }
        try AtomicOutput.write(to: url) { tmp in
            try RasterBridge.encodeJPEG(samples, width: width, height: height, channels: channels, quality: quality, to: tmp.path)
        }
    }
}
