import Foundation

/// Results written by index from concurrent workers; each index is written once, so the
/// lock only guards the array's storage.
private final class Slots<T>: @unchecked Sendable {
    var values: [T?]
    let lock = NSLock()
    init(_ n: Int) { values = Array(repeating: nil, count: n) }
    func set(_ i: Int, _ v: T) { lock.lock(); values[i] = v; lock.unlock() }
}

/// `(0..<n).map(body)` spread over the cores with `concurrentPerform`.
func concurrentMap<T>(_ n: Int, _ body: @Sendable (Int) -> T) -> [T] {
    let slots = Slots<T>(n)
    DispatchQueue.concurrentPerform(iterations: n) { slots.set($0, body($0)) }
    return slots.values.map { $0! }
}

/// A raw output pointer shared by workers that each write disjoint ranges.
struct SharedPointer<T>: @unchecked Sendable {
    let base: UnsafeMutablePointer<T>
}
