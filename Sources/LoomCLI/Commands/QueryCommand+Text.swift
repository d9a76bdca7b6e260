import Foundation
import LoomCore
import LoomEmbed
import LoomIndex
import LoomInference
import LoomReport

/// `loom query --text`: the sentence space (which items a phrase describes), and with
/// `--complements` the step from there into the fused space (what goes with them).
extension QueryCommand {
    func runText(_ phrase: String, file: IndexFile, threads: Int) throws {
        let space = try TextSpace(index: file)
        guard let directory = textModel ?? space.model else {
            throw LoomError.usage("\(index) records no text model; give --text-model")
        }
        let maximumTokens = space.maximumTokens ?? 128
        let embedder = try SentenceEmbedder(directory: directory, maximumTokens: maximumTokens)
        guard embedder.dimension == space.matrix.dim else {
            throw LoomError.usage("the text model makes \(embedder.dimension)-d vectors; \(index) holds \(space.matrix.dim)-d text vectors")
        }
        // The phrase must land in the space the items' vectors are in: the same model files.
        if let recorded = space.modelKey, try SentenceVectors.key(directory: directory, maximumTokens: maximumTokens) != recorded {
            throw LoomError.usage("the text model in \(directory) is not the one \(index)'s text vectors were made with; run embed and index again, or give --text-model with that model")
        }
        let vector = try embedder.embed([phrase], threads: threads)[0]
        let allowed = try allowedTypes(file)
        let query = Query(label: phrase, title: phrase)
        guard complements else {
            let hits = VectorSearch.search(vector, queryCount: 1, in: space.matrix, k: k,
                                           filter: SearchFilter(queries: 1, allowedTypes: allowed), threads: threads)[0]
            try print(query, hits, file: file)
            try writeGallery(query, hits, file: file)
            return
        }
        // The best text matches of any type, then their mean fused vector, made unit length, asks
        // what goes with them; the starting items are left out of the answer.
        let from = VectorSearch.search(vector, queryCount: 1, in: space.matrix, k: fromTop, threads: threads)[0]
        guard !from.isEmpty else { throw LoomError.usage("\(index) has no text vectors to start from") }
        var mean = [Float](repeating: 0, count: file.matrix.dim)
        for hit in from {
            guard let row = file.row(id: hit.id) else { continue }
            for (j, value) in file.matrix.vector(row: row).enumerated() { mean[j] += value }
        }
        let norm = mean.reduce(0) { $0 + $1 * $1 }.squareRoot()
        if norm > 0 { mean = mean.map { $0 / norm } }
        let starts = Set(from.map(\.id))
        let found = VectorSearch.search(mean, queryCount: 1, in: file.matrix, k: k + starts.count,
                                        filter: SearchFilter(queries: 1, allowedTypes: allowed), threads: threads)[0]
        let hits = Array(found.filter { !starts.contains($0.id) }.prefix(k))
        try print(query, hits, file: file, from: from)
        try writeGallery(query, hits, file: file)
    }

    func writeGallery(_ query: Query, _ hits: [SearchHit], file: IndexFile) throws {
        guard let html else { return }
        let items = try QueryGallery.items([QueryGallery.Query(label: query.label, asin: nil, title: query.title, image: nil)],
                                           answers: [hits], index: file, workDirectory: work, heading: type ?? "answers")
        try RunReportPage.write(html: RunReportPage.galleryPage(
            title: "Loom query", subtitle: "\"\(query.label)\" on \(index)\(complements ? ", what goes with it" : ""), top \(k)\(type.map { " of type \($0)" } ?? "")",
            items: items), to: html)
        if !json { Swift.print("gallery: \(html)") }
    }
}
