import COpenJPEG

/// One decoded JPEG 2000 frame, owned until deinit.
final class J2KImage {
    private let handle: OpaquePointer
    let width: Int, height: Int, components: Int, precision: Int, isSigned: Bool

    init(_ bytes: [UInt8], threads: Int = 1) throws(DcmtkFailure) {
        var out: OpaquePointer?
        var msg = [CChar](repeating: 0, count: 512)
        let n = Int32(clamping: threads)
        let rc = bytes.withUnsafeBufferPointer { kira_j2k_decode($0.baseAddress, $0.count, n, &out, &msg, msg.count) }
        guard rc == 0, let out else { throw .other(cText(msg)) }
        handle = out
        var w: UInt32 = 0, h: UInt32 = 0, c: UInt32 = 0, p: UInt32 = 0
        var s: Int32 = 0
        kira_j2k_info(out, &w, &h, &c, &p, &s)
        width = Int(w); height = Int(h); components = Int(c); precision = Int(p); isSigned = s != 0
    }

    deinit { kira_j2k_free(handle) }

    /// Samples of one component, row by row; nil when the component is subsampled. Valid
    /// while this object lives.
    func component(_ c: Int) -> UnsafeBufferPointer<Int32>? {
        guard let p = kira_j2k_component(handle, UInt32(c)) else { return nil }
        return UnsafeBufferPointer(start: p, count: width * height)
    }
}
