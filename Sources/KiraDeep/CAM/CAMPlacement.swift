import KiraCore

/// A Grad-CAM map taken back from the network input to the image: resized to the crop's box
/// and placed on its slice (zero elsewhere), and an overlay of the crop for reports.
public enum CAMPlacement {
    /// Values on the image grid (x fastest), the map in the crop's box on the tumour's slice.
    public static func onImageGrid(_ scaled: Tensor, record: CropRecord, geometry g: Geometry) -> [Float] {
        let (x0, x1, y0, y1) = (record.box[0], record.box[1], record.box[2], record.box[3])
        let cw = x1 - x0 + 1, ch = y1 - y0 + 1
        let resized = CropBuilder.bilinear(scaled.data.map(Double.init), width: scaled.shape[1], height: scaled.shape[0], toWidth: cw, toHeight: ch)
        var out = [Float](repeating: 0, count: g.voxelCount)
        let z = record.slice
        for y in 0..<ch {
            for x in 0..<cw { out[(z * g.size.y + y0 + y) * g.size.x + x0 + x] = Float(resized[y * cw + x]) }
        }
        return out
    }

    /// RGB pixels of the crop (rows top to bottom as stored, the intensities scaled as for the
    /// network) with the map blended in red: grey·(1 − m/2) + red·m/2.
    public static func overlay(image: Volume, scaled: Tensor, record: CropRecord) -> (pixels: [UInt8], width: Int, height: Int) {
        let (x0, x1, y0, y1) = (record.box[0], record.box[1], record.box[2], record.box[3])
        let cw = x1 - x0 + 1, ch = y1 - y0 + 1
        let m = CropBuilder.bilinear(scaled.data.map(Double.init), width: scaled.shape[1], height: scaled.shape[0], toWidth: cw, toHeight: ch)
        let span = record.high - record.low
        var px = [UInt8](repeating: 0, count: cw * ch * 3)
        for y in 0..<ch {
            for x in 0..<cw {
                let v = image[x0 + x, y0 + y, record.slice, 0]
                let grey = span > 0 ? min(max((v - record.low) / span, 0), 1) * 255 : 0
                let a = min(max(m[y * cw + x], 0), 1) / 2
                let i = (y * cw + x) * 3
                px[i] = UInt8((grey * (1 - a) + 255 * a).rounded())
                px[i + 1] = UInt8((grey * (1 - a)).rounded())
                px[i + 2] = UInt8((grey * (1 - a)).rounded())
            }
        }
        return (px, cw, ch)
    }
}
