import Foundation

/// A real browser for tests: Debian's `chromium`, headless, loading one URL and reporting what it saw
/// (the DOM after load) and what it fetched (every URL in its net log). For pages that must work in a
/// browser and must fetch nothing from outside.
package struct HeadlessChromium: Sendable {
    /// The browser's executable.
    package let executable: String

    package init(executable: String) {
        self.executable = executable
    }

    /// The browser, if this machine has one: `$CHROMIUM`, else the usual names on `PATH` and in
    /// `/usr/bin`.
    package static func locate(environment: [String: String] = ProcessInfo.processInfo.environment) -> HeadlessChromium? {
        let names = ["chromium", "chromium-browser", "google-chrome", "google-chrome-stable"]
        let directories = (environment["PATH"] ?? "").split(separator: ":").map(String.init) + ["/usr/bin", "/usr/local/bin"]
        let candidates = [environment["CHROMIUM"]].compactMap { $0 } + directories.flatMap { dir in names.map { "\(dir)/\($0)" } }
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) }.map(HeadlessChromium.init)
    }

    /// Whether a browser test should run: always in CI (`CI` set), where a missing browser must fail the
    /// test rather than skip it; elsewhere only when the browser is installed.
    package static var testsShouldRun: Bool {
        let ci = ProcessInfo.processInfo.environment["CI"].map { !$0.isEmpty } ?? false
        return ci || locate() != nil
    }

    /// Where to write a screenshot of the page.
    package struct Screenshot: Sendable {
        package var path: String
        package var width: Int
        package var height: Int

        package init(path: String, width: Int = 1280, height: Int = 2000) {
            self.path = path
            self.width = width
            self.height = height
        }
    }

    /// What a load saw.
    package struct PageLoad: Sendable {
        /// The DOM after load, serialized (`--dump-dom`).
        package var dom: String
        /// The URLs the page requested: the document itself and everything it loaded.
        package var requestedURLs: [String]
        /// The browser's own requests (update checks and the like, sent to a dead proxy), kept apart
        /// from the page's.
        package var browserURLs: [String]
    }

    /// Loads `url`, waits for the load to finish, and returns the DOM and the requests. The browser's
    /// every non-loopback request goes to a proxy on a closed loopback port and fails there: a test
    /// sees what the page asked for, and nothing leaves the machine.
    package func load(_ url: String, screenshot: Screenshot? = nil, timeout: Duration = .seconds(90)) async throws -> PageLoad {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let netLog = directory.file("netlog.json")
        var arguments = [
            "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--no-default-browser-check",
            "--user-data-dir=\(directory.file("profile"))", "--log-net-log=\(netLog)",
            "--proxy-server=127.0.0.1:9", "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
            "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-default-apps",
            "--disable-extensions", "--disable-domain-reliability", "--disable-client-side-phishing-detection",
            "--disable-breakpad", "--metrics-recording-only",
            "--disable-features=Translate,OptimizationHints,MediaRouter,AutofillServerCommunication",
            "--hide-scrollbars", "--dump-dom",
        ]
        if let screenshot {
            arguments += ["--screenshot=\(screenshot.path)", "--window-size=\(screenshot.width),\(screenshot.height)"]
        }
        let output = directory.file("dom.html")
        let errors = directory.file("stderr.txt")
        let status = try await Self.run(executable, arguments: arguments + [url], stdout: output, stderr: errors, timeout: timeout)
        guard status == 0 else {
            let tail = (try? String(contentsOfFile: errors, encoding: .utf8))?.suffix(2000) ?? ""
            throw TestFailure("chromium exited with \(status) loading \(url):\n\(tail)")
        }
        let requests = Self.requests(inNetLog: (try? Data(contentsOf: URL(fileURLWithPath: netLog))) ?? Data())
        let site = Self.site(of: url)
        let ours = requests.filter { $0.topFrameSite == nil || $0.topFrameSite == site }
        return PageLoad(
            dom: (try? String(contentsOfFile: output, encoding: .utf8)) ?? "",
            requestedURLs: Self.unique(ours.map(\.url)),
            browserURLs: Self.unique(requests.filter { $0.topFrameSite != nil && $0.topFrameSite != site }.map(\.url))
        )
    }

    /// Runs the browser with its output in files (a pipe could fill and stall it), ending it after
    /// `timeout`.
    static func run(_ executable: String, arguments: [String], stdout: String, stderr: String, timeout: Duration) async throws -> Int32 {
        for file in [stdout, stderr] where !FileManager.default.createFile(atPath: file, contents: nil) {
            throw TestFailure("cannot create \(file)")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: stdout))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: stderr))
        process.standardInput = FileHandle.nullDevice
        let (exits, continuation) = AsyncStream<Int32>.makeStream()
        process.terminationHandler = { process in
            continuation.yield(process.terminationStatus)
            continuation.finish()
        }
        try process.run()
        let timedOut = Locked(false)
        let watchdog = Task {
            try await Task.sleep(for: timeout)
            timedOut.withLock { $0 = true }
            process.terminate()
        }
        defer { watchdog.cancel() }
        var iterator = exits.makeAsyncIterator()
        guard let status = await iterator.next() else { throw TestFailure("chromium ended without an exit status") }
        if timedOut.value { throw TestFailure("chromium did not finish within \(timeout)") }
        return status
    }

    /// A request in a net log: its URL, and the site of the top frame it was made for (`nil` when the
    /// log does not say; the browser's own requests have none, or a site of their own).
    package struct NetLogRequest: Sendable, Equatable {
        package var url: String
        package var topFrameSite: String?

        package init(url: String, topFrameSite: String?) {
            self.url = url
            self.topFrameSite = topFrameSite
        }
    }

    /// The requests in a Chromium net log (`--log-net-log`): the `url` of each `URL_REQUEST_START_JOB`
    /// event, with its network isolation key's top-frame site. A log cut short (the browser killed
    /// mid-write) is read as far as it goes; one that does not parse at all gives every `"url"` string
    /// in it, so a test errs towards seeing too many requests, never too few.
    package static func requests(inNetLog data: Data) -> [NetLogRequest] {
        let object =
            (try? JSONSerialization.jsonObject(with: data)) ?? (try? JSONSerialization.jsonObject(with: data + Data("]}".utf8)))
            ?? (try? JSONSerialization.jsonObject(with: data + Data("}]}".utf8)))
        guard let log = object as? [String: Any], let events = log["events"] as? [[String: Any]] else {
            return urlStrings(in: String(decoding: data, as: UTF8.self)).map { NetLogRequest(url: $0, topFrameSite: nil) }
        }
        let types = (log["constants"] as? [String: Any])?["logEventTypes"] as? [String: Int]
        let startJob = types?["URL_REQUEST_START_JOB"]
        return events.compactMap { event in
            guard let params = event["params"] as? [String: Any], let url = params["url"] as? String else { return nil }
            if let startJob, event["type"] as? Int != startJob { return nil }
            let key = params["network_isolation_key"] as? String
            let site = key?.split(separator: " ").first.map(String.init)
            return NetLogRequest(url: url, topFrameSite: site)
        }
    }

    /// `http://127.0.0.1` for `http://127.0.0.1:8080/dashboard`: scheme and host, as a site.
    static func site(of url: String) -> String? {
        guard let components = URLComponents(string: url), let scheme = components.scheme, let host = components.host else {
            return nil
        }
        return "\(scheme)://\(host)"
    }

    static func urlStrings(in text: String) -> [String] {
        let pattern = /"url"\s*:\s*"([^"\\]*(?:\\.[^"\\]*)*)"/
        return text.matches(of: pattern).map { String($0.output.1).replacingOccurrences(of: "\\/", with: "/") }
    }

    static func unique(_ urls: [String]) -> [String] {
        var seen: Set<String> = []
        return urls.filter { seen.insert($0).inserted }
    }
}
