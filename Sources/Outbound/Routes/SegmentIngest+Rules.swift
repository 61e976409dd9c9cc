import Delivery

/// What the segment port takes on which route, and how it labels what it counts.
extension SegmentIngest {
    /// Why an event of `type` is refused on `route`, if it is.
    ///
    /// `/v1/<type>` takes events of that type only (DESIGN §3), as Segment's own API does. And no `/v1/*`
    /// route takes `delete`: those routes are authenticated by a write key, which ships inside every
    /// browser and app that uses it, so anyone could have deleted any Novu subscriber. Segment's tracking
    /// API has no `delete` either; deletions come from the Webhooks destination, on `/` and `/segment`.
    static func refusal(of type: String?, on route: Route) -> String? {
        switch route {
        case .webhook:
            return nil
        case .single(let routeType):
            guard let type, type != routeType else { return nil }
            return "type is \(type), but /v1/\(routeType) takes \(routeType) events"
        case .batch:
            guard type == "delete" else { return nil }
            return "type delete is not taken on /v1/*: a write key is public; deletions come from the Segment "
                + "Webhooks destination (POST /)"
        }
    }

    /// What the headers alone condemn, refused before the body is read or any body budget is reserved, so
    /// a client without credentials gets no decompression or parsing done for it: a `/v1/*` request whose
    /// `Authorization` header names a write key that is not accepted (the header's key decides, whatever
    /// the body holds), or a webhook without `X-Signature` while `SEGMENT_SHARED_SECRET` is set.
    public func refusalBeforeBody(route: Route, authorization: String?, signature: String?) -> Answer? {
        if route == .webhook, configuration.sharedSecret != nil, (signature ?? "").isEmpty {
            count("unauthorized", type: "unknown")
            return .error(401, "Unauthorized", "X-Signature is missing or does not match SEGMENT_SHARED_SECRET")
        }
        guard route != .webhook, !configuration.writeKeys.isEmpty, let key = WriteKey.fromAuthorization(authorization),
            !configuration.writeKeys.contains(key)
        else { return nil }
        count("unauthorized", type: "unknown")
        return .error(401, "Unauthorized", "unknown write key")
    }

    /// The most rejections an answer lists (with `rejectedTotal` when there were more): an 8 KB gzip body of
    /// 4 million non-objects was answered with 230 MB of rejections.
    static let listedRejections = 100

    /// The Segment event types, as metric labels; any other `type` a client sends counts as `unknown`.
    /// The label comes from the request, and each distinct value was a series of its own: a client
    /// could grow /metrics, and the process's memory, without bound.
    static let labelledTypes: Set<String> = ["track", "identify", "group", "alias", "page", "screen", "delete"]

    static func typeLabel(_ type: String?) -> String {
        guard let type, labelledTypes.contains(type) else { return "unknown" }
        return type
    }
}
