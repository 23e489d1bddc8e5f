import Foundation
import KiraCore
import KiraIO
import KiraTestSupport
import Testing

/// The IBSI-1 phantoms (../shared/reference/ibsi) through the NIfTI and mask readers.
@Suite struct MaskIBSITests {
    static func ibsi(_ path: String) -> URL { TestPaths.reference("ibsi/\(path)") }

    /// A phantom's image and its mask, read with the mask checked against the image grid.
    static func phantom(_ name: String) throws -> (image: Volume, mask: Volume) {
        let imageURL = ibsi("\(name)/nifti/image/phantom.nii.gz")
        let image = try NIfTIReader.read(imageURL)
        let mask = try MaskReader.read(ibsi("\(name)/nifti/mask/mask.nii.gz"), label: nil,
                                       matching: image.geometry, imagePath: imageURL.path)
        return (image, mask)
    }

    @Test(.enabled(if: TestPaths.referenceAvailable, MaskReference.skipReason))
    func digitalPhantomMaskHas74Voxels() throws {
        let (image, mask) = try Self.phantom("digital_phantom")
        // README: 5×4×4 voxels, 2 mm isotropic, 74 ROI voxels, intensities 1–6 inside the ROI.
        #expect(mask.geometry == image.geometry)
        #expect(image.geometry.size == [5, 4, 4])
        #expect(image.geometry.spacing == [2, 2, 2])
        let roi = MaskReference.statistics(image, mask: mask)
        #expect(roi.count == 74)
        #expect(roi.min == 1)
        #expect(roi.max == 6)
    }

    /// `Diagnostics-initial image` and `Diagnostics-initial ROI` rows of configuration A: they
    /// describe the image and mask as read, before any interpolation or re-segmentation
    /// (configurations A–E share these values).
    static func initialDiagnostics() throws -> [String: (value: Double, tolerance: Double)] {
        let url = Self.ibsi("reference_values/ibsi1_reference_values_all_configs.csv")
        let rows = MaskReference.parseCSV(try String(contentsOf: url, encoding: .utf8))
        guard let header = rows.first, let tagCol = header.firstIndex(of: "tag"),
              let valueCol = header.firstIndex(of: "value"), let tolCol = header.firstIndex(of: "tolerance"),
              let familyCol = header.firstIndex(of: "family") else { return [:] }
        var out: [String: (Double, Double)] = [:]
        for row in rows.dropFirst() where row.count > tolCol && row[0] == "A"
            && (row[familyCol] == "Diagnostics-initial image" || row[familyCol] == "Diagnostics-initial ROI") {
            if let v = Double(row[valueCol]), let t = Double(row[tolCol]) { out[row[tagCol]] = (v, t) }
        }
        return out
    }

    @Test(.enabled(if: TestPaths.referenceAvailable, MaskReference.skipReason))
    func ctPhantomMatchesInitialDiagnostics() throws {
        let (image, mask) = try Self.phantom("ct_phantom")
        #expect(mask.geometry == image.geometry)

        let whole = MaskReference.statistics(image, mask: nil)
        let roi = MaskReference.statistics(image, mask: mask)
        let g = image.geometry
        var computed: [String: Double] = [
            "img_dim_x_init_img": Double(g.size.x), "img_dim_y_init_img": Double(g.size.y), "img_dim_z_init_img": Double(g.size.z),
            "vox_dim_x_init_img": g.spacing.x, "vox_dim_y_init_img": g.spacing.y, "vox_dim_z_init_img": g.spacing.z,
            "mean_int_init_img": whole.mean, "min_int_init_img": whole.min, "max_int_init_img": whole.max,
            "int_mask_mean_int_init_roi": roi.mean, "int_mask_min_int_init_roi": roi.min, "int_mask_max_int_init_roi": roi.max,
        ]
        for prefix in ["int_mask", "morph_mask"] {
            computed["\(prefix)_dim_x_init_roi"] = Double(g.size.x)
            computed["\(prefix)_dim_y_init_roi"] = Double(g.size.y)
            computed["\(prefix)_dim_z_init_roi"] = Double(g.size.z)
            computed["\(prefix)_bb_dim_x_init_roi"] = Double(roi.boundingBoxSize.x)
            computed["\(prefix)_bb_dim_y_init_roi"] = Double(roi.boundingBoxSize.y)
            computed["\(prefix)_bb_dim_z_init_roi"] = Double(roi.boundingBoxSize.z)
            computed["\(prefix)_vox_count_init_roi"] = Double(roi.count)
        }
        let reference = try Self.initialDiagnostics()
        // Every initial-image and initial-ROI diagnostic in the file is one computed here.
        #expect(Set(reference.keys).isSubset(of: Set(computed.keys)), "unhandled: \(Set(reference.keys).subtracting(computed.keys))")
        #expect(reference.count >= 20)
        for (tag, ref) in reference.sorted(by: { $0.key < $1.key }) {
            guard let value = computed[tag] else { continue }
            #expect(MaskReference.ibsiMatches(value, value: ref.value, tolerance: ref.tolerance),
                    "\(tag): \(value) (3 significant digits: \(MaskReference.roundToSignificant(value, 3))) vs IBSI \(ref.value) ± \(ref.tolerance)")
        }
        #expect(roi.count == 125_256)
    }
}
