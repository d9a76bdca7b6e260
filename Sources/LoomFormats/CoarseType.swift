import LoomCore

/// The coarse garment types of `catalog.sqlite`'s `items.type`: what ingest assigns from category
/// paths and titles, what triplets pairs by (a top goes with a bottom), and what queries filter on.
public enum CoarseType: String, NamedChoice {
    case top, bottom, dress, outerwear, shoes, bag, accessory, jewelry
    /// Nothing told the type; goes with nothing by default.
    case other

    public static let kind = "type"
}
