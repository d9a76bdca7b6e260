import Foundation
import LoomFormats

/// Assigns each item a coarse type (top, bottom, …, other) from its category paths, most
/// specific element first, and falls back to the last matching word of its title (English puts
/// the head noun last: a "Shirt Dress" is a dress, "Dress Shoes" are shoes).
struct CoarseTypeRules: Sendable {
    private let rules: [(type: String, categories: Set<String>, titleWords: Set<String>)]
    private let ignored: Set<String>
    /// Title word → type of the first rule that lists it.
    private let titleTypes: [String: String]

    init(rules: [CoarseTypeRule], ignoredCategories: [String]) {
        self.rules = rules.map { rule in
            (rule.type, Set(rule.categories.map(CoarseTypeRules.normalise)), Set(rule.titleWords.map { $0.lowercased() }))
        }
        ignored = Set(ignoredCategories.map(CoarseTypeRules.normalise))
        var titleTypes: [String: String] = [:]
        for rule in rules {
            for word in rule.titleWords where titleTypes[word.lowercased()] == nil { titleTypes[word.lowercased()] = rule.type }
        }
        self.titleTypes = titleTypes
    }

    func classify(categoryPaths: [[String]], title: String?) -> String {
        classify(categoryType: categoryType(of: categoryPaths), title: title)
    }

    /// The type the category paths give, or else the title's, or "other".
    func classify(categoryType: String?, title: String?) -> String {
        if let categoryType { return categoryType }
        if let title, let type = matchTitle(title) { return type }
        return CoarseType.other.rawValue
    }

    /// The type of the most specific element, in the first path that has one, that a rule
    /// names; nil when none does. (Callers remember it per path: paths repeat across a catalog.)
    func categoryType(of categoryPaths: [[String]]) -> String? {
        for path in categoryPaths {
            for element in path.reversed() {
                let normalised = CoarseTypeRules.normalise(element)
                guard !ignored.contains(normalised) else { continue }
                if let type = match(element: normalised) { return type }
            }
        }
        return nil
    }

    /// A category element matches a rule when the whole element, or one of its words, is a rule
    /// category ("Fashion Sneakers" matches "sneakers"; "Settees" does not match "tees").
    private func match(element: String) -> String? {
        for rule in rules where rule.categories.contains(element) { return rule.type }
        let words = element.split(separator: " ").map(String.init)
        for rule in rules where words.contains(where: rule.categories.contains) { return rule.type }
        return nil
    }

    func matchTitle(_ title: String) -> String? {
        var title = title
        if let type = title.withUTF8({ matchASCIITitle($0) }) { return type }
        return title.withUTF8(UTF8Validation.isASCII) ? nil : matchAnyTitle(title)
    }

    /// The ASCII case on bytes, with `normalise`'s rules: words are runs of letters, digits, '&'
    /// and '-', lower-cased and trimmed of '&' and '-'; the last word that names a type wins, so
    /// the scan runs from the end and usually stops at the first word. Nil also when not ASCII.
    private func matchASCIITitle(_ bytes: UnsafeBufferPointer<UInt8>) -> String? {
        func isWordByte(_ byte: UInt8) -> Bool {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "&"), UInt8(ascii: "-"): true
            default: false
            }
        }
        func isTrimmed(_ byte: UInt8) -> Bool { byte == UInt8(ascii: "&") || byte == UInt8(ascii: "-") }
        var end = bytes.count
        while end > 0 {
            while end > 0, !isWordByte(bytes[end - 1]) {
                if bytes[end - 1] >= 0x80 { return nil }
                end -= 1
            }
            var start = end
            while start > 0, isWordByte(bytes[start - 1]) { start -= 1 }
            if start > 0, bytes[start - 1] >= 0x80 { return nil }   // a word that goes on in non-ASCII letters
            let wordStart = start
            var last = end
            while start < last, isTrimmed(bytes[start]) { start += 1 }
            while last > start, isTrimmed(bytes[last - 1]) { last -= 1 }
            if start < last {
                let word = String(unsafeUninitializedCapacity: last - start) { out in
                    for offset in 0..<(last - start) {
                        let byte = bytes[start + offset]
                        out[offset] = byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte + 32 : byte
                    }
                    return last - start
                }
                if let type = titleTypes[word] { return type }
            }
            end = wordStart
        }
        return nil
    }

    func matchAnyTitle(_ title: String) -> String? {
        let words = CoarseTypeRules.normalise(title).split(separator: " ").map { word in
            String(word.drop { $0 == "-" || $0 == "&" }.reversed().drop { $0 == "-" || $0 == "&" }.reversed())
        }
        for word in words.reversed() {
            if let type = titleTypes[word] { return type }
        }
        return nil
    }

    /// Lower case, punctuation other than '&' and '-' as spaces, single spaces.
    static func normalise(_ text: String) -> String {
        var out = String.UnicodeScalarView()
        var pendingSpace = false
        for scalar in text.lowercased().unicodeScalars {
            let keep = scalar.isASCII
                ? (("a"..."z").contains(scalar) || ("0"..."9").contains(scalar) || scalar == "&" || scalar == "-")
                : (scalar.properties.isAlphabetic || scalar.properties.numericType != nil)
            if keep {
                if pendingSpace && !out.isEmpty { out.append(" ") }
                pendingSpace = false
                out.append(scalar)
            } else {
                pendingSpace = true
            }
        }
        return String(out)
    }
}
