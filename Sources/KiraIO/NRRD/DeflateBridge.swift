import CDeflate

/// The only Swift owner of a libdeflate decompressor. libdeflate inflates a whole buffer
/// about twice as fast as zlib's streaming inflate, which is most of the time it takes to
/// read a gzip NRRD; it needs the output size, which a NRRD header gives.
final class DeflateDecompressor {
    private let handle: OpaquePointer

    init?() {
        guard let h = libdeflate_alloc_decompressor() else { return nil }
        handle = h
    }

    deinit { libdeflate_free_decompressor(handle) }

    /// Inflates gzip members (or one zlib stream) from `input` until `output` is exactly
    /// full. false when the data is not that (corrupt, short, longer, another format): the
    /// caller then takes zlib's path, which says what is wrong.
    func inflate(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) -> Bool {
        guard input.count >= 2, let inBase = input.baseAddress, let outBase = output.baseAddress else { return output.isEmpty }
        let gzip = input[0] == 0x1F && input[1] == 0x8B
        var consumed = 0, produced = 0
        while produced < output.count, consumed < input.count {
            var usedIn = 0, madeOut = 0
            let status = gzip
                ? libdeflate_gzip_decompress_ex(handle, inBase + consumed, input.count - consumed, outBase + produced,
                                                output.count - produced, &usedIn, &madeOut)
                : libdeflate_zlib_decompress_ex(handle, inBase + consumed, input.count - consumed, outBase + produced,
                                                output.count - produced, &usedIn, &madeOut)
            guard status == LIBDEFLATE_SUCCESS, usedIn > 0 else { return false }
            consumed += usedIn
            produced += madeOut
            if !gzip { break }
        }
        return produced == output.count
    }
}
