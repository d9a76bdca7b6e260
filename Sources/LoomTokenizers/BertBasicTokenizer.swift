import Foundation

/// BERT's text normalisation and pre-tokenisation (uncased), as HF tokenizers' BertNormalizer and
/// BertPreTokenizer do it: drop NUL, U+FFFD and control/format characters; whitespace becomes a
/// space; spaces around CJK ideographs; strip accents (NFD, drop nonspacing marks); lower-case;
/// split on whitespace and around every punctuation character. No NFKC: full-width letters stay.
public struct BertBasicTokenizer: Sendable {
    public init() {}

    /// The words of `text`, each as its Unicode scalars.
    public func words(_ text: String) -> [[Unicode.Scalar]] {
        let normalised = normalise(text)
        var words: [[Unicode.Scalar]] = []
        var current: [Unicode.Scalar] = []
        for scalar in normalised {
            if BertBasicTokenizer.isWhitespace(scalar) {
                if !current.isEmpty { words.append(current); current = [] }
            } else if BertBasicTokenizer.isPunctuation(scalar) {
                if !current.isEmpty { words.append(current); current = [] }
                words.append([scalar])
            } else {
                current.append(scalar)
            }
        }
        if !current.isEmpty { words.append(current) }
        return words
    }

    /// Cleaning, CJK spacing, accent stripping and lower-casing, in HF's order.
    func normalise(_ text: String) -> [Unicode.Scalar] {
        var cleaned = String.UnicodeScalarView()
        var ascii = true
        for scalar in text.unicodeScalars {
            if scalar.value == 0 || scalar.value == 0xFFFD || BertBasicTokenizer.isControl(scalar) { continue }
            if BertBasicTokenizer.isWhitespace(scalar) {
                cleaned.append(" ")
            } else if BertBasicTokenizer.isCJK(scalar) {
                cleaned.append(" ")
                cleaned.append(scalar)
                cleaned.append(" ")
                ascii = false
            } else {
                cleaned.append(scalar)
                if !scalar.isASCII { ascii = false }
            }
        }
        if ascii {
            return cleaned.map { ("A"..."Z").contains($0) ? Unicode.Scalar($0.value + 32)! : $0 }
        }
        // Strip accents: canonical decomposition, then drop nonspacing marks (category Mn).
        let decomposed = String(cleaned).decomposedStringWithCanonicalMapping.unicodeScalars
        var result: [Unicode.Scalar] = []
        result.reserveCapacity(decomposed.count)
        ScalarNormalisation.appendStrippedLowercased(decomposed, to: &result)
        return result
    }

    /// White_Space, plus tab, newline and carriage return.
    static func isWhitespace(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar {
        case " ", "\t", "\n", "\r": return true
        default: return !scalar.isASCII && scalar.properties.isWhitespace
        }
    }

    /// Categories Cc, Cf, Cs, Co, Cn, except tab, newline and carriage return.
    static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        if scalar == "\t" || scalar == "\n" || scalar == "\r" { return false }
        if scalar.isASCII { return scalar.value < 0x20 || scalar.value == 0x7F }
        switch scalar.properties.generalCategory {
        case .control, .format, .surrogate, .privateUse, .unassigned: return true
        default: return false
        }
    }

    /// ASCII symbols and punctuation (BERT counts `$`, `^`, `` ` `` and friends), or any P* category.
    static func isPunctuation(_ scalar: Unicode.Scalar) -> Bool {
        let value = scalar.value
        if (33...47).contains(value) || (58...64).contains(value) || (91...96).contains(value) || (123...126).contains(value) {
            return true
        }
        if scalar.isASCII { return false }
        switch scalar.properties.generalCategory {
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
             .initialPunctuation, .finalPunctuation, .otherPunctuation:
            return true
        default:
            return false
        }
    }

    /// The CJK Unified Ideographs blocks BERT puts spaces around (not Hangul, not kana).
    static func isCJK(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x4E00...0x9FFF, 0x3400...0x4DBF, 0x20000...0x2A6DF, 0x2A700...0x2B73F,
             0x2B740...0x2B81F, 0x2B820...0x2CEAF, 0xF900...0xFAFF, 0x2F800...0x2FA1F:
            return true
        default:
            return false
        }
    }
}
