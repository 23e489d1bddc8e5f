import Foundation
import KiraCore
import KiraTestSupport
import Testing

/// Issue 18 item 9: in IBSI mode a column carries a pyradiomics name only where pyradiomics
/// computes the same value. Checked against pyradiomics itself on its own test cases, with
/// the same discretisation (bin count 32: identical bin edges) and with each tool's default
/// (bin width 25, whose bin origins differ).
@Suite("IBSI-mode names against pyradiomics")
struct IBSINamingPeerTests {
    static let enabled = TestPaths.referenceAvailable && PythonPeer.has("radiomics") && PythonPeer.has("SimpleITK")
    static let skipReason = "needs the reference data and python3 with pyradiomics and SimpleITK (make peers)"

    static func pyradiomics(_ image: URL, _ mask: URL, binCount: Int?) throws -> [String: Double] {
        let script = """
        import json, logging, sys, radiomics
        from radiomics import featureextractor
        radiomics.logger.setLevel(logging.ERROR)
        kw = {"label": 1}
        if sys.argv[3] != "-": kw["binCount"] = int(sys.argv[3])
        e = featureextractor.RadiomicsFeatureExtractor(**kw)
        e.enableAllFeatures()
        r = e.execute(sys.argv[1], sys.argv[2])
        print(json.dumps({k: float(v) for k, v in r.items() if k.startswith("original_")}))
        """
        let out = try PythonPeer.run(script, arguments: [image.path, mask.path, binCount.map(String.init) ?? "-"])
        return try JSONDecoder().decode([String: Double].self, from: Data(out.utf8))
    }

    /// (name, tag, value) of Kira's IBSI-mode rows.
    static func kira(_ image: URL, _ mask: URL, binCount: Int?, dir: URL) throws -> [(name: String, tag: String, value: Double?)] {
        var args = ["features", "--image", image.path, "--mask", mask.path, "--label", "1"]
        if let binCount {
            let params = dir.appendingPathComponent("fbn.yaml")
            try "ibsi: {mode: ibsi, discretisation: {binCount: \(binCount)}}\n".write(to: params, atomically: true, encoding: .utf8)
            args += ["--params", params.path]
        }
        let r = try KiraRun.run(args)
        guard r.status == 0 else { throw KiraError.invalidData("kira features failed: \(r.stderr)") }
        let t = try CSVTable(text: r.stdout, source: "kira features")
        let names = try t.strings("name"), tags = try t.strings("tag"), values = try t.strings("value")
        return names.indices.map { (names[$0], tags[$0], Double(values[$0])) }
    }

    @Test(.enabled(if: enabled, Comment(rawValue: skipReason)), arguments: ["breast1", "brain1"], [32, nil] as [Int?])
    func sharedNamesHaveEqualValues(_ name: String, _ binCount: Int?) throws {
        let dir = try TestPaths.temporaryDirectory("kira-ibsi-names")
        defer { try? FileManager.default.removeItem(at: dir) }
        let image = TestPaths.reference("pyradiomics/data/\(name)_image.nrrd"), mask = TestPaths.reference("pyradiomics/data/\(name)_label.nrrd")
        let peer = try Self.pyradiomics(image, mask, binCount: binCount)
        let rows = try Self.kira(image, mask, binCount: binCount, dir: dir)
        var shared = 0
        for r in rows {
            guard let expected = peer[r.name] else { continue }
            shared += 1
            let v = try #require(r.value, "\(r.name) is undefined in Kira")
            #expect(abs(v - expected) <= 1e-6 * max(1, abs(expected)), "\(name) \(r.name): Kira \(v), pyradiomics \(expected)")
        }
        // Shape (but the PCA axes) and first-order statistics (but kurtosis) always share;
        // texture classes only with the bin count.
        let byTag = Dictionary(rows.map { ($0.tag, $0) }, uniquingKeysWith: { a, _ in a })
        #expect(byTag["stat_kurt"]?.name == "original_stat_kurt")
        #expect(byTag["morph_pca_maj_axis"]?.name == "original_morph_pca_maj_axis")
        #expect(byTag["ngt_coarseness_3D"]?.name == "original_ngt_coarseness_3D")
        #expect(byTag["stat_mean"]?.name == "original_firstorder_Mean")
        #expect(byTag["cm_contrast_3D_avg"]?.name == (binCount == nil ? "original_cm_contrast_3D_avg" : "original_glcm_Contrast"))
        #expect(shared == (binCount == nil ? 22 : 91), "\(name): \(shared) shared names")
        // Why the renamed ones differ: IBSI's kurtosis is pyradiomics' minus 3.
        let kurt = try #require(byTag["stat_kurt"]?.value), pyKurt = try #require(peer["original_firstorder_Kurtosis"])
        #expect(abs(kurt - (pyKurt - 3)) <= 1e-9 * abs(pyKurt))
    }
}
