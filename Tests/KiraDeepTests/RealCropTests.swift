import Foundation
import KiraDeep
import KiraTestSupport
import Testing

/// `kira deep features` on the two 2D modalities of the seed studies, from real DICOM in
/// ../shared/reference: a grey ultrasound (JPEG lossless, 768×1024) and the CBIS-DDSM
/// mammogram (16-bit RLE, 4736×2624), each converted by `kira convert`, with an elliptical
/// mask drawn at a fixed place (the files come without segmentations). Tumour and 5 mm ring
/// crops: the network input equals the NumPy + PyTorch construction of DeepCropTests within
/// 1e-5, and the pooled features equal ONNX Runtime's on that input within 1e-4 relative.
@Suite("Deep features of real ultrasound and mammography crops", .serialized)
struct RealCropTests {
    static let samples = TestPaths.packageRoot.deletingLastPathComponent().appendingPathComponent("shared/reference/dicom/samples")

    /// (file under samples/, network): each architecture on one modality here; breast1 in
    /// DeepCropTests runs both on MRI.
    static let cases = [("us/pdd_JPGLosslessP14SV1_1s_1f_8b.dcm", "resnet50"), ("mg/cbisddsm_P00820_LEFT_CC_rle.dcm", "densenet169")]

    @Test(arguments: cases)
    func realCropsEqualNumPyAndONNXRuntime(_ file: String, _ arch: String) throws {
        let dicom = Self.samples.appendingPathComponent(file)
        guard FileManager.default.fileExists(atPath: dicom.path) else { print("skipped: needs ../shared/reference (\(file))"); return }
        let dir = try DeepCropTests.scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let converted = dir.appendingPathComponent("nifti")
        let c = try KiraRun.run(["convert", dicom.path, "-o", converted.path, "-q"])
        #expect(c.status == 0, "\(c.stderr)")
        let nifti = try #require(try FileManager.default.contentsOfDirectory(atPath: converted.path).first { $0.hasSuffix(".nii") || $0.hasSuffix(".nii.gz") })
        let image = converted.appendingPathComponent(nifti).path
        let mask = dir.appendingPathComponent("mask.nii.gz").path
        let imgNpy = dir.appendingPathComponent("image.npy").path, mskNpy = dir.appendingPathComponent("mask.npy").path
        // An ellipse a tenth of the image across, left of and above the centre, so that the
        // 5 mm ring stays inside the image at either file's pixel spacing.
        let spacing = try PythonPeer.run("""
        import SimpleITK as sitk, numpy as np, sys
        img = sitk.ReadImage(sys.argv[1])
        a = sitk.GetArrayFromImage(img)
        _, h, w = a.shape
        yy, xx = np.mgrid[0:h, 0:w]
        m = ((((yy - 0.45 * h) / (0.1 * h)) ** 2 + ((xx - 0.4 * w) / (0.08 * w)) ** 2) <= 1).astype(np.uint8)[None]
        out = sitk.GetImageFromArray(m)
        out.CopyInformation(img)
        sitk.WriteImage(out, sys.argv[2])
        np.save(sys.argv[3], a)
        np.save(sys.argv[4], m)
        print("%r %r" % (img.GetSpacing()[0], img.GetSpacing()[1]))
        """, arguments: [image, mask, imgNpy, mskNpy]).split(separator: " ").map { String($0).trimmingCharacters(in: .whitespacesAndNewlines) }
        let net = try DeepPeer.network(arch)
        let inputs = dir.appendingPathComponent("inputs")
        let csv = dir.appendingPathComponent("f.csv").path
        let r = try KiraRun.run(["deep", "features", "--model", net.model, "--image", image, "--mask", mask, "--crop", "tumour",
                                 "--crop", "tumour+ring:5mm", "--input", "2d", "--prefix", arch, "--threads", "2",
                                 "--save-inputs", inputs.path, "-o", csv])
        #expect(r.status == 0, "\(r.stderr)")
        let (names, values) = try DeepCropTests.features(csv)
        let per = values.count / 2
        #expect(names.count == values.count && names[per] == "\(arch)_peri5mm_f0001")
        for (k, (label, ring)) in [("tumour", "0"), ("peri5mm", "5")].enumerated() {
            let kiraInput = try NumPyArray.read(inputs.appendingPathComponent("\(label).npy").path)
            let refPath = dir.appendingPathComponent("ref-\(label).npy").path
            let peer = try runProcess(URL(fileURLWithPath: "/usr/bin/python3"), [
                PythonPeer.scripts.appendingPathComponent("deep_crop_reference.py").path, imgNpy, mskNpy, spacing[0], spacing[1],
                ring, "2d", "224", "224", refPath,
            ])
            #expect(peer.status == 0, "\(peer.stderr)")
            let ref = try NumPyArray.read(refPath)
            #expect(kiraInput.shape == [1, 3, 224, 224] && ref.shape == kiraInput.shape)
            let worst = zip(kiraInput.data, ref.data).map { abs($0 - $1) }.max() ?? .infinity
            #expect(worst <= 1e-5, "\(file) \(label): input differs by \(worst); peer box \(peer.stdout)")
            let ortDir = dir.appendingPathComponent("ort-\(label)")
            try FileManager.default.createDirectory(at: ortDir, withIntermediateDirectories: true)
            _ = try PythonPeer.script("ort_features.py", [net.model, inputs.appendingPathComponent("\(label).npy").path, ortDir.path])
            let ort = try NumPyArray.read(ortDir.appendingPathComponent("pooled.npy").path)
            #expect(ort.count == per)
            let mine = Tensor(shape: [per], data: Array(values[(k * per)..<((k + 1) * per)]))
            let err = DeepPeer.relativeError(mine, Tensor(shape: [ort.count], data: ort.data))
            print("\(file) \(arch) \(label): input max |Δ| \(worst), pooled relative error \(err)")
            #expect(err <= 1e-4, "\(file) \(arch) \(label): relative error \(err)")
        }
    }
}
