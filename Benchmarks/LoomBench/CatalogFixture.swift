import Foundation
import LoomCore

/// A large 2018-style catalog made from the 100 real Appliances lines: each copy renames every
/// asin (in `asin` and in the co-purchase lists) and shuffles the line order, so items stay
/// unique, edges keep resolving within a copy, and no two megabytes are the same.
enum CatalogFixture {
    static func write(to path: String, atLeast bytes: Int, from source: String) throws -> Int {
        let reader = try LineReader(path: source)
        var lines: [[UInt8]] = []
        while let line = try reader.next() { lines.append(line) }
        let asins = try lines.map { line -> String in
            guard let object = try JSONSerialization.jsonObject(with: Data(line)) as? [String: Any],
                  let asin = object["asin"] as? String else { throw LoomError.internalError("fixture line without asin") }
            return asin
        }
        // Each line as segments between quoted asins: (text before, asin index) … trailing text.
        let templates: [(parts: [([UInt8], Int)], tail: [UInt8])] = lines.map { line in
            var occurrences: [(Int, Int, Int)] = []
            for (index, asin) in asins.enumerated() {
                let needle = Array("\"\(asin)\"".utf8)
                var from = 0
                while let found = find(needle, in: line, from: from) {
                    occurrences.append((found + 1, found + 1 + asin.utf8.count, index))
                    from = found + needle.count
                }
            }
            occurrences.sort { $0.0 < $1.0 }
            var parts: [([UInt8], Int)] = []
            var position = 0
            for (start, end, index) in occurrences where start >= position {
                parts.append((Array(line[position..<start]), index))
                position = end
            }
            return (parts, Array(line[position...]))
        }
        _ = FileManager.default.createFile(atPath: path, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        var written = 0
        var copy = 0
        var random = SeededRandom(seed: 2018)
        while written < bytes {
            var order = Array(templates.indices)
            random.shuffle(&order)
            var chunk: [UInt8] = []
            chunk.reserveCapacity(3_000_000)
            for index in order {
                for (text, asin) in templates[index].parts {
                    chunk.append(contentsOf: text)
                    chunk.append(contentsOf: Array("C\(copy)-\(asins[asin])".utf8))
                }
                chunk.append(contentsOf: templates[index].tail)
                chunk.append(0x0A)
            }
            handle.write(Data(chunk))
            written += chunk.count
            copy += 1
        }
        return written
    }

    private static func find(_ needle: [UInt8], in haystack: [UInt8], from: Int) -> Int? {
        guard needle.count <= haystack.count - from else { return nil }
        var index = from
        let first = needle[0]
        while index <= haystack.count - needle.count {
            if haystack[index] == first, Array(haystack[index..<(index + needle.count)]) == needle { return index }
            index += 1
        }
        return nil
    }
}
