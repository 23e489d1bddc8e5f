import Foundation
import KiraDeep
import KiraTestSupport
import Testing

/// `.npy` files as NumPy writes and reads them.
@Suite("NumPy arrays")
struct NumPyArrayTests {
    @Test(arguments: ["float32", "float64", "int64", "int32"])
    func readsWhatNumPyWrites(_ dtype: String) throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kira-npy-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("a.npy").path
        try PythonPeer.run("import numpy as np, sys; np.save(sys.argv[1], (np.arange(24).reshape(2, 3, 4) * 1.5 - 7).astype(np.\(dtype)))", arguments: [path])
        let t = try NumPyArray.read(path)
        #expect(t.shape == [2, 3, 4])
        let expected = (0..<24).map { v -> Float in
            let x = Double(v) * 1.5 - 7
            return dtype.hasPrefix("int") ? Float(x.rounded(.towardZero)) : Float(x)
        }
        #expect(t.data == expected)
    }

    @Test func numPyReadsWhatKiraWrites() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kira-npy-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("b.npy").path
        let t = Tensor(shape: [3, 5], data: (0..<15).map { Float($0) / 3 - 1 })
        try NumPyArray.write(t, to: path)
        let out = try PythonPeer.run("import numpy as np, sys; a = np.load(sys.argv[1]); print(a.dtype, a.shape, repr(a.ravel().tolist()))", arguments: [path])
        let expectedList = "[" + t.data.map { "\(Double($0))" }.joined(separator: ", ") + "]"
        #expect(out.trimmingCharacters(in: .whitespacesAndNewlines) == "float32 (3, 5) \(expectedList)")
    }
}
