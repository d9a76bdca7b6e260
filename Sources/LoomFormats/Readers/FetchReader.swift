import Foundation
import GRDB
import LoomCore

/// Reads `fetch.sqlite` for the images stage: the photo each item got from its URL.
public enum FetchReader {
    /// The path in the photo store of every item whose photo was fetched, by item id; empty when
    /// the work directory has no fetch output. Its rows name items by id, so a fetch output made
    /// from another catalog than today's is refused (run fetch again, or delete it).
    public static func fetchedPhotos(fetchPath: String, catalogPath: String) throws -> [Int64: String] {
        guard FileManager.default.fileExists(atPath: fetchPath) else { return [:] }
        let fetchedFrom = try StageMeta.read(path: fetchPath).inputs.first { $0.label == StageOutputFile.catalog.input.label }?.hash
        let catalog = try StageMeta.read(path: catalogPath).contentHash
        guard fetchedFrom == catalog else {
            throw LoomError.badInput(path: fetchPath, position: nil,
                                     reason: "made from another catalog than \(catalogPath): run `loom fetch` again (or delete it to use no fetched photos)")
        }
        let fetch = try StageOutputReader.open(path: fetchPath)
        defer { try? fetch.close() }
        return try fetch.readStored("fetches") { db in
            let rows = try BoundStatement(db, sql: "SELECT item, path FROM fetches WHERE status = 'ok' AND path IS NOT NULL")
            var photos: [Int64: String] = [:]
            while try rows.step() {
                photos[try rows.storedInteger(0, column: "item")] = try rows.storedText(1, column: "path")
            }
            return photos
        }
    }
}
