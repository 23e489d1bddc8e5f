import Foundation
import KiraCore

/// The DICOM files of one synthetic case. Identity fields are synthetic ("SYNTH^0001"),
/// PatientIdentityRemoved is YES, and every UID derives from the seed (`SynthUID`).
struct SynthDICOM {
    var c: SynthCase
    var seed: UInt64

    static let mrStorage = "1.2.840.10008.5.1.4.1.1.4"
    static let mgStorage = "1.2.840.10008.5.1.4.1.1.1.2"
    static let usStorage = "1.2.840.10008.5.1.4.1.1.6.1"
    /// (0002,0012): names the writer, so the same for every cohort.
    static let implementationUID = SynthUID.make(seed: 0, 0x494D_504C)

    func uid(_ parts: UInt64...) -> String {
        var state = UInt64(c.index)
        for p in parts { state = SynthUID.mix(state ^ p) }
        return SynthUID.make(seed: seed, UInt64(c.index), state)
    }

    /// Elements every file of the case shares: patient, study, equipment.
    func common(modality: String, sopClass: String, series: UInt64, seriesNumber: Int, description: String) -> DICOMDataSet {
        let centre = SynthCentre.all[c.centre]
        let number = String(format: "%04d", c.index + 1)
        var d = DICOMDataSet()
        d.set(0x0008, 0x0016, "UI", sopClass)
        d.set(0x0008, 0x0020, "DA", "20260101")
        d.set(0x0008, 0x0021, "DA", "20260101")
        d.set(0x0008, 0x0030, "TM", "120000")
        d.set(0x0008, 0x0050, "SH", "SYN\(number)")
        d.set(0x0008, 0x0060, "CS", modality)
        d.set(0x0008, 0x0070, "LO", "Kira synthetic scanner")
        d.set(0x0008, 0x0080, "LO", "Synthetic centre \(centre.name)")
        d.set(0x0008, 0x103E, "LO", description)
        d.set(0x0010, 0x0010, "PN", "SYNTH^\(number)")
        d.set(0x0010, 0x0020, "LO", "SYNTH\(number)")
        d.set(0x0010, 0x0040, "CS", "F")
        d.set(0x0012, 0x0062, "CS", "YES")
        d.set(0x0012, 0x0063, "LO", "synthetic data from kira synth; no real patient")
        d.set(0x0020, 0x000D, "UI", uid(1))
        d.set(0x0020, 0x000E, "UI", uid(series))
        d.set(0x0020, 0x0010, "SH", "1")
        d.set(0x0020, 0x0011, "IS", String(seriesNumber))
        d.set(0x0028, 0x0002, us: 1)
        d.set(0x0028, 0x0004, "CS", "MONOCHROME2")
        return d
    }

    static func pixelBytes16(_ v: ArraySlice<UInt16>) -> Data {
        var bytes = [UInt8](repeating: 0, count: v.count * 2)
        var i = 0
        for x in v {
            bytes[i] = UInt8(truncatingIfNeeded: x)
            bytes[i + 1] = UInt8(truncatingIfNeeded: x >> 8)
            i += 2
        }
        return Data(bytes)
    }

    /// An MR series, one file per slice and phase, named IM_0001.dcm … in the folder.
    /// Phases share positions and differ in TemporalPositionIdentifier, AcquisitionNumber and
    /// AcquisitionTime, which is how a DICOM reader tells them apart within one series.
    func writeMR(_ img: SynthImage, folder: URL, series: UInt64, seriesNumber: Int, description: String,
                 repetitionTime: Double, echoTime: Double) throws {
        let g = img.geometry, nz = g.size.z, plane = g.size.x * g.size.y
        var base = common(modality: "MR", sopClass: Self.mrStorage, series: series, seriesNumber: seriesNumber, description: description)
        base.set(0x0008, 0x0008, "CS", "ORIGINAL\\PRIMARY\\M\\NONE")
        base.set(0x0018, 0x0020, "CS", "GR")
        base.set(0x0018, 0x0050, decimals: [g.spacing.z])
        base.set(0x0018, 0x0080, decimals: [repetitionTime])
        base.set(0x0018, 0x0081, decimals: [echoTime])
        base.set(0x0018, 0x0087, decimals: [1.5])
        base.set(0x0020, 0x0037, decimals: img.orientation!)
        base.set(0x0020, 0x0052, "UI", uid(2))
        base.set(0x0028, 0x0010, us: g.size.y)
        base.set(0x0028, 0x0011, us: g.size.x)
        base.set(0x0028, 0x0030, decimals: [g.spacing.y, g.spacing.x])
        base.set(0x0028, 0x0100, us: 16)
        base.set(0x0028, 0x0101, us: 16)
        base.set(0x0028, 0x0102, us: 15)
        base.set(0x0028, 0x0103, us: 0)
        base.set(0x0028, 0x1052, decimals: [img.intercept])
        base.set(0x0028, 0x1053, decimals: [img.slope])
        if img.timepoints > 1 { base.set(0x0020, 0x0105, "IS", String(img.timepoints)) }
        let implementation = Self.implementationUID
        for t in 0..<img.timepoints {
            for z in 0..<nz {
                let instance = t * nz + z + 1
                var d = base
                d.set(0x0008, 0x0018, "UI", uid(series, UInt64(instance)))
                // Each phase takes 90 s.
                let seconds = 12 * 3600 + 90 * t
                d.set(0x0008, 0x0032, "TM", String(format: "%02d%02d%02d", seconds / 3600, seconds / 60 % 60, seconds % 60))
                d.set(0x0020, 0x0012, "IS", String(t + 1))
                d.set(0x0020, 0x0013, "IS", String(instance))
                d.set(0x0020, 0x0032, decimals: [img.positions![z].x, img.positions![z].y, img.positions![z].z])
                if img.timepoints > 1 { d.set(0x0020, 0x0100, "IS", String(t + 1)) }
                let start = (t * nz + z) * plane
                d.set(0x7FE0, 0x0010, "OW", bytes: Self.pixelBytes16(img.stored[start..<start + plane]))
                try DICOMPart10.write(d, implementationUID: implementation,
                                      to: folder.appendingPathComponent(String(format: "IM_%04d.dcm", instance)))
            }
        }
    }

    /// Mammogram: ImagerPixelSpacing at the detector and PixelSpacing at the breast (divided by
    /// the magnification); a reader uses PixelSpacing when both are there.
    func writeMG(_ img: SynthImage, to url: URL) throws {
        var d = common(modality: "MG", sopClass: Self.mgStorage, series: 12, seriesNumber: 3, description: "synthetic mammogram L CC")
        d.set(0x0008, 0x0008, "CS", "ORIGINAL\\PRIMARY")
        d.set(0x0008, 0x0018, "UI", uid(12, 1))
        d.set(0x0008, 0x0068, "CS", "FOR PRESENTATION")
        d.set(0x0018, 0x1114, decimals: [SynthImages.mgMagnification])
        d.set(0x0018, 0x1164, decimals: [SynthImages.mgImagerPixelSpacing, SynthImages.mgImagerPixelSpacing])
        d.set(0x0018, 0x5101, "CS", "CC")
        d.set(0x0020, 0x0013, "IS", "1")
        d.set(0x0020, 0x0020, "CS", "A\\R")
        d.set(0x0020, 0x0062, "CS", "L")
        d.set(0x0028, 0x0010, us: img.geometry.size.y)
        d.set(0x0028, 0x0011, us: img.geometry.size.x)
        d.set(0x0028, 0x0030, decimals: [img.geometry.spacing.y, img.geometry.spacing.x])
        d.set(0x0028, 0x0100, us: 16)
        d.set(0x0028, 0x0101, us: 12)
        d.set(0x0028, 0x0102, us: 11)
        d.set(0x0028, 0x0103, us: 0)
        d.set(0x0028, 0x1040, "CS", "LIN")
        d.set(0x2050, 0x0020, "CS", "IDENTITY")
        d.set(0x7FE0, 0x0010, "OW", bytes: Self.pixelBytes16(img.stored[...]))
        try DICOMPart10.write(d, implementationUID: Self.implementationUID, to: url)
    }

    /// Ultrasound: no PixelSpacing; the calibration is the region's PhysicalDeltaX/Y in cm.
    func writeUS(_ img: SynthImage, to url: URL) throws {
        var d = common(modality: "US", sopClass: Self.usStorage, series: 13, seriesNumber: 4, description: "synthetic breast ultrasound")
        d.set(0x0008, 0x0008, "CS", "ORIGINAL\\PRIMARY")
        d.set(0x0008, 0x0018, "UI", uid(13, 1))
        var region = DICOMDataSet()
        region.set(0x0018, 0x6012, us: 1)  // RegionSpatialFormat: 2D
        region.set(0x0018, 0x6014, us: 1)  // RegionDataType: tissue
        region.set(0x0018, 0x6016, ul: 0)
        region.set(0x0018, 0x6018, ul: 0)
        region.set(0x0018, 0x601A, ul: 0)
        region.set(0x0018, 0x601C, ul: img.geometry.size.x - 1)
        region.set(0x0018, 0x601E, ul: img.geometry.size.y - 1)
        region.set(0x0018, 0x6024, us: 3)  // cm
        region.set(0x0018, 0x6026, us: 3)
        region.set(0x0018, 0x602C, fd: SynthImages.usDeltaCm.x)
        region.set(0x0018, 0x602E, fd: SynthImages.usDeltaCm.y)
        d.set(0x0018, 0x6011, sequence: [region])
        d.set(0x0020, 0x0013, "IS", "1")
        d.set(0x0028, 0x0010, us: img.geometry.size.y)
        d.set(0x0028, 0x0011, us: img.geometry.size.x)
        d.set(0x0028, 0x0100, us: 8)
        d.set(0x0028, 0x0101, us: 8)
        d.set(0x0028, 0x0102, us: 7)
        d.set(0x0028, 0x0103, us: 0)
        d.set(0x7FE0, 0x0010, "OB", bytes: Data(img.stored.map { UInt8($0) }))
        try DICOMPart10.write(d, implementationUID: Self.implementationUID, to: url)
    }
}
