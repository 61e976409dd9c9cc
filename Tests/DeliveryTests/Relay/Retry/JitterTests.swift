import Delivery
import Testing

@Suite("Backoff jitter")
struct JitterTests {
    @Test("numbers lie in 0..<1, spread over the range, and a seed repeats its sequence")
    func spread() {
        let jitter = Jitter(seed: 42)
        let draws = (0..<10_000).map { _ in jitter.next() }
        #expect(draws.allSatisfy { (0..<1).contains($0) })
        // Ten equal buckets each get a tenth, give or take a fifth of it.
        var buckets = [Int](repeating: 0, count: 10)
        for draw in draws { buckets[Int(draw * 10)] += 1 }
        #expect(buckets.allSatisfy { (800...1200).contains($0) })
        let again = Jitter(seed: 42)
        #expect((0..<100).map { _ in again.next() } == Array(draws.prefix(100)))
        #expect(Jitter(seed: 43).next() != draws[0])
    }
}
