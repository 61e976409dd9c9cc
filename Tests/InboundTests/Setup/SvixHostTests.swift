import Inbound
import Testing

@Suite("Svix host from the token's region")
struct SvixHostTests {
    static let cases: [(token: String, override: String?, base: String)] = [
        ("appsk_abc.eu", nil, "https://api.eu.svix.com"),
        ("appsk_abc.us", nil, "https://api.us.svix.com"),
        ("appsk_abc.in", nil, "https://api.in.svix.com"),
        ("appsk_abc.ca", nil, "https://api.ca.svix.com"),
        ("appsk_abc.au", nil, "https://api.au.svix.com"),
        ("appsk_abc", nil, "https://api.svix.com"),
        ("appsk_abc.xx", nil, "https://api.svix.com"),
        ("appsk_abc.", nil, "https://api.svix.com"),
        ("", nil, "https://api.svix.com"),
        // SVIX_API_URL wins over the region, trailing slashes dropped.
        ("appsk_abc.eu", "http://127.0.0.1:9000/", "http://127.0.0.1:9000"),
        ("appsk_abc", "https://svix.internal", "https://svix.internal"),
        ("appsk_abc.eu", "", "https://api.eu.svix.com"),
    ]

    @Test("region suffix → API base, SVIX_API_URL overriding", arguments: cases)
    func base(token: String, override: String?, base: String) {
        #expect(SvixHost.baseURL(token: token, override: override) == base)
    }
}
