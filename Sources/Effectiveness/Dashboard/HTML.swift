/// Text made safe for the page. Workflow names, failure reasons and channels come from users and from
/// providers: every one goes through `escape` before it reaches the markup, in text and in attributes.
enum HTML {
    /// Escapes `&`, `<`, `>`, `"` and `'`, so the result is safe in element text and in a quoted
    /// attribute. Control characters (other than tab and line breaks) become U+FFFD: the page is also
    /// read as XML inside its SVG, where they are not allowed at all.
    static func escape(_ text: String) -> String {
        var escaped = ""
        escaped.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": escaped += "&amp;"
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            case "\"": escaped += "&quot;"
            case "'": escaped += "&#39;"
            case "\t", "\n", "\r": escaped.unicodeScalars.append(scalar)
            default:
                let control = scalar.properties.generalCategory == .control
                escaped.unicodeScalars.append(control ? "\u{FFFD}" : scalar)
            }
        }
        return escaped
    }

    /// Percent-encodes everything but the unreserved characters of RFC 3986, so a value can never end a
    /// query parameter early or start another.
    static func queryValue(_ value: String) -> String {
        var encoded = ""
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                encoded.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let hex = Array("0123456789ABCDEF".unicodeScalars)
                encoded += "%"
                encoded.unicodeScalars.append(hex[Int(byte >> 4)])
                encoded.unicodeScalars.append(hex[Int(byte & 0xF)])
            }
        }
        return encoded
    }

    /// A link back to the dashboard itself: only a query string, so the page never names a host and
    /// works behind any prefix the operator mounts it under. Escaped for an attribute.
    static func href(since: String, workflow: String?) -> String {
        var query = "?since=" + queryValue(since)
        if let workflow { query += "&workflow=" + queryValue(workflow) }
        return escape(query)
    }
}
