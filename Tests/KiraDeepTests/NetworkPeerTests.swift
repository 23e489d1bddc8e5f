import Foundation
import KiraDeep
import KiraTestSupport
import Testing

/// torchvision's ResNet-50 and DenseNet-169 (seeded random weights, batch-norm statistics
/// moved off 0/1), exported to ONNX at test time, two 224×224 samples each: the last feature
/// map, the pooled features and the logits equal ONNX Runtime's, and the logits PyTorch's,
/// within 1e-4 of each tensor's largest magnitude (the bound; float32 SGEMM
/// summation order is all that differs).
@Suite("ResNet-50 and DenseNet-169 against ONNX Runtime and PyTorch", .serialized)
struct NetworkPeerTests {
    @Test(arguments: [("resnet50", 2048), ("densenet169", 1664)])
    func featuresAndLogitsMatch(_ arch: String, _ channels: Int) throws {
        let net = try DeepPeer.network(arch)
        let model = try DeepModel(path: net.model, keep: [net.mapName, net.pooledName])
        let out = try model.runBatch(net.input, outputs: [net.mapName, net.pooledName, net.logitsName], threads: 2)
        let map = try #require(out[net.mapName]), pooled = try #require(out[net.pooledName]), logits = try #require(out[net.logitsName])
        #expect(map.shape == [2, channels, 7, 7])
        #expect(pooled.shape == [2, channels, 1, 1])
        #expect(logits.shape == [2, 1000])
        #expect(map.shape == net.ortMap.shape && pooled.shape == net.ortPooled.shape && logits.shape == net.ortLogits.shape)
        let errors = [DeepPeer.relativeError(map, net.ortMap), DeepPeer.relativeError(pooled, net.ortPooled),
                      DeepPeer.relativeError(logits, net.ortLogits), DeepPeer.relativeError(logits, net.torchLogits)]
        #expect(errors.allSatisfy { $0 <= 1e-4 }, "\(arch): map, pooled, logits vs ONNX Runtime, logits vs PyTorch: \(errors)")
    }

    /// One sample at a time with one thread gives the same numbers as the parallel batch.
    @Test func batchSplitMatchesSingleSamples() throws {
        let net = try DeepPeer.network("resnet50")
        let model = try DeepModel(path: net.model)
        let batch = try #require(try model.runBatch(net.input, threads: 2)[net.logitsName])
        let second = try #require(try model.runBatch(net.input.sample(1), threads: 1)[net.logitsName])
        #expect(Array(batch.data[1000...]) == second.data)
    }
}
