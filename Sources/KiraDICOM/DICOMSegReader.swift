import Foundation
import KiraCore

/// DICOM Segmentation objects (binary or fractional) as one label volume.
public enum DICOMSegReader {
    /// Reads a SEG file into a label volume on the grid its frames span: each voxel holds
    /// the number of the segment covering it (0 = none; when segments overlap, the higher
    /// number wins). uint8 when every segment number fits, else int32. Fractional
    /// segments count where the value exceeds half of MaximumFractionalValue.
    public static func read(_ url: URL) throws -> Volume {
        let path = url.path
        let f: DcmtkFile
        do { f = try DcmtkFile(url: url, maxReadLength: 0) } catch { throw FrameDecoder.kiraError(error, path: path) }
        guard f.string("(0008,0016)") == "1.2.840.10008.5.1.4.1.1.66.4" else {
            throw KiraError.unsupportedFormat(path: path, reason: "not a DICOM Segmentation (SOP class \(f.string("(0008,0016)") ?? "none"))")
        }
        let header = try HeaderReader.read(f, url: url)
        let rows = header.rows, cols = header.columns
        let bits = header.bitsAllocated
        let fractional = (f.string("(0062,0001)") ?? "BINARY").uppercased() == "FRACTIONAL"
        let maxFraction = Double(DICOMValue.int(f.string("(0062,000E)")) ?? 255)
        let raw: [UInt8]
        do { raw = try f.pixelBytes() } catch { throw FrameDecoder.kiraError(error, path: path) }

        var segmentOfFrame: [Int] = []
        for i in 0..<header.numberOfFrames {
            let n = DICOMValue.int(f.string("(5200,9230)[\(i)].(0062,000A)[0].(0062,000B)"))
                ?? DICOMValue.int(f.string("(5200,9229)[0].(0062,000A)[0].(0062,000B)")) ?? 1
            // Segment numbers are US; a larger one (a mangled VR) overflowed the Int32 labels.
            guard (0...65535).contains(n) else {
                throw KiraError.unsupportedFormat(path: path, reason: "segment number \(n) of frame \(i + 1) is not between 0 and 65535")
            }
            segmentOfFrame.append(n)
        }
        guard let o = header.frames.first?.orientation, header.frames.allSatisfy({ $0.position != nil }) else {
            throw KiraError.invalidGeometry(path: path, reason: "segmentation frames lack plane position or orientation")
        }
        let row = SIMD3(o[0], o[1], o[2]), col = SIMD3(o[3], o[4], o[5])
        let normal = cross(row, col)
        let ps = header.frames[0].pixelSpacing ?? [1, 1]
        guard ps.count >= 2, ps[0] > 0, ps[1] > 0 else {
            throw KiraError.invalidGeometry(path: path, reason: "pixel spacing \(ps) is not positive")
        }
        let d = header.frames.map { dot($0.position!, normal) }
        let distinct = d.sorted().reduce(into: [Double]()) { acc, x in if acc.last.map({ x - $0 > 1e-3 }) ?? true { acc.append(x) } }
        // Frames exist only where a segment is present, so the slice step is the declared
        // spacing, else the smallest gap between frames.
        var dz = DICOMValue.double(f.string("(5200,9229)[0].(0028,9110)[0].(0018,0088)"))
            ?? DICOMValue.double(f.string("(0018,0088)"))
            ?? zip(distinct.dropFirst(), distinct).map { $0 - $1 }.min() ?? header.frames[0].sliceThickness ?? 1
        if !(dz > 0) { dz = 1 }
        let d0 = distinct.first ?? 0
        // A declared slice spacing far below the frames' gaps makes a huge (or unrepresentable) grid.
        let steps = distinct.count > 1 ? ((distinct.last! - d0) / dz).rounded() + 1 : 1
        guard let nz = AllocationBudget.count(steps) else {
            throw KiraError.tooLarge(subject: "\(path): segmentation grid", reason: "\(steps) slices of \(dz) mm")
        }
        let first = header.frames[d.firstIndex(of: d.min()!)!].position!
        let g = Geometry(size: [cols, rows, nz], spacing: [ps[1], ps[0], dz], origin: first,
                         direction: Matrix3(columns: row, col, normal))
        if let e = g.validationErrors().first { throw KiraError.invalidGeometry(path: path, reason: e) }

        try AllocationBudget.check("\(path): segmentation grid", size: g.size, elementBytes: MemoryLayout<Int32>.size)
        var labels = [Int32](repeating: 0, count: g.voxelCount)
        let npix = rows * cols
        for (i, fr) in header.frames.enumerated() {
            let z = Int(((d[i] - d0) / dz).rounded())
            guard z >= 0, z < nz else { continue }
            let seg = Int32(segmentOfFrame[i])
            for p in 0..<npix {
                let on: Bool
                if bits == 1 {
                    let bit = i * npix + p
                    guard bit / 8 < raw.count else {
                        throw KiraError.truncated(path: path, reason: "pixel data ends inside frame \(i + 1)")
                    }
                    on = raw[bit / 8] & (1 << UInt8(bit % 8)) != 0
                } else {
                    let at = i * npix + p
                    guard at < raw.count else { throw KiraError.truncated(path: path, reason: "pixel data ends inside frame \(i + 1)") }
                    on = fractional ? Double(raw[at]) > maxFraction / 2 : raw[at] != 0
                }
                if on {
                    let k = z * npix + p
                    labels[k] = max(labels[k], seg)
                }
            }
            _ = fr
        }
        var meta: [String: MetaValue] = ["Modality": "SEG", "SegmentCount": .integer(Set(segmentOfFrame).count)]
        var names: [MetaValue] = []
        for s in 0..<f.sequenceCount("(0062,0002)") {
            let n = DICOMValue.int(f.string("(0062,0002)[\(s)].(0062,0004)")) ?? s + 1
            names.append(.object(["SegmentNumber": .integer(n), "SegmentLabel": .string(f.string("(0062,0002)[\(s)].(0062,0005)") ?? "")]))
        }
        if !names.isEmpty { meta["Segments"] = .array(names) }
        let fits = (labels.max() ?? 0) <= 255
        return try Volume(geometry: g, voxels: fits ? .uint8(labels.map { UInt8($0) }) : .int32(labels), metadata: meta)
    }
}
