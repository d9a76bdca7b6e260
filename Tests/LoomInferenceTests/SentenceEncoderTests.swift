import Foundation
import LoomCore
import LoomInference
import Testing

/// all-MiniLM-L6-v2 against Hugging Face transformers' BertModel (fp32): the 55 reference
/// sentence embeddings (cosine > 0.9999 each), the token-level activations of two texts after
/// the embeddings, the first layer and the last (max abs error < 1e-4), and the same bits in a
/// padded batch at two threads as one sequence at a time on one.
@Suite struct SentenceEncoderTests {
    static var directory: String { InferenceFixtures.models.appendingPathComponent("minilm-l6-v2").path }

    static func reference() throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: InferenceFixtures.gunzip("minilm_l6_v2_reference.json.gz")) as? [String: Any])
    }

    static func encoder() throws -> SentenceEncoder {
        try #require(FileManager.default.fileExists(atPath: directory + "/model.safetensors"),
                     "Models/minilm-l6-v2 is missing: make fetches it (scripts/fetch-minilm.sh)")
        return try SentenceEncoder(directory: directory)
    }

    @Test func sentenceEmbeddingsMatchTransformers() throws {
        let encoder = try Self.encoder()
        let cases = try #require(try Self.reference()["cases"] as? [[String: Any]])
        #expect(cases.count == 55)
        let sequences = cases.map { ($0["input_ids"] as! [Int]).map(Int32.init) }
        let alone = try sequences.map { try encoder.encode([$0], threads: 1)[0] }
        var worst = 1.0
        for (embedding, reference) in zip(alone, cases.map { $0["embedding_l2norm_meanpool"] as! [Double] }) {
            #expect(embedding.count == 384)
            let cosine = zip(embedding, reference).reduce(0.0) { $0 + Double($1.0) * $1.1 }
            worst = min(worst, cosine)
        }
        #expect(worst > 0.9999, "lowest cosine \(worst)")
        // Packed into one batch, on two threads: the same bits.
        let batched = try encoder.encode(sequences, threads: 2)
        #expect(batched == alone)
        // Batches of 7 on three threads (shares of two or three texts): the same bits again.
        let sevens = try stride(from: 0, to: sequences.count, by: 7).flatMap {
            try encoder.encode(Array(sequences[$0..<min($0 + 7, sequences.count)]), threads: 3)
        }
        #expect(sevens == alone)
        // One text with its work split over four threads (as a query embeds its phrase).
        #expect(try encoder.encode([sequences[3]], threads: 4)[0] == alone[3])
    }

    @Test func tokenActivationsMatchTransformers() throws {
        let encoder = try Self.encoder()
        let cases = try #require(try Self.reference()["token_level"] as? [[String: Any]])
        #expect(cases.count == 2)
        for reference in cases {
            let ids = (reference["input_ids"] as! [Int]).map(Int32.init)
            var layers: [Int: [Float]] = [:]
            _ = try encoder.hiddenStates([ids], threads: 1) { layer, states in layers[layer] = states }
            for (layer, key) in [(0, "embedding_output"), (1, "layer1_output"), (6, "last_hidden_state")] {
                let expected = (reference[key] as! [[Double]]).flatMap { $0 }
                let found = try #require(layers[layer])
                #expect(found.count == expected.count)
                let error = zip(found, expected).map { abs(Double($0) - $1) }.max() ?? .infinity
                #expect(error < 1e-4, "\(reference["text"] ?? ""): \(key) max abs error \(error)")
            }
        }
    }
}
