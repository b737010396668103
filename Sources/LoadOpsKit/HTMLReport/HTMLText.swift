import Foundation

/// Text placed in HTML or SVG markup. Everything that comes from a configuration, a target or the
/// history (endpoint names, paths, hosts, error messages) goes through `escape`, so markup in a name
/// shows as text and never runs.
enum HTMLText {
    /// `&`, `<`, `>`, `"` and `'` as character references, characters markup cannot carry dropped: safe
    /// in element content and in quoted attributes. XML's escaping (the JUnit report's) is exactly this.
    static func escape(_ text: String) -> String {
        JUnitReport.escape(text)
    }
}
