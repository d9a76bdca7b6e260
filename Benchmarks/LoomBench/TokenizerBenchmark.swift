import Crypto
import Foundation
import LoomCore
import LoomTokenizers

/// WordPiece on 100k titles and 20k HTML descriptions, at 1 and 2 threads, beside HuggingFace
/// tokenizers and flash-tokenizer on one core, with a check that all three gave the same ids.
enum TokenizerBenchmark {
    static let vocabulary = "Models/wordpiece/vocab.txt"
    static let peer = "Benchmarks/peers/tokenize_python.py"

    static func run(scratch: String, repeats: Int) throws {
        let tokenizer = WordPieceTokenizer(vocabulary: try WordPieceVocabulary(path: vocabulary))
        let real = try TextCorpus.realText()
        var random = SeededRandom(seed: 63)
        let sets: [(name: String, texts: [String])] = [
            ("100k titles", TextCorpus.titles(count: 100_000, from: real.titles, random: &random)),
            ("20k descriptions", TextCorpus.descriptions(count: 20_000, from: real.paragraphs, random: &random)),
        ]
        for set in sets {
            let average = Double(set.texts.reduce(0) { $0 + $1.utf8.count }) / Double(set.texts.count)
            let file = (scratch as NSString).appendingPathComponent("texts.txt")
            try (set.texts.joined(separator: "\n") + "\n").write(toFile: file, atomically: true, encoding: .utf8)

            var rates: [Int: Double] = [:]
            var digest = ""
            for threads in [1, 2] {
                var encoded: [[Int32]] = []
                let seconds = medianSeconds(repeats: repeats) {
                    encoded = (try? ParallelMap.map(chunks(set.texts, count: 64), threads: threads) { chunk in
                        chunk.map { tokenizer.encode($0, maxLength: 256).ids }
                    }.flatMap { $0 }) ?? []
                }
                rates[threads] = Double(set.texts.count) / seconds
                digest = idsDigest(encoded)
            }
            row("wordpiece \(set.name) (\(Int(average.rounded())) B avg), 1 thread", String(format: "%.0f /s", rates[1]!))
            row("wordpiece \(set.name), 2 threads", String(format: "%.0f /s", rates[2]!),
                String(format: "scaling %.2fx", rates[2]! / rates[1]!))
            for (name, label) in [("hf", "HF tokenizers (Rust), 1 core"), ("flash", "flash-tokenizer (C++), 1 core")] {
                let run = try runChild(["python3", peer, name, vocabulary, file])
                let fields = run.output.split(separator: " ")
                guard run.status == 0, fields.count == 2, let rate = Double(fields[0]) else {
                    row("  \(label)", "not installed", "pip install tokenizers flash-tokenizer")
                    continue
                }
                let same = fields[1].trimmingCharacters(in: .whitespacesAndNewlines) == digest
                row("  \(label)", String(format: "%.0f /s", rate),
                    String(format: "loom 1 thread / peer = %.2f, ids %@", rates[1]! / rate, same ? "identical" : "DIFFER"))
            }
        }
    }

    static func chunks(_ texts: [String], count: Int) -> [[String]] {
        let size = (texts.count + count - 1) / count
        return stride(from: 0, to: texts.count, by: size).map { Array(texts[$0..<min($0 + size, texts.count)]) }
    }

    /// SHA-256 over one line of space-separated ids per text, as the Python peers print it.
    static func idsDigest(_ encoded: [[Int32]]) -> String {
        var hasher = SHA256()
        for ids in encoded {
            hasher.update(data: Data((ids.map(String.init).joined(separator: " ") + "\n").utf8))
        }
        return hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }
}
