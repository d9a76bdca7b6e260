/// The garments of each kind: the noun in the title, the Amazon category leaf, the silhouette.
struct Garment: Sendable {
    var noun: String
    var categoryPath: [String]
    var silhouette: Silhouette.Name

    static func choices(for kind: Product.Kind) -> [Garment] {
        let women = ["Clothing, Shoes & Jewelry", "Women"]
        switch kind {
        case .top:
            return [
                Garment(noun: "T-Shirt", categoryPath: women + ["Clothing", "Tops, Tees & Blouses", "T-Shirts"], silhouette: .tshirt),
                Garment(noun: "Blouse", categoryPath: women + ["Clothing", "Tops, Tees & Blouses", "Blouses & Button-Down Shirts"], silhouette: .tshirt),
                Garment(noun: "Sweater", categoryPath: women + ["Clothing", "Sweaters", "Pullovers"], silhouette: .sweater),
            ]
        case .bottom:
            return [
                Garment(noun: "Jeans", categoryPath: women + ["Clothing", "Jeans"], silhouette: .trousers),
                Garment(noun: "Trousers", categoryPath: women + ["Clothing", "Pants", "Dress Pants"], silhouette: .trousers),
                Garment(noun: "Skirt", categoryPath: women + ["Clothing", "Skirts"], silhouette: .skirt),
                Garment(noun: "Shorts", categoryPath: women + ["Clothing", "Shorts"], silhouette: .shorts),
            ]
        case .dress:
            return [
                Garment(noun: "Midi Dress", categoryPath: women + ["Clothing", "Dresses", "Casual"], silhouette: .dress),
                Garment(noun: "Maxi Dress", categoryPath: women + ["Clothing", "Dresses", "Maxi"], silhouette: .maxiDress),
            ]
        case .outerwear:
            return [
                Garment(noun: "Jacket", categoryPath: women + ["Clothing", "Coats, Jackets & Vests", "Casual Jackets"], silhouette: .jacket),
                Garment(noun: "Trench Coat", categoryPath: women + ["Clothing", "Coats, Jackets & Vests", "Trench Coats"], silhouette: .coat),
            ]
        case .shoes:
            return [
                Garment(noun: "Sneakers", categoryPath: women + ["Shoes", "Fashion Sneakers"], silhouette: .sneakers),
                Garment(noun: "Ankle Boots", categoryPath: women + ["Shoes", "Boots", "Ankle & Bootie"], silhouette: .boots),
                Garment(noun: "Pumps", categoryPath: women + ["Shoes", "Pumps"], silhouette: .heels),
            ]
        case .bag:
            return [
                Garment(noun: "Tote Bag", categoryPath: women + ["Handbags & Wallets", "Totes"], silhouette: .tote),
                Garment(noun: "Crossbody Bag", categoryPath: women + ["Handbags & Wallets", "Crossbody Bags"], silhouette: .crossbody),
            ]
        case .accessory:
            return [
                Garment(noun: "Sun Hat", categoryPath: women + ["Accessories", "Hats & Caps", "Sun Hats"], silhouette: .hat),
                Garment(noun: "Scarf", categoryPath: women + ["Accessories", "Scarves & Wraps"], silhouette: .scarf),
                Garment(noun: "Belt", categoryPath: women + ["Accessories", "Belts"], silhouette: .belt),
            ]
        }
    }
}
