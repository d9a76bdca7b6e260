import Foundation

/// Assigns each item a coarse type (top, bottom, …, other) from its category paths, most
/// specific element first, and falls back to the last matching word of its title (English puts
/// the head noun last: a "Shirt Dress" is a dress, "Dress Shoes" are shoes).
struct CoarseTypeRules: Sendable {
    private let rules: [(type: String, categories: Set<String>, titleWords: Set<String>)]
    private let ignored: Set<String>

    init(rules: [CoarseTypeRule], ignoredCategories: [String]) {
        self.rules = rules.map { rule in
            (rule.type, Set(rule.categories.map(CoarseTypeRules.normalise)), Set(rule.titleWords.map { $0.lowercased() }))
        }
        ignored = Set(ignoredCategories.map(CoarseTypeRules.normalise))
    }

    func classify(categoryPaths: [[String]], title: String?) -> String {
        for path in categoryPaths {
            for element in path.reversed() {
                let normalised = CoarseTypeRules.normalise(element)
                guard !ignored.contains(normalised) else { continue }
                if let type = match(element: normalised) { return type }
            }
        }
        if let title, let type = matchTitle(title) { return type }
        return "other"
    }

    /// A category element matches a rule when the whole element, or one of its words, is a rule
    /// category ("Fashion Sneakers" matches "sneakers"; "Settees" does not match "tees").
    private func match(element: String) -> String? {
        for rule in rules where rule.categories.contains(element) { return rule.type }
        let words = element.split(separator: " ").map(String.init)
        for rule in rules where words.contains(where: rule.categories.contains) { return rule.type }
        return nil
    }

    private func matchTitle(_ title: String) -> String? {
        let words = title.lowercased().split(whereSeparator: { !($0.isLetter || $0 == "-") })
            .map { String($0).trimmingCharacters(in: CharacterSet(charactersIn: "-")) }
        for word in words.reversed() {
            for rule in rules where rule.titleWords.contains(word) { return rule.type }
        }
        return nil
    }

    /// Lower case, punctuation other than '&' and '-' as spaces, single spaces.
    static func normalise(_ text: String) -> String {
        let mapped = text.lowercased().map { $0.isLetter || $0.isNumber || $0 == "&" || $0 == "-" ? $0 : " " }
        return String(mapped).split(separator: " ").joined(separator: " ")
    }
}
