import Foundation
import KiraCore

/// One region of an RT Structure Set: its name, number and closed planar contours, each a
/// polygon of points in patient coordinates (mm, LPS).
public struct RTStructROI: Sendable {
    public let number: Int
    public let name: String
    public let contours: [[SIMD3<Double>]]
    /// Contours of other geometric types (POINT, OPEN_PLANAR, OPEN_NONPLANAR): they bound no
    /// area, so they are counted and left out of the mask.
    public let nonClosedContours: Int

    public init(number: Int, name: String, contours: [[SIMD3<Double>]], nonClosedContours: Int) {
        self.number = number; self.name = name; self.contours = contours; self.nonClosedContours = nonClosedContours
    }
}

/// The parts of an RT Structure Set (SOP class 1.2.840.10008.5.1.4.1.1.481.3) that a mask needs.
public struct RTStructFile: Sendable {
    public static let sopClassUID = "1.2.840.10008.5.1.4.1.1.481.3"
    public let url: URL
    public let rois: [RTStructROI]
    /// The image series the contours were drawn on (Referenced Frame of Reference Sequence
    /// → RT Referenced Study → RT Referenced Series), nil when the file names none.
    public let referencedSeriesUID: String?

    /// True when `url` is a DICOM file whose SOP class is RT Structure Set; false for
    /// folders, other files and anything unreadable (only the start of the file is parsed).
    public static func isRTStruct(_ url: URL) -> Bool {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDir), !isDir.boolValue else { return false }
        guard let f = try? DcmtkFile(url: url, maxReadLength: 256) else { return false }
        return f.string("(0008,0016)") == sopClassUID
    }

    public init(url: URL) throws {
        self.url = url
        let path = url.path
        let f: DcmtkFile
        do { f = try DcmtkFile(url: url, maxReadLength: 0) } catch { throw FrameDecoder.kiraError(error, path: path) }
        let sop = f.string("(0008,0016)")
        guard sop == Self.sopClassUID else {
            throw KiraError.unsupportedFormat(path: path, reason: "not an RT Structure Set (SOP class \(sop.map(SOPClassNames.describe) ?? "none"))")
        }
        referencedSeriesUID = f.string("(3006,0010)[0].(3006,0012)[0].(3006,0014)[0].(0020,000E)")
            .flatMap { $0.isEmpty ? nil : $0 }
        var names: [Int: String] = [:]
        var order: [Int] = []
        for i in 0..<f.sequenceCount("(3006,0020)") {
            guard let n = DICOMValue.int(f.string("(3006,0020)[\(i)].(3006,0022)")) else { continue }
            names[n] = f.string("(3006,0020)[\(i)].(3006,0026)") ?? ""
            order.append(n)
        }
        var contoursOf: [Int: [[SIMD3<Double>]]] = [:]
        var openOf: [Int: Int] = [:]
        for i in 0..<f.sequenceCount("(3006,0039)") {
            guard let n = DICOMValue.int(f.string("(3006,0039)[\(i)].(3006,0084)")) else { continue }
            let base = "(3006,0039)[\(i)].(3006,0040)"
            for j in 0..<f.sequenceCount(base) {
                let item = "\(base)[\(j)]"
                let type = (f.string("\(item).(3006,0042)") ?? "").uppercased()
                guard type == "CLOSED_PLANAR" else { openOf[n, default: 0] += 1; continue }
                let values = (f.string("\(item).(3006,0050)") ?? "").split(separator: "\\")
                var points: [SIMD3<Double>] = []
                points.reserveCapacity(values.count / 3)
                var k = 0
                while k + 2 < values.count {
                    guard let x = Double(values[k].trimmingCharacters(in: .whitespaces)),
                          let y = Double(values[k + 1].trimmingCharacters(in: .whitespaces)),
                          let z = Double(values[k + 2].trimmingCharacters(in: .whitespaces)),
                          x.isFinite, y.isFinite, z.isFinite else {
                        throw KiraError.unsupportedFormat(path: path, reason: "contour \(j + 1) of ROI \(names[n] ?? String(n)) has a value that is not a finite number near point \(k / 3 + 1)")
                    }
                    points.append(SIMD3(x, y, z))
                    k += 3
                }
                if values.count % 3 != 0 {
                    throw KiraError.unsupportedFormat(path: path, reason: "contour \(j + 1) of ROI \(names[n] ?? String(n)) has \(values.count) coordinates, not a multiple of 3")
                }
                if points.count >= 3 { contoursOf[n, default: []].append(points) }
            }
            if names[n] == nil { names[n] = ""; order.append(n) }
        }
        rois = order.map { RTStructROI(number: $0, name: names[$0] ?? "", contours: contoursOf[$0] ?? [], nonClosedContours: openOf[$0] ?? 0) }
    }

    /// The ROI named `name` (exact match first, then ignoring case), or, with `name` nil,
    /// the only ROI. The error lists the names present.
    public func roi(named name: String?) throws -> RTStructROI {
        let list = rois.isEmpty ? "none" : rois.map { "\"\($0.name)\"" }.joined(separator: ", ")
        guard let name else {
            guard rois.count == 1 else {
                throw KiraError.invalidArgument("\(url.path) holds \(rois.count) ROIs; choose one with --roi (ROIs present: \(list))")
            }
            return rois[0]
        }
        if let r = rois.first(where: { $0.name == name }) ?? rois.first(where: { $0.name.lowercased() == name.lowercased() }) {
            return r
        }
        throw KiraError.invalidArgument("\(url.path) has no ROI named \"\(name)\"; ROIs present: \(list)")
    }
}
