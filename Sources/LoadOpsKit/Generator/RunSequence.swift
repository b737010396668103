import Synchronization

/// The run's `{seq}` counter. Atomic because every event loop draws from it; only requests whose
/// template has a `{seq}` touch it.
final class RunSequence: Sendable {
    private let counter = Atomic<UInt64>(0)

    /// The next value, starting at 1.
    @inline(__always)
    func next() -> UInt64 {
        counter.add(1, ordering: .relaxed).newValue
    }
}
