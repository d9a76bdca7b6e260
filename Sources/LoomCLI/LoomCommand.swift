public struct LoomCommand { public static func main() {} }
