import Foundation
import KiraCore
import KiraIO
import KiraRadiomics
import KiraTestSupport
import Testing

/// pyradiomics-compatible mode against pyradiomics 3.x run at test time on the same synthetic
/// image and mask, for the settings pyradiomics' baseline does not exercise: several distances,
/// asymmetric GLCM, every angle weighting, gldm_a, relative and one-sided re-segmentation,
/// outlier removal, pre-cropping, linear and nearest resampling (in-plane only too), another
/// label, force2D along another axis, and a flat ROI. Every feature pyradiomics reports,
/// 1e-6 relative; NaN in pyradiomics must be an undefined value in Kira.
@Suite struct PyradiomicsPeerSettingsTests {
    static let classes = #""featureClass": {"firstorder": null, "glcm": null, "glrlm": null, "glszm": null, "gldm": null, "ngtdm": null, "shape": null}"#
    static let classes2D = #""featureClass": {"firstorder": null, "glcm": null, "glszm": null, "shape2D": null}"#

    static let configurations: [(String, String)] = [
        ("distances", #"{"binWidth": 10, "distances": [1, 2], "symmetricalGLCM": false, "gldm_a": 1}"#),
        ("manhattan", #"{"binCount": 16, "weightingNorm": "manhattan"}"#),
        ("euclidean2D", #"{"binWidth": 10, "weightingNorm": "euclidean", "force2D": true, "force2Ddimension": 1}"#),
        ("infinityRelative", #"{"binWidth": 10, "weightingNorm": "infinity", "resegmentRange": [0.3, 0.95], "resegmentMode": "relative"}"#),
        ("outliersPreCrop", #"{"binWidth": 0.25, "normalize": true, "removeOutliers": 1.5, "preCrop": true, "padDistance": 2}"#),
        ("linearLabel2", #"{"binWidth": 10, "label": 2, "resampledPixelSpacing": [1.5, 1.5, 1.5], "interpolator": "sitkLinear", "resegmentRange": [120]}"#),
        ("nearestInPlane", #"{"binWidth": 10, "resampledPixelSpacing": [1.2, 1.2, 0], "interpolator": "sitkNearestNeighbor", "resegmentRange": [-2, 2], "resegmentMode": "sigma", "resegmentShape": true}"#),
        ("flat", #"{"binWidth": 10, "label": 3}"#),
        ("shape2D", #"{"binWidth": 10, "label": 4, "force2D": true}"#),
    ]

    static var enabled: Bool { PythonPeer.has("radiomics") && PythonPeer.has("SimpleITK") }

    /// 26×22×12 int16 image (smooth pattern + noise), a lobed ROI labelled 1, a second blob
    /// labelled 2, a constant region labelled 3 and a one-slice disc labelled 4.
    static func phantom() throws -> (Volume, Volume) {
        let size = SIMD3(26, 22, 12)
        let g = Geometry(size: size, spacing: [0.8, 0.9, 2.5], origin: [-10.5, 4.25, 30])
        var rng = SplitMix64(seed: 7)
        var image: [Int16] = [], mask: [UInt8] = []
        for z in 0..<size.z { for y in 0..<size.y { for x in 0..<size.x {
            let noise = Double(rng.next() % 60)
            let inFlat = x >= 20 && x < 24 && y >= 2 && y < 6 && z >= 2 && z < 5
            let v = inFlat ? 100 : 150 + 80 * sin(Double(x) * 0.5) * cos(Double(y) * 0.4) + 15 * Double(z) + noise
            image.append(Int16(v.rounded()))
            let dx = Double(x) - 10, dy = Double(y) - 11, dz = (Double(z) - 5.5) * 2.2
            let r = (dx * dx + dy * dy + dz * dz).squareRoot()
            let lobe = 6 + 2 * sin(3 * atan2(dy, dx))
            var label: UInt8 = r < lobe ? 1 : 0
            if (Double(x) - 20).magnitude < 3 && (Double(y) - 16).magnitude < 4 && z > 3 && z < 9 { label = 2 }
            if inFlat { label = 3 }
            if z == 10 && ((Double(x) - 5).magnitude * 1.1 + (Double(y) - 17).magnitude) < 4.5 { label = 4 }
            mask.append(label)
        } } }
        return (try Volume(geometry: g, voxels: .int16(image)), try Volume(geometry: g, voxels: .uint8(mask)))
    }

    @Test(.enabled(if: enabled, Comment(rawValue: PythonPeer.missing("radiomics"))), arguments: configurations)
    func matchesPyradiomics(_ name: String, _ settingsJSON: String) throws {
        let dir = try TestPaths.temporaryDirectory("pyrad-peer-\(name)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let (image, labels) = try Self.phantom()
        let imageURL = dir.appendingPathComponent("image.nii.gz"), maskURL = dir.appendingPathComponent("mask.nii.gz")
        try NIfTIWriter.write(image, to: imageURL)
        try NIfTIWriter.write(labels, to: maskURL)
        let doc = #"{"setting": \#(settingsJSON), "imageType": {"Original": {}}, \#(name == "shape2D" ? Self.classes2D : Self.classes)}"#
        let paramsURL = dir.appendingPathComponent("params.json")
        try doc.write(to: paramsURL, atomically: true, encoding: .utf8)

        let output = try PythonPeer.script("pyradiomics_features.py", [imageURL.path, maskURL.path, paramsURL.path])
        let peer = try #require(try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any])

        let settings = try SettingsFile.load(paramsURL)
        let readImage = try ImageFileReader.read(imageURL)
        let mask = try MaskReader.read(maskURL, label: settings.label, matching: readImage.geometry, imagePath: imageURL.path)
        let set = try FeatureExtraction.run(image: readImage, mask: mask, settings: settings)
        let (misses, worst) = PyradiomicsComparison.compare(peer, set, tolerance: 1e-6)
        print("pyradiomics peer \(name): \(peer.count - misses.count)/\(peer.count) within 1e-6, worst \(worst)")
        for m in misses { print("  miss \(name) \(m)") }
        #expect(peer.count > (name == "shape2D" ? 60 : 90))
        #expect(set.rows.count == peer.count, "Kira \(set.rows.count) features, pyradiomics \(peer.count)")
        #expect(misses.isEmpty)
    }

    /// Bad input in pyradiomics mode: a clear error, never a crash or a NaN.
    @Test func badInputs() throws {
        let (image, labels) = try Self.phantom()
        let settings = try SettingsFile.parse("setting: {binWidth: 10}", source: "inline")
        func run(_ mask: [UInt8], _ img: Volume = image) -> String {
            do {
                _ = try FeatureExtraction.run(image: img, mask: try Volume(geometry: image.geometry, voxels: .uint8(mask)), settings: settings)
                return "no error"
            } catch { return "\(error)" }
        }
        let n = image.geometry.voxelCount
        #expect(run([UInt8](repeating: 0, count: n)).contains("the mask is empty"))
        var single = [UInt8](repeating: 0, count: n); single[500] = 1
        #expect(run(single).contains("single voxel"))
        var flatLine = [UInt8](repeating: 0, count: n); flatLine[500] = 1; flatLine[501] = 1
        #expect(run(flatLine).contains("minimumROIDimensions is 2"))
        var withNaN = image.voxels.toDoubles().map(Float.init)
        let roi = labels.voxels.toDoubles().firstIndex(of: 1)!
        withNaN[roi] = .nan
        let nanImage = try Volume(geometry: image.geometry, voxels: .float32(withNaN))
        #expect(run(labels.voxels.toDoubles().map { $0 == 1 ? 1 : 0 }, nanImage).contains("non-finite"))
        let reseg = try SettingsFile.parse("setting: {resegmentRange: [100000]}", source: "inline")
        #expect(throws: KiraError.self) {
            _ = try FeatureExtraction.run(image: image, mask: try Volume(geometry: image.geometry, voxels: .uint8(labels.voxels.toDoubles().map { $0 == 1 ? 1 : 0 })), settings: reseg)
        }
    }
}
