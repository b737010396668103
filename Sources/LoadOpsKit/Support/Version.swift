public enum LoadOpsKitVersion { public static let string = "0.1.0" }
