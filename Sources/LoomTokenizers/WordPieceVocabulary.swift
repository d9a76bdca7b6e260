import Foundation
import LoomCore

/// A WordPiece vocabulary (`vocab.txt`: one token per line, the line number is its id).
public struct WordPieceVocabulary: Sendable {
    public let tokens: [String]
    let ids: [String: Int32]
    public let unknownID: Int32
    public let classID: Int32
    public let separatorID: Int32
    public let paddingID: Int32

    public init(path: String) throws {
        try self.init(tokens: try WordPieceVocabulary.lines(path: path), source: path)
    }

    /// The lines of a vocabulary file (one token per line, no trailing empty line).
    public static func lines(path: String) throws -> [String] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw LoomError.inputMissing(path: path, reason: "vocabulary file not found")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw LoomError.badInput(path: path, position: nil, reason: "vocabulary is not UTF-8")
        }
        var tokens = text.split(separator: "\n", omittingEmptySubsequences: false).map { line in
            line.hasSuffix("\r") ? String(line.dropLast()) : String(line)
        }
        if tokens.last == "" { tokens.removeLast() }
        return tokens
    }

    public init(tokens: [String], source: String = "vocabulary") throws {
        self.tokens = tokens
        var ids: [String: Int32] = [:]
        ids.reserveCapacity(tokens.count)
        for (index, token) in tokens.enumerated() where ids[token] == nil { ids[token] = Int32(index) }
        self.ids = ids
        func special(_ token: String) throws -> Int32 {
            guard let id = ids[token] else {
                throw LoomError.badInput(path: source, position: nil, reason: "vocabulary lacks \(token)")
            }
            return id
        }
        unknownID = try special("[UNK]")
        classID = try special("[CLS]")
        separatorID = try special("[SEP]")
        paddingID = try special("[PAD]")
    }

    public var count: Int { tokens.count }

    public func id(of token: String) -> Int32? { ids[token] }
}
