/// Something a stage reads, whose content decides whether its output is still fresh.
public enum StageInput: Sendable, Equatable {
    /// The output of an earlier stage in the work directory; its `meta.content_hash` is its hash.
    case stage(name: String, fileName: String)
    /// One input file (a catalog dump, a vocabulary), hashed by content.
    case file(label: String, path: String)
    /// A folder of many files (images), fingerprinted by names, sizes and modification times.
    case directory(label: String, path: String)

    public var isFile: Bool {
        if case .file = self { return true }
        return false
    }

    public var label: String {
        switch self {
        case .stage(let name, _): "stage:\(name)"
        case .file(let label, let path): "\(label):\(path)"
        case .directory(let label, let path): "\(label):\(path)"
        }
    }
}

/// An input with the hash it had when a stage ran; stored as JSON in `meta.inputs`.
public struct HashedInput: Codable, Sendable, Equatable {
    public var label: String
    public var hash: String

    public init(label: String, hash: String) {
        self.label = label
        self.hash = hash
    }
}
