import Dispatch

/// The wall time a stage spends computing new rows (decoding photos, the backbone, the heads,
/// tokenising), apart from reading, copying and writing: with `reused` and `computed` counts it
/// tells what a rerun's changed rows cost. Recorded as `computed_seconds` in the report.
public struct ComputeClock: Sendable {
    private var nanoseconds: UInt64 = 0

    public init() {}

    /// Runs `body`, adding its wall time.
    public mutating func time<T>(_ body: () throws -> T) rethrows -> T {
        let start = DispatchTime.now().uptimeNanoseconds
        defer { nanoseconds += DispatchTime.now().uptimeNanoseconds - start }
        return try body()
    }

    public var seconds: Double { Double(nanoseconds) / 1e9 }

    /// The meta entry a stage returns.
    public var meta: [String: String] { ["computed_seconds": String(format: "%.3f", seconds)] }
}
