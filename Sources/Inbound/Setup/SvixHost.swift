/// Which Svix API a token belongs to, chosen as Svix's own client libraries choose it.
///
/// A Svix token ends in its region (`….eu`, `….us`, `….in`, `….ca`, `….au`); anything else goes to
/// `https://api.svix.com`. The Go library reads the part after the last dot, the JavaScript one the part
/// after the first; for the one-dot tokens Svix issues both agree, and the last part is what is read here.
package enum SvixHost {
    /// The API of a region-less token.
    package static let defaultBaseURL = "https://api.svix.com"

    /// Region suffix → API base, as in the Svix libraries (`go/svix.go`, `javascript/src/request.ts`).
    package static let regions: [String: String] = [
        "us": "https://api.us.svix.com", "eu": "https://api.eu.svix.com", "in": "https://api.in.svix.com",
        "ca": "https://api.ca.svix.com", "au": "https://api.au.svix.com",
    ]

    /// The API base for `token`; `override` (`SVIX_API_URL`) wins, without its trailing slashes.
    package static func baseURL(token: String, override: String? = nil) -> String {
        if let override, !override.isEmpty {
            var base = Substring(override)
            while base.hasSuffix("/") { base = base.dropLast() }
            return String(base)
        }
        guard let dot = token.lastIndex(of: ".") else { return defaultBaseURL }
        return regions[String(token[token.index(after: dot)...])] ?? defaultBaseURL
    }
}
