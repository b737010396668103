/// A value found by a JSON path, as text a flow can put in a variable or compare.
public enum JSONValueText: Sendable, Equatable, CustomStringConvertible {
    /// Without its quotes, escapes decoded.
    case string(String)
    /// As written in the document (`3`, `2.50`, `1e3`): never reformatted.
    case number(String)
    case bool(Bool)
    case null
    /// The object's JSON text without the whitespace between tokens (strings kept as written).
    case object(String)
    /// The array's JSON text without the whitespace between tokens (strings kept as written).
    case array(String)

    /// What an extraction stores and an `equals` check compares: `true`, `null`, `{"a":1}`...
    public var text: String {
        switch self {
        case .string(let text), .number(let text), .object(let text), .array(let text): text
        case .bool(let value): value ? "true" : "false"
        case .null: "null"
        }
    }

    public var description: String { text }
}

/// What a JSON path found in a body.
public enum JSONLookup: Sendable, Equatable {
    case found(JSONValueText)
    /// The body is JSON as far as the path goes, but the value is not there (a key missing, an
    /// index out of range, a step into a value that is not an object or array).
    case missing
    /// The body is not JSON where the path goes: empty, malformed, or nested deeper than
    /// `JSONPath.maximumDepth`.
    case notJSON
}

extension JSONPath {
    /// Objects and arrays nested deeper than this make a body "not JSON": a hostile body cannot
    /// make the reader's work (or stack) grow without limit.
    public static let maximumDepth = 256

    /// The value the path names in `body`, or nil when it is not there (or the body is not JSON).
    /// A JSON `null` is found: `.null`, not nil.
    public func value(in body: [UInt8]) -> JSONValueText? {
        if case .found(let value) = lookup(in: body) { return value }
        return nil
    }

    /// Reads `body` only as far as the value (and the byte after it): everything before it is checked
    /// and skipped without building anything, the rest is not read. Where an object repeats a key,
    /// the first wins.
    public func lookup(in body: [UInt8]) -> JSONLookup {
        body.withUnsafeBytes { bytes in
            var reader = JSONBodyReader(bytes: bytes)
            do {
                return try reader.lookup(components)
            } catch {
                return .notJSON
            }
        }
    }
}

/// A malformed (or too deeply nested) JSON text; where does not matter to the caller.
struct MalformedJSON: Error {}

/// A forward-only reader over a JSON text: it walks down one path, skipping the values it passes
/// without materialising them, and builds only the value at the end of the path.
struct JSONBodyReader {
    let bytes: UnsafeRawBufferPointer
    var position = 0
    /// Objects and arrays entered on the way down the path.
    var depth = 0

    init(bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
    }

    private static let quote = UInt8(ascii: "\"")
    private static let backslash = UInt8(ascii: "\\")
    private static let comma = UInt8(ascii: ",")
    private static let colon = UInt8(ascii: ":")
    private static let openObject = UInt8(ascii: "{")
    private static let closeObject = UInt8(ascii: "}")
    private static let openArray = UInt8(ascii: "[")
    private static let closeArray = UInt8(ascii: "]")

    mutating func lookup(_ components: [JSONPath.Component]) throws(MalformedJSON) -> JSONLookup {
        // A UTF-8 byte order mark is tolerated before the text.
        if bytes.count >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF { position = 3 }
        skipWhitespace()
        guard position < bytes.count else { throw MalformedJSON() }
        for component in components {
            let found: Bool
            switch component {
            case .key(let name): found = try enterMember(named: name)
            case .index(let index): found = try enterElement(at: index)
            }
            guard found else { return .missing }
        }
        let value = try readValue()
        // What follows the value must be able to follow it (`{"a":01}` does not hold 0), though
        // the rest of the body is not read.
        skipWhitespace()
        switch components.last {
        case nil:
            guard position == bytes.count else { throw MalformedJSON() }
        case .key?:
            guard position < bytes.count, bytes[position] == Self.comma || bytes[position] == Self.closeObject else {
                throw MalformedJSON()
            }
        case .index?:
            guard position < bytes.count, bytes[position] == Self.comma || bytes[position] == Self.closeArray else {
                throw MalformedJSON()
            }
        }
        return .found(value)
    }

    // MARK: Walking down

    /// Moves to the value of the member `name` of the object here; false when this is not an
    /// object or it has no such member.
    mutating func enterMember(named name: String) throws(MalformedJSON) -> Bool {
        guard position < bytes.count, bytes[position] == Self.openObject else {
            try checkIsValue()
            return false
        }
        try enterContainer()
        skipWhitespace()
        if try consume(Self.closeObject) { return false }
        while true {
            skipWhitespace()
            let matches = try readKey(equalTo: name)
            skipWhitespace()
            guard try consume(Self.colon) else { throw MalformedJSON() }
            skipWhitespace()
            if matches { return true }
            try skipValue()
            skipWhitespace()
            if try consume(Self.comma) { continue }
            if try consume(Self.closeObject) { return false }
            throw MalformedJSON()
        }
    }

    /// Moves to the element `index` of the array here (negative: from the end); false when this
    /// is not an array or the index is out of range.
    mutating func enterElement(at index: Int) throws(MalformedJSON) -> Bool {
        guard position < bytes.count, bytes[position] == Self.openArray else {
            try checkIsValue()
            return false
        }
        var target = index
        if index < 0 {
            // Counting the elements takes one pass; the second stops at the element.
            let start = position
            let count = try countElements()
            position = start
            target = count + index
            guard target >= 0 else { return false }
        }
        try enterContainer()
        skipWhitespace()
        if try consume(Self.closeArray) { return false }
        var current = 0
        while true {
            skipWhitespace()
            if current == target { return true }
            try skipValue()
            skipWhitespace()
            if try consume(Self.comma) {
                current += 1
                continue
            }
            if try consume(Self.closeArray) { return false }
            throw MalformedJSON()
        }
    }

    /// The number of elements of the array here; moves past it.
    private mutating func countElements() throws(MalformedJSON) -> Int {
        try enterContainer()
        defer { depth -= 1 }
        skipWhitespace()
        if try consume(Self.closeArray) { return 0 }
        var count = 0
        while true {
            skipWhitespace()
            try skipValue()
            count += 1
            skipWhitespace()
            if try consume(Self.comma) { continue }
            if try consume(Self.closeArray) { return count }
            throw MalformedJSON()
        }
    }

    /// A step into something that is not an object or array finds nothing, if it is a value at all.
    private mutating func checkIsValue() throws(MalformedJSON) {
        try skipValue()
    }

    private mutating func enterContainer() throws(MalformedJSON) {
        depth += 1
        guard depth <= JSONPath.maximumDepth else { throw MalformedJSON() }
        position += 1
    }

    // MARK: Reading the value

    mutating func readValue() throws(MalformedJSON) -> JSONValueText {
        guard position < bytes.count else { throw MalformedJSON() }
        let start = position
        switch bytes[position] {
        case Self.quote:
            return .string(try readString())
        case Self.openObject:
            try skipValue()
            return .object(compactText(start..<position))
        case Self.openArray:
            try skipValue()
            return .array(compactText(start..<position))
        case UInt8(ascii: "t"), UInt8(ascii: "f"), UInt8(ascii: "n"):
            try skipValue()
            switch bytes[start] {
            case UInt8(ascii: "t"): return .bool(true)
            case UInt8(ascii: "f"): return .bool(false)
            default: return .null
            }
        default:
            try skipNumber()
            return .number(String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<position]), as: UTF8.self))
        }
    }

    /// The string here, decoded; moves past it.
    mutating func readString() throws(MalformedJSON) -> String {
        let start = position + 1
        let escaped = try skipString()
        let content = UnsafeRawBufferPointer(rebasing: bytes[start..<(position - 1)])
        guard escaped else { return String(decoding: content, as: UTF8.self) }
        return String(decoding: Self.unescaped(content), as: UTF8.self)
    }

    /// Reads the key here; true when it equals `name` (its escapes decoded).
    private mutating func readKey(equalTo name: String) throws(MalformedJSON) -> Bool {
        guard position < bytes.count, bytes[position] == Self.quote else { throw MalformedJSON() }
        let start = position + 1
        let escaped = try skipString()
        let content = UnsafeRawBufferPointer(rebasing: bytes[start..<(position - 1)])
        if escaped { return Self.unescaped(content).elementsEqual(name.utf8) }
        return content.count == name.utf8.count && content.elementsEqual(name.utf8)
    }

    /// The `[start, end)` bytes of a valid object or array without the whitespace between tokens.
    private func compactText(_ range: Range<Int>) -> String {
        var text: [UInt8] = []
        text.reserveCapacity(range.count)
        var inString = false
        var afterBackslash = false
        for offset in range {
            let byte = bytes[offset]
            if inString {
                if afterBackslash {
                    afterBackslash = false
                } else if byte == Self.backslash {
                    afterBackslash = true
                } else if byte == Self.quote {
                    inString = false
                }
            } else if Self.isWhitespace(byte) {
                continue
            } else if byte == Self.quote {
                inString = true
            }
            text.append(byte)
        }
        return String(decoding: text, as: UTF8.self)
    }

    // MARK: Skipping

    /// Moves past the value here, checking its syntax. Iterative: a deep body costs no stack.
    mutating func skipValue() throws(MalformedJSON) {
        // One bit per open container of this value: set for an object, clear for an array.
        var objects = SIMD4<UInt64>()
        var level = 0
        while true {
            skipWhitespace()
            guard position < bytes.count else { throw MalformedJSON() }
            let byte = bytes[position]
            switch byte {
            case Self.openObject, Self.openArray:
                guard depth + level < JSONPath.maximumDepth else { throw MalformedJSON() }
                let isObject = byte == Self.openObject
                let mask: UInt64 = 1 << UInt64(level & 63)
                if isObject { objects[level >> 6] |= mask } else { objects[level >> 6] &= ~mask }
                level += 1
                position += 1
                skipWhitespace()
                if try consume(isObject ? Self.closeObject : Self.closeArray) {
                    level -= 1
                } else if isObject {
                    try skipMemberName()
                    continue
                } else {
                    continue
                }
            case Self.quote:
                _ = try skipString()
            case UInt8(ascii: "t"):
                try skipLiteral("true")
            case UInt8(ascii: "f"):
                try skipLiteral("false")
            case UInt8(ascii: "n"):
                try skipLiteral("null")
            default:
                try skipNumber()
            }
            // After a value: close the containers it ends, or go on to the next element.
            while true {
                if level == 0 { return }
                skipWhitespace()
                guard position < bytes.count else { throw MalformedJSON() }
                let inObject = objects[(level - 1) >> 6] & (1 << UInt64((level - 1) & 63)) != 0
                let next = bytes[position]
                position += 1
                if next == Self.comma {
                    if inObject {
                        skipWhitespace()
                        try skipMemberName()
                    }
                    break
                }
                guard next == (inObject ? Self.closeObject : Self.closeArray) else { throw MalformedJSON() }
                level -= 1
            }
        }
    }

    /// Moves past `"name" :`.
    private mutating func skipMemberName() throws(MalformedJSON) {
        guard position < bytes.count, bytes[position] == Self.quote else { throw MalformedJSON() }
        _ = try skipString()
        skipWhitespace()
        guard try consume(Self.colon) else { throw MalformedJSON() }
    }

    /// Moves past the string here; true when it holds escapes.
    @discardableResult
    mutating func skipString() throws(MalformedJSON) -> Bool {
        position += 1
        var escaped = false
        while position < bytes.count {
            let byte = bytes[position]
            position += 1
            if byte == Self.quote { return escaped }
            // Control characters must be escaped in a JSON string.
            guard byte >= 0x20 else { throw MalformedJSON() }
            guard byte == Self.backslash else { continue }
            escaped = true
            guard position < bytes.count else { throw MalformedJSON() }
            let kind = bytes[position]
            position += 1
            switch kind {
            case Self.quote, Self.backslash, UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
                 UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                continue
            case UInt8(ascii: "u"):
                guard position + 4 <= bytes.count else { throw MalformedJSON() }
                for offset in position..<(position + 4) where Self.hexValue(bytes[offset]) == nil {
                    throw MalformedJSON()
                }
                position += 4
            default:
                throw MalformedJSON()
            }
        }
        throw MalformedJSON()
    }

    /// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`
    private mutating func skipNumber() throws(MalformedJSON) {
        if position < bytes.count, bytes[position] == UInt8(ascii: "-") { position += 1 }
        guard position < bytes.count, Self.isDigit(bytes[position]) else { throw MalformedJSON() }
        if bytes[position] == UInt8(ascii: "0") {
            position += 1
        } else {
            skipDigits()
        }
        if position < bytes.count, bytes[position] == UInt8(ascii: ".") {
            position += 1
            guard position < bytes.count, Self.isDigit(bytes[position]) else { throw MalformedJSON() }
            skipDigits()
        }
        if position < bytes.count, bytes[position] | 0x20 == UInt8(ascii: "e") {
            position += 1
            if position < bytes.count, bytes[position] == UInt8(ascii: "+") || bytes[position] == UInt8(ascii: "-") {
                position += 1
            }
            guard position < bytes.count, Self.isDigit(bytes[position]) else { throw MalformedJSON() }
            skipDigits()
        }
    }

    private mutating func skipDigits() {
        while position < bytes.count, Self.isDigit(bytes[position]) { position += 1 }
    }

    private mutating func skipLiteral(_ literal: StaticString) throws(MalformedJSON) {
        let count = literal.utf8CodeUnitCount
        guard bytes.count - position >= count else { throw MalformedJSON() }
        for offset in 0..<count where bytes[position + offset] != literal.utf8Start[offset] {
            throw MalformedJSON()
        }
        position += count
    }

    mutating func skipWhitespace() {
        while position < bytes.count, Self.isWhitespace(bytes[position]) { position += 1 }
    }

    /// Moves past `byte` if it is next; false (not moving) if something else is; malformed at the end.
    private mutating func consume(_ byte: UInt8) throws(MalformedJSON) -> Bool {
        guard position < bytes.count else { throw MalformedJSON() }
        guard bytes[position] == byte else { return false }
        position += 1
        return true
    }

    // MARK: Bytes

    @inline(__always)
    static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09
    }

    @inline(__always)
    static func isDigit(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }

    static func hexValue(_ byte: UInt8) -> UInt32? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): UInt32(byte) - 48
        case UInt8(ascii: "a")...UInt8(ascii: "f"): UInt32(byte) - 87
        case UInt8(ascii: "A")...UInt8(ascii: "F"): UInt32(byte) - 55
        default: nil
        }
    }

    /// The UTF-8 bytes of a string's content (already checked by `skipString`) with its escapes
    /// decoded. A `\u` surrogate without its other half becomes U+FFFD, as lenient decoders do.
    static func unescaped(_ content: UnsafeRawBufferPointer) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(content.count)
        var index = 0
        while index < content.count {
            let byte = content[index]
            index += 1
            guard byte == backslash, index < content.count else {
                output.append(byte)
                continue
            }
            let kind = content[index]
            index += 1
            switch kind {
            case UInt8(ascii: "b"): output.append(0x08)
            case UInt8(ascii: "f"): output.append(0x0C)
            case UInt8(ascii: "n"): output.append(0x0A)
            case UInt8(ascii: "r"): output.append(0x0D)
            case UInt8(ascii: "t"): output.append(0x09)
            case UInt8(ascii: "u"):
                guard let unit = codeUnit(content, at: index) else {
                    output.append(kind)
                    continue
                }
                index += 4
                var scalarValue = unit
                if (0xD800...0xDBFF).contains(unit) {
                    // A high surrogate pairs with a `\u` low surrogate right after it.
                    if index + 6 <= content.count, content[index] == backslash, content[index + 1] == UInt8(ascii: "u"),
                       let low = codeUnit(content, at: index + 2), (0xDC00...0xDFFF).contains(low) {
                        scalarValue = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00)
                        index += 6
                    } else {
                        scalarValue = 0xFFFD
                    }
                } else if (0xDC00...0xDFFF).contains(unit) {
                    scalarValue = 0xFFFD
                }
                appendUTF8(scalarValue, to: &output)
            default:
                // `\"`, `\\` and `\/` stand for the character itself.
                output.append(kind)
            }
        }
        return output
    }

    private static func codeUnit(_ content: UnsafeRawBufferPointer, at index: Int) -> UInt32? {
        guard index + 4 <= content.count else { return nil }
        var value: UInt32 = 0
        for offset in index..<(index + 4) {
            guard let digit = hexValue(content[offset]) else { return nil }
            value = value << 4 | digit
        }
        return value
    }

    private static func appendUTF8(_ scalar: UInt32, to output: inout [UInt8]) {
        switch scalar {
        case 0..<0x80:
            output.append(UInt8(scalar))
        case 0x80..<0x800:
            output.append(UInt8(0xC0 | scalar >> 6))
            output.append(UInt8(0x80 | scalar & 0x3F))
        case 0x800..<0x10000:
            output.append(UInt8(0xE0 | scalar >> 12))
            output.append(UInt8(0x80 | scalar >> 6 & 0x3F))
            output.append(UInt8(0x80 | scalar & 0x3F))
        default:
            output.append(UInt8(0xF0 | scalar >> 18))
            output.append(UInt8(0x80 | scalar >> 12 & 0x3F))
            output.append(UInt8(0x80 | scalar >> 6 & 0x3F))
            output.append(UInt8(0x80 | scalar & 0x3F))
        }
    }
}
