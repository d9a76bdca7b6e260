import ArgumentParser
import Foundation
import LoomCore
import LoomIndex
import LoomInference
import LoomReport

/// `loom query`: what goes with this item? Exact top-k by cosine over an index.
struct QueryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "query", abstract: "Find the items that go with an item of the index, or with a new one (image and/or title).",
        discussion: """
            A new item is embedded with the model the index names in its meta (or --model). --batch reads JSON lines, \
            each {"asin": …} or {"image": …, "title": …}, and answers them all in one pass over the index. \
            --text searches the index's second space, the sentence vectors of the items' text: which items a phrase \
            describes; with --complements, what goes with the best of them (or the mean of the top --from-top).
            """)

    @Option(help: "The index file.")
    var index: String = "out/index.sqlite"

    @Option(help: "An item of the index.")
    var asin: String?

    @Option(help: "A new item's image (JPEG or PNG).")
    var image: String?

    @Option(help: "A new item's title.")
    var title: String?

    @Option(help: "A file of queries, one JSON object per line.")
    var batch: String?

    @Option(help: "A phrase (\"navy trench coat\"): the items whose text it describes.")
    var text: String?

    @Flag(help: "With --text: answer with what goes with the best text match, in the fused space.")
    var complements = false

    @Option(help: "With --complements: start from the mean of the top m text matches.")
    var fromTop: Int = 1

    @Option(help: "Sentence encoder for --text (default: the one the index records).")
    var textModel: String?

    @Option(help: "Answers per query.")
    var k: Int = 10

    @Option(name: .customLong("type"), help: "Only answers of this coarse type (shoes, bottom, …); a type-aware model ranks them by that pair's weights.")
    var type: String?

    @Flag(help: "Leave out answers of the query item's own type.")
    var excludeSameType = false

    @Option(help: "Model directory for new items (default: the one the index records).")
    var model: String?

    @Option(help: "Worker threads (0: all cores).")
    var threads: Int = 0

    @Flag(help: "JSON lines: one object per query with its answers.")
    var json = false

    @Option(help: "Also write the answers as an HTML gallery with photos to this file.")
    var html: String?

    @Option(help: "The work directory whose images and catalog give the gallery its photos and co-purchase marks.")
    var work: String = "work"

    func validate() throws {
        let given = [asin != nil, image != nil || title != nil, batch != nil, text != nil].filter { $0 }.count
        guard given == 1 else { throw ValidationError("give exactly one of --asin, --image/--title, --batch or --text") }
        guard text != nil || !complements else { throw ValidationError("--complements goes with --text") }
        guard complements || fromTop == 1 else { throw ValidationError("--from-top goes with --text … --complements") }
        guard text != nil || textModel == nil else { throw ValidationError("--text-model goes with --text") }
        if let text {
            guard !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { throw ValidationError("--text needs words") }
            guard !excludeSameType, model == nil else { throw ValidationError("--exclude-same-type and --model do not apply to --text") }
        }
        guard fromTop >= 1, fromTop <= 100 else { throw ValidationError("--from-top must be between 1 and 100") }
        guard k >= 1, k <= 10_000 else { throw ValidationError("--k must be between 1 and 10000") }
    }

    /// One query as asked: an indexed item, or a new item to embed.
    struct Query {
        var label: String
        var asin: String?
        var image: String?
        var title: String?
    }

    func run() throws {
        try requiringVectorUnits {
            let workers = threads > 0 ? threads : ProcessInfo.processInfo.activeProcessorCount
            let file = try IndexFile(path: index)
            if let text {
                try runText(text, file: file, threads: workers)
                return
            }
            let queries = try readQueries()
            var filter = SearchFilter(queries: queries.count, allowedTypes: try allowedTypes(file))
            // The model, for new items only: loaded once, with its vocabulary read once.
            let network = try queries.contains { $0.asin == nil }
                ? LoomNet(directory: try modelDirectory(file), backbonePrecision: try backbonePrecision(file)) : nil
            if let network, network.embeddingDim != file.matrix.dim {
                throw LoomError.usage("the model makes \(network.embeddingDim)-d vectors; \(index) holds \(file.matrix.dim)-d ones")
            }
            let maker = try network.map { NewItemInput(config: $0.config, modelDirectory: try modelDirectory(file)) }
            var vectors: [Float] = []
            var newItems: [(slot: Int, input: LoomNet.Input)] = []
            for (slot, query) in queries.enumerated() {
                if let asin = query.asin {
                    guard let row = file.row(asin: asin) else {
                        throw LoomError.badInput(path: index, position: "asin \(asin)", reason: "not in the index")
                    }
                    vectors += file.queryVector(row: row, partnerType: type)   // type-aware models weigh by (its type, --type)
                    filter.excludedRow[slot] = row
                    if excludeSameType { filter.excludedType[slot] = file.matrix.typeCodes[row] }
                } else {
                    vectors += [Float](repeating: 0, count: file.matrix.dim)
                    newItems.append((slot, try maker!.input(image: query.image, text: query.title)))
                }
            }
            if let network, !newItems.isEmpty {
                let outputs = try network.forward(newItems.map(\.input), threads: workers)
                for (item, output) in zip(newItems, outputs) {
                    vectors.replaceSubrange((item.slot * file.matrix.dim)..<((item.slot + 1) * file.matrix.dim), with: output.embedding)
                }
            }
            let answers = VectorSearch.search(vectors, queryCount: queries.count, in: file.matrix, k: k, filter: filter, threads: workers)
            for (query, hits) in zip(queries, answers) { try print(query, hits, file: file) }
            if let html {
                let items = try QueryGallery.items(queries.map { QueryGallery.Query(label: $0.label, asin: $0.asin, title: $0.title, image: $0.image) },
                                                   answers: answers, index: file, workDirectory: work, heading: type ?? "answers")
                try RunReportPage.write(html: RunReportPage.galleryPage(
                    title: "Loom query", subtitle: "\(queries.count) quer\(queries.count == 1 ? "y" : "ies") on \(index), top \(k)\(type.map { " of type \($0)" } ?? "")",
                    items: items), to: html)
                if !json { Swift.print("gallery: \(html)") }
            }
        }
    }

    /// The type code `--type` names, if given.
    func allowedTypes(_ file: IndexFile) throws -> Set<UInt8>? {
        guard let type else { return nil }
        guard let code = file.matrix.typeNames.firstIndex(of: type) else {
            throw LoomError.usage("no item of type '\(type)' in \(index) (types: \(file.matrix.typeNames.sorted().joined(separator: ", ")))")
        }
        return [UInt8(code)]
    }

    func readQueries() throws -> [Query] {
        if let asin { return [Query(label: asin, asin: asin)] }
        guard let batch else { return [Query(label: image ?? title ?? "", image: image, title: title)] }
        guard let text = try? String(contentsOfFile: batch, encoding: .utf8) else {
            throw LoomError.inputMissing(path: batch, reason: "cannot read the query file (missing, or not UTF-8)")
        }
        var queries: [Query] = []
        for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated()
        where !line.trimmingCharacters(in: .whitespaces).isEmpty {
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
                throw LoomError.badInput(path: batch, position: "line \(number + 1)", reason: "not a JSON object")
            }
            let query = Query(label: (object["asin"] ?? object["image"] ?? object["title"]).map { "\($0)" } ?? "",
                              asin: object["asin"] as? String, image: object["image"] as? String, title: object["title"] as? String)
            guard query.asin != nil || query.image != nil || query.title != nil else {
                throw LoomError.badInput(path: batch, position: "line \(number + 1)", reason: "needs \"asin\", \"image\" or \"title\"")
            }
            queries.append(query)
        }
        return queries
    }

    func modelDirectory(_ file: IndexFile) throws -> String {
        if let model { return model }
        guard let recorded = file.model else {
            throw LoomError.usage("\(index) records no model; give --model to embed a new item")
        }
        return recorded
    }

    /// The arithmetic the index's visual features were made in: a new item's photo goes through
    /// the same backbone, or it would be compared with vectors of another network.
    func backbonePrecision(_ file: IndexFile) throws -> BackbonePrecision {
        guard let precision = BackbonePrecision(rawValue: file.backbonePrecision) else {
            throw LoomError.badInput(path: index, position: "meta backbone_precision", reason: BackbonePrecision.unknown(file.backbonePrecision))
        }
        return precision
    }

    /// One query's answers; `from`: the text matches a --complements answer started from.
    func print(_ query: Query, _ hits: [SearchHit], file: IndexFile, from: [SearchHit] = []) throws {
        func rows(_ hits: [SearchHit]) -> [(IndexFile.Item, Float)] { hits.compactMap { hit in file.item(id: hit.id).map { ($0, hit.score) } } }
        func objects(_ hits: [SearchHit]) -> [[String: Any]] {
            rows(hits).map { item, score in ["id": item.id, "asin": item.asin, "type": item.type, "score": Double(score), "title": item.title ?? ""] }
        }
        if json {
            var object: [String: Any] = ["query": query.label, "results": objects(hits)]
            if !from.isEmpty { object["from"] = objects(from) }
            if query.image != nil { object["backbone"] = file.backbonePrecision }
            let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
            Swift.print(String(decoding: data, as: UTF8.self))
            return
        }
        Swift.print("query: \(query.label)")
        if query.image != nil, file.backbonePrecision != BackbonePrecision.fp32.rawValue {
            Swift.print("(the photo went through the \(file.backbonePrecision) backbone, as the index's features did)")
        }
        for (item, score) in rows(from) {
            Swift.print(String(format: "from: %@ %@ %.3f  %@", item.asin, item.type, score, String((item.title ?? "").prefix(60))))
        }
        Swift.print("  #  asin        type        score  title")
        for (rank, (item, score)) in rows(hits).enumerated() {
            let title = (item.title ?? "").prefix(60)
            Swift.print(String(format: "%3d  %@ %@ %6.3f  %@", rank + 1, item.asin.padding(toLength: 11, withPad: " ", startingAt: 0),
                               item.type.padding(toLength: 10, withPad: " ", startingAt: 0), score, String(title)))
        }
    }
}
