import Foundation
import GRDB
import LoomCore
import LoomFormats
import LoomIndex

/// `loom query --html`: any query's answers as the report's gallery — each query with its photo
/// (an indexed item's stored image, a new item's file) and its answers with theirs, a ✓ where the
/// catalog knows the pair as a co-purchase. Photos and co-purchases come from the work directory
/// when it has the images and ingest outputs; the page says nothing of them otherwise.
public enum QueryGallery {
    public struct Query {
        public var label: String
        public var asin: String?
        public var title: String?
        public var image: String?

        public init(label: String, asin: String?, title: String?, image: String?) {
            self.label = label
            self.asin = asin
            self.title = title
            self.image = image
        }
    }

    /// One gallery item per query; `heading` names its answers (a type, or "answers").
    public static func items(_ queries: [Query], answers: [[SearchHit]], index: IndexFile, workDirectory: String,
                             heading: String) throws -> [GalleryItem] {
        let gallery = Gallery(workDirectory: workDirectory, index: index)
        let imagesPath = (workDirectory as NSString).appendingPathComponent(StageOutputFile.images.fileName)
        let images = FileManager.default.fileExists(atPath: imagesPath) ? try StageOutputReader.open(path: imagesPath) : nil
        defer { try? images?.close() }
        let ids = Set(queries.compactMap { $0.asin.flatMap(index.row(asin:)).map { index.items[$0].id } })
        let catalogPath = (workDirectory as NSString).appendingPathComponent(StageOutputFile.catalog.fileName)
        let known = FileManager.default.fileExists(atPath: catalogPath) && !ids.isEmpty
            ? try gallery.scanEdges(touching: ids, sample: 0).touching : []
        func thumbnail(_ id: Int64) throws -> String? { try images.flatMap { try gallery.thumbnail(of: id, images: $0) } }

        return try zip(queries, answers).map { query, hits in
            let row = query.asin.flatMap(index.row(asin:))
            let item = row.map { index.items[$0] }
            let photo = try item.map { try thumbnail($0.id) } ?? query.image.flatMap(Thumbnail.of(path:))
            let shown = try hits.compactMap { hit -> GalleryItem.Answer? in
                guard let answer = index.item(id: hit.id) else { return nil }
                return GalleryItem.Answer(asin: answer.asin, title: answer.title ?? "", type: answer.type, score: hit.score,
                                          known: item.map { known.contains(Gallery.Pair($0.id, answer.id)) } ?? false,
                                          thumbnail: try thumbnail(answer.id))
            }
            return GalleryItem(asin: item?.asin ?? query.label, title: item?.title ?? query.title ?? "", type: item?.type ?? "new item",
                               thumbnail: photo ?? nil, answers: [(type: heading, answers: shown)])
        }
    }
}
