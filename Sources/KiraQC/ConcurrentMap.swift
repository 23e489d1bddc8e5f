import Foundation

/// Results written by index from concurrent workers; each index is written once.
private final class Slots<T>: @unchecked Sendable {
    var values: [T?]
    let lock = NSLock()
    init(_ n: Int) { values = Array(repeating: nil, count: n) }
    func set(_ i: Int, _ v: T) { lock.lock(); values[i] = v; lock.unlock() }
}

/// `(0..<n).map(body)` spread over the cores.
func concurrentMap<T>(_ n: Int, _ body: (Int) -> T) -> [T] {
    let slots = Slots<T>(n)
    withoutActuallyEscaping(body) { body in
        let shared = UncheckedSendable(body)
        DispatchQueue.concurrentPerform(iterations: n) { slots.set($0, shared.value($0)) }
    }
    return slots.values.map { $0! }
}

/// The closure only reads shared, immutable inputs (tables, indices); each call writes its own slot.
private struct UncheckedSendable<T>: @unchecked Sendable {
    let value: T
    init(_ v: T) { value = v }
}
