import Foundation
import LoomCore

/// Real-looking product text for the tokenizer benchmark, recombined from the real 2023 Fashion
/// and 2018 Appliances lines: titles cut at a word to at most 30-124 bytes (about 63 on average,
/// as the figures assume) with a word swapped in from another title, and HTML
/// descriptions of 400-1260 bytes (about 830) made of real description paragraphs in `<p>`,
/// `<b>` and `<br>`.
enum TextCorpus {
    static let sources = [
        "Tests/LoomIngestTests/Resources/2023_jsonl/meta_Amazon_Fashion.sample500.jsonl.gz",
        "Tests/LoomIngestTests/Resources/2018_strict_jsonl/meta_Appliances.sample100.json.gz",
    ]

    static func realText() throws -> (titles: [String], paragraphs: [String]) {
        var titles: [String] = []
        var paragraphs: [String] = []
        for source in sources {
            let reader = try LineReader(path: source)
            while let line = try reader.next() {
                guard let object = try JSONSerialization.jsonObject(with: Data(line)) as? [String: Any] else { continue }
                if let title = object["title"] as? String, !title.isEmpty { titles.append(title) }
                for key in ["description", "features", "feature"] {
                    for text in object[key] as? [String] ?? [] where text.utf8.count > 40 {
                        paragraphs.append(text.replacingOccurrences(of: "\n", with: " "))
                    }
                }
            }
        }
        return (titles, paragraphs)
    }

    static func titles(count: Int, from real: [String], random: inout SeededRandom) -> [String] {
        let words = real.flatMap { $0.split(separator: " ").map(String.init) }
        return (0..<count).map { _ in
            var title = random.pick(real).split(separator: " ").map(String.init)
            if title.count > 2 { title[random.int(in: 1...(title.count - 1))] = random.pick(words) }
            let target = random.int(in: 30...124)
            var text = ""
            for word in title where text.utf8.count + word.utf8.count + 1 <= target || text.isEmpty {
                text += text.isEmpty ? word : " " + word
            }
            return text
        }
    }

    static func descriptions(count: Int, from paragraphs: [String], random: inout SeededRandom) -> [String] {
        (0..<count).map { _ in
            let target = random.int(in: 400...1260)
            var html = ""
            while html.utf8.count < target {
                let paragraph = random.pick(paragraphs)
                switch random.int(in: 0...2) {
                case 0: html += "<p>\(paragraph)</p>"
                case 1: html += "<b>\(paragraph.prefix(30))</b> \(paragraph.dropFirst(30))<br>"
                default: html += paragraph.replacingOccurrences(of: " and ", with: " &amp; ") + " "
                }
            }
            var cut = html.utf8.prefix(target)
            while let last = cut.last, last != 0x20, cut.count > target - 40 { cut = cut.dropLast() }
            return String(decoding: cut, as: UTF8.self)
        }
    }
}
