import Dispatch

/// Splits `0..<count` into contiguous chunks run concurrently (more chunks than cores, so a
/// slow chunk does not leave a core idle).
public func parallelChunks(_ count: Int, chunks: Int = 64, _ body: @Sendable (Range<Int>) -> Void) {
    guard count > 0 else { return }
    let n = min(count, chunks)
    let per = (count + n - 1) / n
    DispatchQueue.concurrentPerform(iterations: n) { c in
        let lo = c * per
        guard lo < count else { return }
        body(lo..<min(count, lo + per))
    }
}
