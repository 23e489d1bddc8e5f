import Foundation
import KiraCore
import Testing

/// The one parallel helper the readers, filters and cohorts share: results in index order,
/// every index run exactly once, the worker bound kept, the lowest failing index's error
/// thrown after every index has run, and chunks that tile the range.
@Suite struct ParallelTests {
    /// Counts calls per index and the most calls in flight at once, from any thread.
    final class Tally: @unchecked Sendable {
        private let lock = NSLock()
        private(set) var calls: [Int]
        private var active = 0
        private(set) var peak = 0
        init(_ n: Int) { calls = Array(repeating: 0, count: n) }
        func enter(_ i: Int) { lock.lock(); calls[i] += 1; active += 1; peak = max(peak, active); lock.unlock() }
        func leave() { lock.lock(); active -= 1; lock.unlock() }
    }

    struct Failure: Error, Equatable { let index: Int }

    /// Later indices finish first (shorter sleeps), so any ordering by completion shows.
    @Test(arguments: [nil, 1, 2, 3] as [Int?])
    func resultsInIndexOrderEachIndexOnce(workers: Int?) {
        let n = 200
        let tally = Tally(n)
        let out = concurrentMap(n, workers: workers) { i -> Int in
            tally.enter(i)
            defer { tally.leave() }
            usleep(UInt32((n - i) % 7) * 50)
            return i * i + 1
        }
        #expect(out == (0..<n).map { $0 * $0 + 1 })
        #expect(tally.calls == Array(repeating: 1, count: n))
        if let workers { #expect(tally.peak <= workers) }
    }

    /// Indices 13 and 57 fail; every index still runs, and 13's error is the one thrown.
    @Test(arguments: [nil, 2] as [Int?])
    func lowestFailingIndexErrorPropagates(workers: Int?) {
        let n = 100
        let tally = Tally(n)
        #expect(throws: Failure(index: 13)) {
            _ = try concurrentMap(n, workers: workers) { (i: Int) throws(Failure) -> Int in
                tally.enter(i)
                defer { tally.leave() }
                if i == 57 || i == 13 { throw Failure(index: i) }
                return i
            }
        }
        #expect(tally.calls == Array(repeating: 1, count: n))
    }

    @Test func emptyInputRunsNothing() {
        let out: [Int] = concurrentMap(0) { _ in Issue.record("called"); return 0 }
        #expect(out.isEmpty)
        parallelChunks(0) { _ in Issue.record("called") }
    }

    /// Ranges are contiguous, of ⌈count/chunks⌉ elements except the last, at most `chunks`
    /// of them, and cover 0..<count exactly once.
    @Test(arguments: [(1, 64), (63, 64), (64, 64), (65, 64), (1000, 64), (1000, 7), (5, 128), (300, 1)])
    func chunksTileTheRange(count: Int, chunks: Int) {
        final class Ranges: @unchecked Sendable {
            let lock = NSLock()
            var all: [Range<Int>] = []
        }
        let ranges = Ranges()
        let covered = Tally(count)
        parallelChunks(count, chunks: chunks) { r in
            ranges.lock.lock(); ranges.all.append(r); ranges.lock.unlock()
            for i in r { covered.enter(i); covered.leave() }
        }
        let sorted = ranges.all.sorted { $0.lowerBound < $1.lowerBound }
        let per = (count + min(count, chunks) - 1) / min(count, chunks)
        #expect(covered.calls == Array(repeating: 1, count: count))
        #expect(sorted.count <= chunks)
        #expect(sorted.first?.lowerBound == 0 && sorted.last?.upperBound == count)
        #expect(zip(sorted, sorted.dropFirst()).allSatisfy { $0.upperBound == $1.lowerBound })
        #expect(sorted.dropLast().allSatisfy { $0.count == per })
        #expect((sorted.last?.count ?? 0) <= per)
    }
}
