import Foundation
import LoomCore
import Testing
@testable import LoomTokenizers

/// The 716 reference cases of HF tokenizers (bert-base-uncased vocabulary): identical tokens and ids.
@Suite struct WordPieceReferenceTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let tokenizer = WordPieceTokenizer(vocabulary: try! WordPieceVocabulary(
        path: root.appendingPathComponent("Models/wordpiece/vocab.txt").path))

    struct Case: Decodable {
        var source: String
        var key: String
        var text: String
        var wordpiece_tokens: [String]
        var input_ids_max256: [Int32]
    }

    struct Reference: Decodable {
        var cases: [Case]
    }

    static func cases() throws -> [Case] {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Resources/bert_wordpiece_uncased_vectors.json.gz").path
        let source = try ByteSource(path: path)
        var bytes: [UInt8] = []
        while try source.read(appendingTo: &bytes, maximum: 1 << 20) > 0 {}
        return try JSONDecoder().decode(Reference.self, from: Data(bytes)).cases
    }

    @Test func allReferenceCasesGiveIdenticalTokensAndIds() throws {
        let cases = try WordPieceReferenceTests.cases()
        #expect(cases.count == 716)
        var mismatches: [String] = []
        for reference in cases {
            let tokens = WordPieceReferenceTests.tokenizer.tokens(reference.text)
            let ids = WordPieceReferenceTests.tokenizer.encode(reference.text, maxLength: 256).ids
            if tokens != reference.wordpiece_tokens || ids != reference.input_ids_max256 {
                mismatches.append("\(reference.source) \(reference.key): \(reference.text.prefix(60)) → \(tokens.prefix(12)) expected \(reference.wordpiece_tokens.prefix(12))")
            }
        }
        #expect(mismatches.isEmpty, "\(mismatches.count) mismatches, first: \(mismatches.prefix(3))")
    }

    /// The reference follows HF tokenizers: a word of more than 100 characters is one [UNK]
    /// (google-research/bert's tokenization.py would split the 101-character word into pieces).
    @Test func wordsOverAHundredCharactersAreUnknown() {
        let tokenizer = WordPieceReferenceTests.tokenizer
        #expect(tokenizer.tokens(String(repeating: "x", count: 101) + " overlong token") == ["[UNK]", "over", "##long", "token"])
        #expect(tokenizer.tokens(String(repeating: "x", count: 100)).first != "[UNK]")
    }

    @Test func truncationKeepsTheFinalSeparator() {
        let tokenizer = WordPieceReferenceTests.tokenizer
        let long = Array(repeating: "black leather ankle boots", count: 40).joined(separator: " ")
        for maxLength in [2, 3, 8, 64] {
            let encoding = tokenizer.encode(long, maxLength: maxLength)
            #expect(encoding.ids.count == maxLength)
            #expect(encoding.ids.first == tokenizer.vocabulary.classID)
            #expect(encoding.ids.last == tokenizer.vocabulary.separatorID)
            #expect(encoding.truncated)
        }
        #expect(!tokenizer.encode("boots", maxLength: 64).truncated)
    }

    @Test func anyValidTextTokenisesWithIdsInRange() {
        var random = SeededRandom(seed: 6)
        let pools: [ClosedRange<UInt32>] = [0x20...0x7E, 0xA0...0x24F, 0x300...0x36F, 0x3040...0x30FF, 0x4E00...0x4FFF,
                                            0xAC00...0xAD00, 0x1F300...0x1F6FF, 0x0...0x1F, 0x2000...0x206F, 0xFF00...0xFFEF]
        let tokenizer = WordPieceReferenceTests.tokenizer
        for _ in 0..<2_000 {
            var text = String.UnicodeScalarView()
            for _ in 0..<random.int(in: 0...80) {
                let pool = random.pick(pools)
                if let scalar = Unicode.Scalar(UInt32(random.int(in: Int(pool.lowerBound)...Int(pool.upperBound)))) {
                    text.append(scalar)
                }
            }
            let encoding = tokenizer.encode(String(text), maxLength: 32)
            #expect(encoding.ids.allSatisfy { $0 >= 0 && Int($0) < tokenizer.vocabulary.count })
            #expect(encoding.ids.last == tokenizer.vocabulary.separatorID)
            #expect(encoding.ids.count <= 32)
        }
    }
}
