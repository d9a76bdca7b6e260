import LoomCore

/// The catalog item fields that can make up an item's text (text's `fields`), in `items`.
public enum TextField: String, NamedChoice {
    case title, description, brand, category

    public static let kind = "text field"
}
