import LoomCore

/// What `text.sqlite`'s `meta` says about its ids: their width in the blobs, and the vocabulary
/// they index (its hash and size), which a model checks against its own.
public struct TokenizationMeta: Sendable {
    public var idWidth: Int
    public var vocabularyHash: String?
    public var vocabularySize: Int?

    /// Reads the meta of the text output at `path`; fails when `id_width` is missing or not 2 or 4.
    public static func read(path: String) throws -> TokenizationMeta {
        let meta = try StageMeta.read(path: path).extra
        guard let idWidth = meta["id_width"].flatMap(Int.init), idWidth == 2 || idWidth == 4 else {
            throw LoomError.badInput(path: path, position: "meta.id_width", reason: "missing or not 2 or 4")
        }
        return TokenizationMeta(idWidth: idWidth, vocabularyHash: meta["vocab_hash"], vocabularySize: meta["vocab_size"].flatMap(Int.init))
    }
}
