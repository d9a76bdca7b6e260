/// One generated product, with the hidden attributes the outfit rules use.
struct Product: Sendable {
    enum Kind: String, CaseIterable, Sendable {
        case top, bottom, dress, outerwear, shoes, bag, accessory
    }

    enum Style: String, CaseIterable, Sendable {
        case casual, formal, sporty, boho
    }

    enum Pattern: String, Sendable {
        case solid, stripes, checks, dots, floral, band
    }

    /// Which of the three real catalog shapes the product is written in.
    enum Shape: String, Sendable {
        case loose2014, strict2018, lines2023
    }

    enum ImageFormat: Sendable, Equatable {
        case baselineJPEG, progressiveJPEG, alphaPNG
    }

    var asin: String
    var kind: Kind
    /// The specific garment (t-shirt, jeans, ankle boots…): decides the silhouette and the title noun.
    var garment: Garment
    var style: Style
    var color: NamedColor
    var accent: NamedColor
    var pattern: Pattern
    var brand: String
    var price: Double?
    var title: String
    var description: String
    var shape: Shape
    var imageFormat: ImageFormat
    /// EXIF orientation the JPEG is stored with (1 = upright pixels).
    var orientation: Int
    var width: Int
    var height: Int
    /// File name in the image folder: `<asin>.jpg|png`, or for a few the name at the end of the image URL.
    var imageFileName: String
    var imageURL: String
    var alsoBought: [String] = []
    var boughtTogether: [String] = []
    var alsoViewed: [String] = []

    /// Names the photo `stem` + its format's extension, and points the image URL at it.
    mutating func setPhoto(stem: String) {
        let ext = imageFormat == .alphaPNG ? "png" : "jpg"
        imageFileName = "\(stem).\(ext)"
        imageURL = "https://m.media-amazon.com/images/I/\(stem).\(ext)"
    }
}

/// A colour with the words a title would use for it.
struct NamedColor: Sendable, Equatable {
    var name: String
    var rgb: (UInt8, UInt8, UInt8)
    var isNeutral: Bool
    /// Colour family used by the harmony rule.
    var family: String

    static func == (a: NamedColor, b: NamedColor) -> Bool { a.name == b.name }

    /// The name as a title writes it: "Sky Blue".
    var titleWords: String {
        name.split(separator: " ").map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined(separator: " ")
    }

    static let palette: [NamedColor] = [
        NamedColor(name: "black", rgb: (28, 28, 30), isNeutral: true, family: "neutral"),
        NamedColor(name: "white", rgb: (236, 236, 232), isNeutral: true, family: "neutral"),
        NamedColor(name: "grey", rgb: (128, 130, 134), isNeutral: true, family: "neutral"),
        NamedColor(name: "navy", rgb: (30, 42, 92), isNeutral: true, family: "neutral"),
        NamedColor(name: "beige", rgb: (214, 196, 160), isNeutral: true, family: "neutral"),
        NamedColor(name: "brown", rgb: (110, 72, 44), isNeutral: true, family: "earth"),
        NamedColor(name: "red", rgb: (196, 32, 38), isNeutral: false, family: "warm"),
        NamedColor(name: "burgundy", rgb: (112, 24, 44), isNeutral: false, family: "warm"),
        NamedColor(name: "mustard", rgb: (214, 164, 34), isNeutral: false, family: "earth"),
        NamedColor(name: "olive", rgb: (100, 110, 48), isNeutral: false, family: "earth"),
        NamedColor(name: "pink", rgb: (236, 150, 180), isNeutral: false, family: "pastel"),
        NamedColor(name: "sky blue", rgb: (120, 180, 230), isNeutral: false, family: "pastel"),
        NamedColor(name: "emerald", rgb: (20, 130, 90), isNeutral: false, family: "cool"),
        NamedColor(name: "coral", rgb: (244, 120, 96), isNeutral: false, family: "warm"),
    ]
}
