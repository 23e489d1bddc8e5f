/// The version written into sidecars and printed by `kira --version`.
public enum KiraVersion {
    public static let current = "0.1.0"
}
