import Delivery

/// What the segment port takes on which route, and how it labels what it counts.
extension SegmentIngest {
    /// Why an event of `type` is refused on `route`, if it is.
    ///
    /// `/v1/<type>` takes events of that type only (DESIGN §3), as Segment's own API does. And no `/v1/*`
    /// route takes `delete`: those routes are authenticated by a write key, which ships inside every
    /// browser and app that uses it, so anyone could have deleted any Novu subscriber. Segment's tracking
    /// API has no `delete` either; deletions come only from the classic Webhooks destination (one object,
    /// signed whole), on `/` and `/segment`. The Webhooks (Actions) destination never sends `delete`.
    ///
    /// On `/` and `/segment`, `delete` comes alone: Segment signs only the first element of an array, so
    /// a `delete` appended to a signed one could not be told from a forged one.
    static func refusal(of type: String?, on route: Route, single: Bool) -> String? {
        switch route {
        case .webhook:
            guard type == "delete", !single else { return nil }
            return "type delete is taken only as a single event, not inside an array: Segment signs only an array's "
                + "first element"
        case .single(let routeType):
            guard let type, type != routeType else { return nil }
            return "type is \(type), but /v1/\(routeType) takes \(routeType) events"
        case .batch:
            guard type == "delete" else { return nil }
            return "type delete is not taken on /v1/*: a write key is public; deletions come only from the "
                + "classic Segment Webhooks destination (POST /)"
        }
    }

    /// The most rejections an answer lists (with `rejectedTotal` when there are more): the answer's size
    /// must not grow with the request's, or a small compressed body of millions of bad items buys a huge one.
    static let listedRejections = 100

    /// The Segment event types, as metric labels; any other `type` a client sends counts as `unknown`.
    /// The label comes from the request, and each distinct value is a series of its own: a closed set keeps
    /// /metrics, and the process's memory, bounded whatever clients send.
    static let labelledTypes: Set<String> = ["track", "identify", "group", "alias", "page", "screen", "delete"]

    static func typeLabel(_ type: String?) -> String {
        guard let type, labelledTypes.contains(type) else { return "unknown" }
        return type
    }
}
