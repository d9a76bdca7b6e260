/// `--shard i/n`: this process handles the items whose key hashes to `index` out of `count`.
/// Maps onto Kubernetes Indexed Jobs and Slurm job arrays; `loom merge` combines shard outputs.
public struct Shard: Equatable, Hashable, Sendable, CustomStringConvertible, Codable {
    public let index: Int
    public let count: Int

    public static let whole = Shard(uncheckedIndex: 0, count: 1)

    private init(uncheckedIndex: Int, count: Int) {
        self.index = uncheckedIndex
        self.count = count
    }

    public init(index: Int, count: Int) throws {
        guard count >= 1 else { throw LoomError.usage("shard count must be at least 1, got \(count)", key: "shard") }
        guard index >= 0, index < count else {
            throw LoomError.usage("shard index must be in 0..<\(count), got \(index)", key: "shard")
        }
        self.init(uncheckedIndex: index, count: count)
    }

    /// Parses "i/n" (for example "3/8").
    public init(parsing text: String) throws {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let i = Int(parts[0]), let n = Int(parts[1]) else {
            throw LoomError.usage("expected --shard i/n (for example 0/4), got '\(text)'", key: "shard")
        }
        try self.init(index: i, count: n)
    }

    public var isWhole: Bool { count == 1 }
    public var description: String { "\(index)/\(count)" }

    /// Whether the item with this key (an asin) belongs to this shard. FNV-1a over the UTF-8
    /// bytes: stable across processes, machines and Swift versions (unlike `Hasher`).
    public func contains(key: String) -> Bool {
        if count == 1 { return true }
        return Int(Shard.stableHash(key) % UInt64(count)) == index
    }

    public static func stableHash(_ key: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in key.utf8 {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01b3
        }
        return hash
    }
}
