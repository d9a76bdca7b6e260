import Foundation
import LoomCore
import LoomTestSupport
import LoomTokenizers
import Testing

/// The `loom` and `loom-ingest` executables as a cron job or a data engineer runs them: output,
/// skipping, and sysexits exit codes.
@Suite(.serialized) struct CommandLineTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    func loom(_ arguments: [String], executable: String = "loom", environment: [String: String] = [:])
        throws -> (status: Int32, stdout: String, stderr: String) {
        try ProbeProcess(executable, arguments: arguments, environment: environment, directory: CommandLineTests.root)
            .runCapturingOutput()
    }

    @Test func printsItsVersion() throws {
        let result = try loom(["--version"])
        #expect(result.status == 0)
        // The version, and where Loom found its models: here, the tree it was built from.
        #expect(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "\(LoomVersion.current) (home: \(CommandLineTests.root), source tree)")
    }

    @Test func samplePipelineRunsThenSkipsEverything() throws {
        let work = TemporaryDirectory("loom-cli")
        let environment = ["LOOM_WORK": work.path, "LOOM_OUT": work.file("out"), "LOOM_MODELS": work.file("models")]
        let first = try loom(["run", "Pipelines/sample.yaml", "--no-progress"], environment: environment)
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout.contains("ingest: running (missing: no output yet)"))
        #expect(first.stdout.contains("3 rejected (duplicate_asin 1, invalid_json 1, invalid_utf8 1)"))
        #expect(first.stdout.contains("text: running (missing: no output yet)"))
        #expect(first.stdout.contains("triplets: running (missing: no output yet)"))
        #expect(first.stdout.contains("images: running (missing: no output yet)"))
        #expect(first.stdout.contains("features: running (missing: no output yet)"))
        #expect(first.stdout.contains("computed 300, distinct_images 300"), "the backbone once per image")
        #expect(first.stdout.contains("train: running (missing: no output yet)"))
        #expect(first.stderr.contains("epoch 1/12: loss"), "a progress line per epoch")
        // Train's summary leads with what it does: triplets per second, not items.
        #expect(first.stdout.range(of: #"train: \d+ triplets in [0-9.]+ s \(\d+ triplets/s, \d+ threads?\); 307 items in "#,
                                   options: .regularExpression) != nil, "\(first.stdout)")
        #expect(FileManager.default.fileExists(atPath: work.file("models/loomnet-sample/model.safetensors")))
        #expect(first.stdout.contains("embed: running (missing: no output yet)"))
        #expect(first.stdout.contains("image_and_text 300"))
        #expect(first.stdout.contains("index: running (missing: no output yet)"))
        #expect(first.stdout.contains("pipeline Pipelines/sample.yaml: 8 ran, 0 skipped"))
        #expect(FileManager.default.fileExists(atPath: work.file("reports/ingest.json")))
        // Every run writes its HTML report: this one ran all eight stages, the next keeps them.
        #expect(first.stdout.contains("report: \(work.file("out/report.html"))"), "\(first.stdout)")
        let ranPage = try String(contentsOfFile: work.file("out/report.html"), encoding: .utf8)
        #expect(ranPage.components(separatedBy: "<span class=\"ran\">ran</span>").count - 1 == 8)

        let second = try loom(["run", "Pipelines/sample.yaml"], environment: environment)
        #expect(second.status == 0)
        #expect(second.stdout.contains("ingest: skipped (fresh: inputs, settings and version unchanged)"))
        #expect(second.stdout.contains("text: skipped (fresh"))
        #expect(second.stdout.contains("0 ran, 8 skipped"))
        let keptPage = try String(contentsOfFile: work.file("out/report.html"), encoding: .utf8)
        #expect(keptPage.components(separatedBy: "<span class=\"fresh\">fresh, kept</span>").count - 1 == 8)

        // The trained model beats every baseline on the held-out items (the README's table), and
        // the generator's own rules (a perfect model) score above every baseline.
        let eval = try loom(["eval", "--work", work.path, "--model", work.file("models/loomnet-sample"), "--hidden-rules", "--json", work.file("eval.json")])
        #expect(eval.status == 0, "\(eval.stderr)")
        let rows = try #require((try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: work.file("eval.json"))))
            as? [String: Any])?["rows"] as? [[String: Any]])
        let metrics = rows.map { ($0["name"] as! String, $0["metrics"] as! [String: Any]) }
        #expect(metrics.map(\.0).suffix(3) == ["LoomNet (loomnet-sample)", "hidden outfit rules (ceiling)", "hidden outfit rules, ties drawn"])
        let trained = metrics[metrics.count - 3], ceiling = metrics[metrics.count - 2], drawn = metrics[metrics.count - 1]
        #expect(abs((drawn.1["recall_at_10"] as! Double) - (ceiling.1["recall_at_10"] as! Double)) < 0.15, "one order of ties near their expectation")
        for (name, baseline) in metrics.dropLast(3) {
            for key in ["auc", "fitb"] {
                #expect((trained.1[key] as! Double) > (baseline[key] as! Double) + 0.04, "\(key): trained vs \(name)")
            }
            for key in ["auc", "mrr", "recall_at_5", "recall_at_10"] {
                #expect((ceiling.1[key] as! Double) > (baseline[key] as! Double), "\(key): hidden rules vs \(name)")
            }
        }
        // Its closest cosine embedding: 4 styles times the colour rule's few positive directions.
        let ceilingHealth = try #require(rows[rows.count - 2]["health"] as? [String: Any])
        #expect((ceilingHealth["effective_dimensions"] as? Int).map { (4...12).contains($0) } == true, "\(ceilingHealth)")
        #expect(eval.stdout.contains("health of hidden outfit rules (ceiling): "))

        let status = try loom(["status", "--work", work.path])
        #expect(status.status == 0)
        #expect(status.stdout.contains("ingest    fresh"))
        #expect(status.stdout.contains("rejects: duplicate_asin=1 invalid_json=1 invalid_utf8=1"))

        try reportShowsTheRun(work: work)
        try queryWritesAGallery(work: work)
        try queryAnswersFromTheIndex(work.file("out/index.sqlite"))
        try queryTextFindsTheItemsAPhraseDescribes(work.file("out/index.sqlite"))
        try sqliteVecAnswersLikeLoomQuery(work.file("out/index.sqlite"))
        try anInt8IndexEmbedsNewPhotosWithTheInt8Backbone(work: work)
        try aKilledIndexRunLeavesAWholeIndex(work: work)
        try aKilledTrainingResumesToTheSameModel(work: work)

        let dryForced = try loom(["run", "Pipelines/sample.yaml", "--force", "--dry-run"], environment: environment)
        #expect(dryForced.stdout.contains("ingest: would run (stale: --force)"))

        // Text alone, with another setting: ingest is left as it is.
        let only = try loom(["run", "Pipelines/sample.yaml", "--only", "text", "--force"], environment: environment)
        #expect(only.status == 0)
        #expect(!only.stdout.contains("ingest:"))
        #expect(only.stdout.contains("text: running (stale: --force)"))
    }

    /// `loom query` on the sample index: the item itself is never an answer, --type filters.
    func queryAnswersFromTheIndex(_ index: String) throws {
        let asin = "B0EU1LAAXS"
        let plain = try loom(["query", "--index", index, "--asin", asin, "--k", "3", "--json"])
        #expect(plain.status == 0, "\(plain.stderr)")
        let object = try JSONSerialization.jsonObject(with: Data(plain.stdout.utf8)) as? [String: Any]
        let results = try #require(object?["results"] as? [[String: Any]])
        #expect(results.count == 3 && !results.contains { $0["asin"] as? String == asin })
        let scores = results.compactMap { $0["score"] as? Double }
        #expect(scores == scores.sorted(by: >))
        let shoes = try loom(["query", "--index", index, "--asin", asin, "--k", "5", "--type", "shoes", "--json"])
        let shoeResults = (try JSONSerialization.jsonObject(with: Data(shoes.stdout.utf8)) as? [String: Any])?["results"] as? [[String: Any]]
        #expect(shoeResults?.count == 5 && shoeResults?.allSatisfy { $0["type"] as? String == "shoes" } == true)
        let table = try loom(["query", "--index", index, "--title", "black leather ankle boots", "--k", "2"])
        #expect(table.status == 0 && table.stdout.contains("query: black leather ankle boots"), "\(table.stderr)")
        let unknown = try loom(["query", "--index", index, "--asin", "NOSUCHASIN"])
        #expect(unknown.status == 65 && unknown.stderr.contains("not in the index"))
    }

    /// `loom query --text` on the sample index (sample.yaml sets a text model): each phrase naming
    /// a colour and a garment kind finds an item of both in its top 3; --complements starts from
    /// the best match and answers with other items, of the asked type.
    func queryTextFindsTheItemsAPhraseDescribes(_ index: String) throws {
        let phrases: [(phrase: String, colour: String, kind: String)] = [
            ("navy trench coat", "navy", "trench coat"), ("red pumps with stripes", "red", "pumps"),
            ("emerald ankle boots", "emerald", "ankle boots"), ("a white maxi dress for summer", "white", "maxi dress"),
            ("grey crossbody bag", "grey", "crossbody bag"), ("black scarf", "black", "scarf"),
            ("mustard floral shorts", "mustard", "shorts"), ("pink blouse for the office", "pink", "blouse"),
            ("olive jacket", "olive", "jacket"), ("burgundy sweater", "burgundy", "sweater"),
        ]
        for (phrase, colour, kind) in phrases {
            let result = try loom(["query", "--index", index, "--text", phrase, "--k", "3", "--json"])
            #expect(result.status == 0, "\(result.stderr)")
            let answers = (try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])?["results"] as? [[String: Any]] ?? []
            let titles = answers.compactMap { ($0["title"] as? String)?.lowercased() }
            #expect(titles.count == 3 && titles.contains { $0.contains(colour) && $0.contains(kind) }, "\(phrase): \(titles)")
        }
        let complements = try loom(["query", "--index", index, "--text", "navy trench coat", "--complements", "--type", "shoes", "--k", "5", "--json"])
        #expect(complements.status == 0, "\(complements.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(complements.stdout.utf8)) as? [String: Any])
        let from = try #require((object["from"] as? [[String: Any]])?.first)
        #expect((from["title"] as? String)?.lowercased().contains("navy") == true)
        let answers = try #require(object["results"] as? [[String: Any]])
        #expect(answers.count == 5 && answers.allSatisfy { $0["type"] as? String == "shoes" && $0["asin"] as? String != from["asin"] as? String })
        let misuse = try loom(["query", "--index", index, "--asin", "B0EU1LAAXS", "--complements"])
        #expect(misuse.status == 64 && misuse.stderr.contains("--complements goes with --text"), "\(misuse.stderr)")
        let blank = try loom(["query", "--index", index, "--text", "  "])
        #expect(blank.status == 64 && blank.stderr.contains("--text needs words"), "\(blank.stderr)")
    }

    /// SIGKILL `loom index` at a few moments: the index file is always a whole one, old or new.
    func aKilledIndexRunLeavesAWholeIndex(work: TemporaryDirectory) throws {
        let index = work.file("out/index.sqlite")
        for delay in [0.0, 0.05, 0.15] {
            let process = ProbeProcess("loom", arguments: ["index", "--work", work.path, "--out", index, "--no-progress"],
                                       directory: CommandLineTests.root)
            try process.start()
            Thread.sleep(forTimeInterval: delay)
            process.kill()
            let check = try loom(["query", "--index", index, "--asin", "B0EU1LAAXS", "--k", "1", "--json"])
            #expect(check.status == 0, "after a kill at \(delay) s: \(check.stderr)")
        }
    }

    /// SIGKILL `loom train` after its first epoch's checkpoint; `--resume` ends with the same
    /// model bytes as a run that was never interrupted.
    func aKilledTrainingResumesToTheSameModel(work: TemporaryDirectory) throws {
        let arguments = ["train", "--work", work.path, "--epochs", "2", "--patience", "0", "--no-progress"]
        let whole = try loom(arguments + ["--out", work.file("models/whole")])
        #expect(whole.status == 0, "\(whole.stderr)")
        let interrupted = ProbeProcess("loom", arguments: arguments + ["--out", work.file("models/resumed")], directory: CommandLineTests.root)
        try interrupted.start()
        #expect(interrupted.waitForStderr(containing: "epoch 1/2", timeout: 300), "the first epoch finished")
        let checkpoint = work.file("train.checkpoint.safetensors")   // renamed into place whole
        let deadline = Date().addingTimeInterval(60)
        while !FileManager.default.fileExists(atPath: checkpoint), Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        interrupted.kill()
        #expect(FileManager.default.fileExists(atPath: checkpoint))
        #expect(!FileManager.default.fileExists(atPath: work.file("models/resumed")), "no model from a killed run")
        let resumed = try loom(arguments + ["--out", work.file("models/resumed"), "--resume"])
        #expect(resumed.status == 0 && resumed.stderr.contains("resuming after epoch 1"), "\(resumed.stderr)")
        for file in ["model.safetensors", "config.json"] {
            let a = FileManager.default.contents(atPath: work.file("models/whole/" + file))
            let b = FileManager.default.contents(atPath: work.file("models/resumed/" + file))
            #expect(a != nil && a == b, "\(file) of the resumed run differs")
        }
    }

    @Test func forwardPrintsOneUnitEmbeddingAndNamesAMissingImage() throws {
        let image = "Tests/LoomInferenceTests/Resources/inputs_224/jpeg__pillow__hopper.png"
        var embeddings: [[Double]] = []
        for arguments in [["--image", image, "--text", "black leather ankle boots"], ["--text", "black leather ankle boots"]] {
            let result = try loom(["forward", "--json"] + arguments)
            #expect(result.status == 0, "\(result.stderr)")
            let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
            let embedding = try #require(object?["embedding"] as? [Double])
            #expect(embedding.count == 256)
            #expect(abs(embedding.map { $0 * $0 }.reduce(0, +).squareRoot() - 1) < 1e-5)
            #expect((object?["token_ids"] as? [Int])?.first == 101, "[CLS] first")
            embeddings.append(embedding)
        }
        #expect(embeddings[0] != embeddings[1], "the image changes the embedding")
        let missing = try loom(["forward", "--image", "no/such.jpg"])
        #expect(missing.status == 66)
        #expect(missing.stderr.contains("no/such.jpg"))
    }

    /// `loom forward --model Models/minilm-l6-v2 --text …`: the sentence encoder from the text,
    /// tokenised by Loom, gives transformers' ids and embedding for reference texts.
    @Test func forwardEmbedsTextWithTheSentenceEncoder() throws {
        let source = try ByteSource(path: CommandLineTests.root + "/Tests/LoomInferenceTests/Resources/minilm_l6_v2_reference.json.gz")
        var bytes: [UInt8] = []
        while try source.read(appendingTo: &bytes, maximum: 1 << 20) > 0 {}
        let cases = try #require((try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])?["cases"] as? [[String: Any]])
        for reference in cases.prefix(3) {
            let text = try #require(reference["text"] as? String)
            let result = try loom(["forward", "--model", "Models/minilm-l6-v2", "--text", text, "--json"])
            #expect(result.status == 0, "\(result.stderr)")
            let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
            #expect(object?["token_ids"] as? [Int] == reference["input_ids"] as? [Int], "\(text)")
            let embedding = try #require(object?["embedding"] as? [Double])
            let expected = try #require(reference["embedding_l2norm_meanpool"] as? [Double])
            #expect(zip(embedding, expected).reduce(0.0) { $0 + $1.0 * $1.1 } > 0.9999, "\(text)")
        }
        let both = try loom(["forward", "--model", "Models/minilm-l6-v2", "--text", "x", "--image", "a.jpg"])
        #expect(both.status == 64 && both.stderr.contains("embeds --text only"), "\(both.stderr)")
    }

    @Test func badPipelineIsExit64NamingKeyAndFile() throws {
        let work = TemporaryDirectory("loom-cli")
        let pipeline = work.file("bad.yaml")
        try "work: \(work.path)\nstages:\n  ingest:\n    catalogue: [a.json]\n".write(toFile: pipeline, atomically: true, encoding: .utf8)
        let result = try loom(["run", pipeline])
        #expect(result.status == ExitStatus.usage.rawValue)
        #expect(result.stderr.contains("\(pipeline): key 'stages.ingest.catalogue'"))
        #expect(result.stderr.contains("line 4"))
    }

    @Test func missingInputsAreExit66() throws {
        let work = TemporaryDirectory("loom-cli")
        #expect(try loom(["run", work.file("none.yaml")]).status == ExitStatus.inputMissing.rawValue)
        let ingest = try loom(["--catalog", "/nonexistent/meta.json.gz", "--work", work.path], executable: "loom-ingest")
        #expect(ingest.status == ExitStatus.inputMissing.rawValue)
        #expect(ingest.stderr.contains("/nonexistent/meta.json.gz"))
    }

    @Test func tooManyRejectsAreExit65() throws {
        let work = TemporaryDirectory("loom-cli")
        let result = try loom(["ingest", "--catalog", "SampleData/corrupt/meta_corrupt.jsonl", "--work", work.path,
                               "--max-reject-ratio", "0.1"])
        #expect(result.status == ExitStatus.dataRejected.rawValue)
        #expect(result.stderr.contains("2 of 10 records rejected"))
        #expect(!FileManager.default.fileExists(atPath: work.file("catalog.sqlite")))
        #expect(FileManager.default.fileExists(atPath: work.file("catalog.sqlite.failed")))

        // A run that fails writes its report all the same: the rejects are what to look at.
        try """
            work: \(work.path)
            out: \(work.file("out"))
            stages:
              ingest: {catalog: [\(CommandLineTests.root)/SampleData/corrupt/meta_corrupt.jsonl], max_reject_ratio: 0.1}
            """.write(toFile: work.file("failing.yaml"), atomically: true, encoding: .utf8)
        let failing = try loom(["run", work.file("failing.yaml"), "--no-progress"])
        #expect(failing.status == ExitStatus.dataRejected.rawValue, "\(failing.stderr)")
        let failedPage = try String(contentsOfFile: work.file("out/report.html"), encoding: .utf8)
        #expect(failedPage.contains("<span class=\"failed\">rejected</span>") && failedPage.contains("data-reason=\"invalid_json\""))

        // Every stage command takes the flag: images of the corrupt set are all rejects.
        let catalog = try loom(["ingest", "--catalog", "SampleData/corrupt/meta_corrupt.jsonl", "--images", "SampleData/corrupt/images",
                                "--work", work.path, "--max-reject-ratio", "1"])
        try #require(catalog.status == 0, "\(catalog.stderr)")
        let strict = try loom(["images", "--work", work.path, "--no-progress"])
        #expect(strict.status == ExitStatus.dataRejected.rawValue, "\(strict.stderr)")
        let allowed = try loom(["images", "--work", work.path, "--no-progress", "--max-reject-ratio", "1"])
        #expect(allowed.status == 0 && allowed.stdout.contains("rejected"), "\(allowed.stderr)")
        for command in ["images", "text", "triplets", "features", "train", "embed", "index"] {
            let help = try loom([command, "--help"])
            #expect(help.stdout.contains("--max-reject-ratio"), "\(command) --help")
        }
        let outOfRange = try loom(["text", "--work", work.path, "--max-reject-ratio", "1.5"])
        #expect(outOfRange.status == ExitStatus.usage.rawValue && outOfRange.stderr.contains("between 0 and 1"), "\(outOfRange.stderr)")
    }

    @Test func tokenizePrintsWhatTheLibraryEncodes() throws {
        let lines = ["Women's Crew-Neck T-Shirt (Navy/Blue) 2XL", "Héllo naïve café résumé", "", "中文标题 emoji 👗"]
        let result = try ProbeProcess("loom", arguments: ["tokenize", "--json", "--max-len", "16"], directory: CommandLineTests.root)
            .runCapturingOutput(input: lines.joined(separator: "\n") + "\n")
        #expect(result.status == 0, "\(result.stderr)")
        let tokenizer = WordPieceTokenizer(vocabulary: try WordPieceVocabulary(path: CommandLineTests.root + "/Models/wordpiece/vocab.txt"))
        let printed = result.stdout.split(separator: "\n")
        #expect(printed.count == lines.count)
        for (line, output) in zip(lines, printed) {
            let object = try JSONSerialization.jsonObject(with: Data(output.utf8)) as! [String: Any]
            #expect((object["ids"] as! [Int]).map(Int32.init) == tokenizer.encode(line, maxLength: 16).ids)
            #expect((object["tokens"] as! [String]).first == "[CLS]")
        }
    }

    @Test(arguments: [["run"], ["ingest", "--threads", "-1"], ["status", "--shard", "2/2"], ["nonsense"]])
    func badFlagsAreExit64(_ arguments: [String]) throws {
        #expect(try loom(arguments).status == ExitStatus.usage.rawValue)
    }

    /// Closed choices of the settings are enums: a misspelt value is a usage error that lists the
    /// values, and --help lists them too.
    @Test(arguments: [(["images", "--encoding", "png"], "'raw' and 'jpeg'"), (["text", "--tokenizer", "bpe"], "'bert' and 'word'"),
                      (["triplets", "--negatives", "hard"], "'compatible_type' and 'random'"),
                      (["eval", "--split", "holdout"], "'train', 'valid' or 'test'"),
                      (["triplets", "--kinds", "also_bought,bought_togther"], "also_bought, bought_together, also_viewed"),
                      (["triplets", "--weights", "idf,popularity"], "uniform, frequency, reciprocal, idf"),
                      (["text", "--fields", "title,colour"], "unknown text field 'colour' (known: title, description, brand, category)"),
                      (["ingest", "--log-level", "loud"], "- critical")])
    func closedChoicesListTheirValues(_ arguments: [String], values: String) throws {
        let result = try loom(arguments)
        #expect(result.status == ExitStatus.usage.rawValue)
        #expect(result.stderr.contains(values), "\(result.stderr)")
        let help = try loom([arguments[0], "--help"])
        #expect(help.status == 0 && help.stdout.contains("values: "), "\(help.stdout)")
    }
}
