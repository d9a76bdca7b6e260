/// Why a record was rejected: a stable code for `rejects.reason`, and whether it counts toward
/// `max_reject_ratio` (a duplicate line is recorded but is not bad data).
public struct RejectReason: Hashable, Sendable, CustomStringConvertible {
    public let code: String
    public let countsTowardLimit: Bool

    public init(_ code: String, countsTowardLimit: Bool = true) {
        self.code = code
        self.countsTowardLimit = countsTowardLimit
    }

    public var description: String { code }
}
