/// UIDs under the 2.25 root (an integer form of a 128-bit UUID, PS3.5 B.2), derived from the
/// seed and what the UID names, so a seed gives the same UIDs on every run and every machine.
/// The 128 bits are laid out as an RFC 9562 version 8 (custom) UUID.
public enum SynthUID {
    public static func make(seed: UInt64, _ parts: UInt64...) -> String {
        var state = seed ^ 0x6B69_7261_7379_6E74  // "kirasynt"
        for p in parts { state = mix(state ^ mix(p &+ 0x9E37_79B9_7F4A_7C15)) }
        var hi = mix(state &+ 1), lo = mix(state &+ 2)
        hi = (hi & ~0xF000) | 0x8000  // version 8
        lo = (lo & ~(UInt64(3) << 62)) | (UInt64(2) << 62)  // RFC variant
        let value = UInt128(hi) << 64 | UInt128(lo)
        return "2.25.\(value)"
    }

    /// SplitMix64's finaliser: a bijective 64-bit mix.
    static func mix(_ x: UInt64) -> UInt64 {
        var z = x &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
