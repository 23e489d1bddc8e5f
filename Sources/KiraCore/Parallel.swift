import Dispatch
import Foundation

/// `(0..<n).map(body)` spread over the cores, results in index order.
///
/// `workers` nil: one `concurrentPerform` iteration per index (GCD sizes the pool to the
/// cores). `workers` k: at most k threads, each taking the next index as it finishes one, so
/// a cohort's `--jobs` bounds how many cases (and their memory) are in flight at once.
/// Every index runs exactly once, even after a failure; the error of the lowest failing
/// index is then thrown, so a run's error does not depend on scheduling.
public func concurrentMap<T, E: Error>(_ n: Int, workers: Int? = nil, _ body: (Int) throws(E) -> T) throws(E) -> [T] {
    guard n > 0 else { return [] }
    let slots = IndexSlots<Result<T, E>>(n)
    withoutActuallyEscaping(body) { body in
        // The callers' closures read shared inputs and return their own value; each index's
        // result goes to its own slot.
        let shared = UncheckedSendableBox(body)
        let run: @Sendable (Int) -> Void = { i in
            do throws(E) { slots.set(i, .success(try shared.value(i))) } catch { slots.set(i, .failure(error)) }
        }
        if let workers {
            let next = IndexCounter()
            DispatchQueue.concurrentPerform(iterations: max(1, min(workers, n))) { _ in
                while let i = next.next(below: n) { run(i) }
            }
        } else {
            DispatchQueue.concurrentPerform(iterations: n, execute: run)
        }
    }
    var out: [T] = []
    out.reserveCapacity(n)
    for r in slots.take() { out.append(try r!.get()) }
    return out
}

/// `concurrentMap` for side effects only.
public func concurrentForEach<E: Error>(_ n: Int, workers: Int? = nil, _ body: (Int) throws(E) -> Void) throws(E) {
    _ = try concurrentMap(n, workers: workers, body)
}

/// Splits `0..<count` into at most `chunks` contiguous ranges of equal length (the last may
/// be shorter), run concurrently: more chunks than cores, so a slow chunk does not leave a
/// core idle, and each range is long enough for a worker to own whole rows or planes.
public func parallelChunks(_ count: Int, chunks: Int = 64, _ body: @Sendable (Range<Int>) -> Void) {
    guard count > 0 else { return }
    let n = max(1, min(count, chunks))
    let per = (count + n - 1) / n
    DispatchQueue.concurrentPerform(iterations: n) { c in
        let lo = c * per
        guard lo < count else { return }
        body(lo..<min(count, lo + per))
    }
}

/// A raw output pointer shared by workers that each write disjoint ranges.
public struct SharedPointer<T>: @unchecked Sendable {
    public let base: UnsafeMutablePointer<T>
    public init(base: UnsafeMutablePointer<T>) { self.base = base }
}

/// One result slot per index; each index is written once, so the lock only guards the storage.
private final class IndexSlots<T>: @unchecked Sendable {
    private var values: [T?]
    private let lock = NSLock()
    init(_ n: Int) { values = Array(repeating: nil, count: n) }
    func set(_ i: Int, _ v: T) { lock.lock(); values[i] = v; lock.unlock() }
    func take() -> [T?] { lock.lock(); defer { lock.unlock() }; let v = values; values = []; return v }
}

/// Hands out 0, 1, 2, … to concurrent workers.
private final class IndexCounter: @unchecked Sendable {
    private var value = 0
    private let lock = NSLock()
    func next(below limit: Int) -> Int? {
        lock.lock(); defer { lock.unlock() }
        guard value < limit else { return nil }
        value += 1
        return value - 1
    }
}

private struct UncheckedSendableBox<T>: @unchecked Sendable {
    let value: T
    init(_ v: T) { value = v }
}
