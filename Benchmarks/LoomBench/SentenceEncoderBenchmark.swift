import Foundation
import GRDB
import LoomCore
import LoomIndex
import LoomInference
import LoomTokenizers

/// all-MiniLM-L6-v2 texts/s on 10,000 titles and 2,000 descriptions (at most 128 tokens), batches
/// of 32, at 1 and 2 threads, one pass each (about three minutes of Loom's time), beside onnxruntime running the same model built from the same
/// weights on the same token ids (`peers/minilm_onnx.py`), in the same run; and the vectors of
/// four titles from both, which must agree (cosine > 0.9999) for the race to mean anything.
enum SentenceEncoderBenchmark {
    static let directory = "Models/minilm-l6-v2"
    static let peer = "Benchmarks/peers/minilm_onnx.py"

    static func run(scratch: String, titles: Int = 10_000, descriptions: Int = 2_000, repeats: Int = 1, batch: Int = 32) throws {
        guard FileManager.default.fileExists(atPath: directory + "/model.safetensors") else {
            row("MiniLM texts/s", "skipped", "\(directory) missing: make deps fetches it")
            return
        }
        let encoder = try SentenceEncoder(directory: directory)
        let tokenizer = WordPieceTokenizer(vocabulary: try WordPieceVocabulary(path: directory + "/vocab.txt"))
        let real = try TextCorpus.realText()
        var random = SeededRandom(seed: 23)
        let corpora: [(key: String, label: String, ids: [[Int32]])] = [
            ("titles", "\(titles) titles", TextCorpus.titles(count: titles, from: real.titles, random: &random)
                .map { tokenizer.encode($0, maxLength: 128).ids }),
            ("descriptions", "\(descriptions) descriptions", TextCorpus.descriptions(count: descriptions, from: real.paragraphs, random: &random)
                .map { tokenizer.encode($0, maxLength: 128).ids }),
        ]
        let idsPath = (scratch as NSString).appendingPathComponent("minilm-ids.json")
        let payload = Dictionary(uniqueKeysWithValues: corpora.map { ($0.key, $0.ids.map { $0.map(Int.init) }) })
        try JSONSerialization.data(withJSONObject: payload).write(to: URL(fileURLWithPath: idsPath))

        var loom: [String: [Double]] = [:]
        for corpus in corpora {
            for threads in [1, 2] {
                let seconds = try medianSeconds(repeats: repeats) {
                    for start in stride(from: 0, to: corpus.ids.count, by: batch) {
                        _ = try encoder.encode(Array(corpus.ids[start..<min(start + batch, corpus.ids.count)]), threads: threads)
                    }
                }
                loom[corpus.key, default: []].append(Double(corpus.ids.count) / seconds)
            }
        }
        let child = try runChild(["python3", peer, directory, idsPath, String(repeats)])
        let object = child.status == 0 ? (try? JSONSerialization.jsonObject(with: Data(child.output.utf8))) as? [String: Any] : nil
        var agreement = ""
        if let check = object?["check"] as? [[Double]] {
            let ours = try encoder.encode(Array(corpora[0].ids.prefix(4)))
            let worst = zip(ours, check).map { zip($0, $1).reduce(0.0) { $0 + Double($1.0) * $1.1 } }.min() ?? 0
            agreement = String(format: "; same vectors: cosine ≥ %.6f", worst)
        }
        for corpus in corpora {
            let tokens = Double(corpus.ids.reduce(0) { $0 + $1.count }) / Double(corpus.ids.count)
            let ours = loom[corpus.key]!
            var peerColumn = "onnxruntime: not installed (pip install onnxruntime onnx numpy)"
            if let ort = object?[corpus.key] as? [Double], ort.count == 2 {
                let fused = (object?["fused"] as? Bool) == true ? "fused graph" : "plain graph"
                peerColumn = String(format: "ort %.0f / %.0f here, %@ (Loom %.2f× / %.2f×)%@", ort[0], ort[1], fused,
                                    ours[0] / ort[0], ours[1] / ort[1], agreement)
            }
            row(String(format: "MiniLM %@ (%.0f tokens) texts/s, 1 / 2 thr", corpus.label, tokens),
                String(format: "%.0f / %.0f", ours[0], ours[1]), peerColumn)
        }
    }

    /// `loom query --text` on an index of 100,000 items (random unit vectors in both spaces): the
    /// phrase's encoding plus the exact scan on one thread, in process with the index and model
    /// loaded (median over 30 phrases), and the whole command's wall time (median of 5, the
    /// packed-vector caches already written).
    static func textQuery(scratch: String, loom: String, count: Int = 100_000) throws {
        guard FileManager.default.fileExists(atPath: directory + "/model.safetensors") else { return }
        var random = SeededRandom(seed: 29)
        let path = (scratch as NSString).appendingPathComponent("text-index.sqlite")
        try SearchBenchmark.writeIndex(path: path, vectors: SearchBenchmark.unitVectors(&random, rows: count, dim: 256), count: count, dim: 256)
        let text = SearchBenchmark.unitVectors(&random, rows: count, dim: 384)
        let model = FileManager.default.currentDirectoryPath + "/" + directory
        let database = try DatabaseQueue(path: path)
        try database.write { db in
            try db.execute(sql: """
                CREATE TABLE text_vectors (id INTEGER PRIMARY KEY, vector BLOB NOT NULL);
                INSERT INTO meta VALUES ('text_dim', '384'), ('text_model', ?), ('text_max_tokens', '128');
                """, arguments: [model])
            let insert = try db.makeStatement(sql: "INSERT INTO text_vectors (id, vector) VALUES (?, ?)")
            for row in 0..<count { try insert.execute(arguments: [row + 1, FloatBlob.encode(Array(text[(row * 384)..<((row + 1) * 384)]))]) }
        }
        try database.close()

        let index = try IndexFile(path: path)
        let space = try TextSpace(index: index)
        let embedder = try SentenceEmbedder(directory: directory, maximumTokens: 128)
        let phrases = ["red dress for a wedding", "comfortable shoes for a long walk", "navy trench coat", "striped pumps",
                       "a warm wool sweater for winter", "black leather ankle boots"]
        var times: [Double] = []
        for round in 0..<30 {
            let start = DispatchTime.now().uptimeNanoseconds
            let vector = try embedder.embed([phrases[round % phrases.count]], threads: 1)[0]
            _ = VectorSearch.search(vector, queryCount: 1, in: space.matrix, k: 10, threads: 1)
            times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
        }
        let command = [loom, "query", "--index", path, "--text", "red dress for a wedding", "--k", "10", "--threads", "1"]
        _ = medianSeconds(ofCommand: command, repeats: 1)   // writes the packed-vector caches
        let whole = medianSeconds(ofCommand: command, repeats: 5)
        row("query --text, \(count / 1000)k items, 1 thr: encode + scan", String(format: "%.1f ms", median(times)),
            whole.map { String(format: "whole command %.2f s (load index, caches and model); issue: < 20 ms in process", $0) } ?? "")
    }
}
