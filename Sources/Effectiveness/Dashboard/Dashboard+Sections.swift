extension Dashboard {
    /// The title, the period and the filters: period links and a workflow form, all on this page.
    static func header(_ report: FunnelReport, query: DashboardQuery, title: String) -> String {
        // A period given by hand (`?since=14d`) shows as one more choice, the current one.
        let choices = periods.contains(query.since) ? periods : periods + [query.since]
        let links = choices.map { period in
            let current = period == query.since ? " aria-current=\"page\"" : ""
            return "<a href=\"\(HTML.href(since: period, workflow: query.workflow))\"\(current)>\(HTML.escape(period))</a>"
        }
        var filter = ""
        if let workflow = query.workflow {
            filter = """
                <span class="filtered">Workflow <strong>\(HTML.escape(workflow))</strong> \
                <a href="\(HTML.href(since: query.since, workflow: nil))">show all workflows</a></span>
                """
        }
        return """
            <header>
            <div>
            <h1>\(HTML.escape(title)) <span class="period">· \(HTML.escape(periodName(query.since)))</span></h1>
            <p class="muted">\(timestamp(report.from)) → \(timestamp(report.to)) · by trigger time</p>
            </div>
            <nav class="filters" aria-label="Filters">
            <span class="segmented" role="group" aria-label="Period">\(links.joined())</span>
            <form method="get">
            <input type="hidden" name="since" value="\(HTML.escape(query.since))">
            <input type="text" name="workflow" placeholder="workflow" aria-label="Workflow" value="\(HTML.escape(query.workflow ?? ""))">
            <button type="submit">Filter</button>
            </form>
            \(filter)
            </nav>
            </header>

            """
    }

    /// The five numbers a reader looks for first.
    static func headline(_ report: FunnelReport) -> String {
        let total = report.total
        let counts = total.counts
        // The delivery rate leaves out the channels that report no delivery: the note says which.
        let unreported = channelRates(report).filter { !FunnelCounts.reports(delivery: $0.channel ?? "") && $0.counts.sent > 0 }
        let excluded =
            unreported.isEmpty ? "" : ", excl. \(HTML.escape(unreported.map { channelName($0.channel) }.joined(separator: ", ")))"
        let deliveryNote = "\(FunnelFormat.percent(total.rates.delivery)) of sent\(excluded)"
        let maturing =
            total.maturing ? " <span class=\"maturing\" title=\"\(HTML.escape(maturingNote))\">maturing</span>" : ""
        let cards: [(label: String, value: String, note: String)] = [
            ("Triggered", FunnelFormat.count(counts.triggered), "\(FunnelFormat.count(counts.sent)) messages sent"),
            ("Delivered", FunnelFormat.count(counts.delivered), deliveryNote),
            ("Opened", FunnelFormat.count(counts.opened), "\(FunnelFormat.percent(total.rates.open)) of delivered"),
            ("Converted", FunnelFormat.count(counts.converted), "\(FunnelFormat.count(counts.failed)) messages failed"),
            ("Conversion rate", FunnelFormat.percent(total.rates.conversion), "of triggered\(maturing)"),
        ]
        let items = cards.map { card in
            "<div class=\"stat\"><div class=\"label\">\(card.label)</div><div class=\"value\">\(card.value)</div>"
                + "<div class=\"note\">\(card.note)</div></div>"
        }
        return "<section class=\"headline\" id=\"headline\">\n\(items.joined(separator: "\n"))\n</section>\n"
    }

    static func funnelSection(_ report: FunnelReport, query: DashboardQuery) -> String {
        let funnels = workflowFunnels(report)
        let channels = Set(funnels.flatMap { $0.series.map(\.channel) })
        var legend = ""
        if report.by.contains(.channel) {
            let items = channels.sorted { channelRank($0) < channelRank($1) }.map { channel in
                "<li><span class=\"swatch\" style=\"background:\(channelColor(channel))\"></span>\(HTML.escape(channelName(channel)))</li>"
            }
            legend = "<ul class=\"legend\">\(items.joined())</ul>"
        }
        return """
            <section class="card">
            <div class="card-head"><h2>Funnel per workflow</h2>\(legend)</div>
            \(funnelSVG(funnels, since: query.since))
            </section>

            """
    }

    /// Rates per channel, with a thin bar under each rate so the columns can be compared at a glance.
    static func channelSection(_ report: FunnelReport) -> String {
        func rate(_ value: Double?, maturing: Bool = false) -> String {
            guard let value else { return "<td class=\"na\" title=\"not available for this channel\">n/a</td>" }
            let width = FunnelFormat.decimal(min(max(value, 0), 1) * 100, digits: 1)
            let cell = maturing ? "<td class=\"rate maturing-rate\" title=\"\(HTML.escape(maturingNote))\">" : "<td class=\"rate\">"
            return "\(cell)<span class=\"bar\" style=\"--fill:\(width)%\"></span>\(FunnelFormat.percent(value))</td>"
        }
        let channels = channelRates(report)
        let rows = channels.map { row in
            let name =
                "<span class=\"swatch\" style=\"background:\(channelColor(row.channel))\"></span>\(HTML.escape(channelName(row.channel)))"
            return "<tr><th scope=\"row\">\(name)</th><td>\(FunnelFormat.count(row.counts.sent))</td>"
                + [row.rates.delivery, row.rates.open, row.rates.click, row.rates.clickToOpen].map { rate($0) }.joined()
                + rate(row.rates.conversion, maturing: row.maturing) + rate(row.rates.failure) + "</tr>"
        }
        let note =
            channels.contains(where: \.maturing)
            ? "<p class=\"table-note\"><span class=\"maturing\" title=\"\(HTML.escape(maturingNote))\">maturing</span> "
                + "Conversion rates in amber are still maturing: their conversion windows have not closed.</p>" : ""
        return """
            <section class="card">
            <h2>Rates per channel</h2>
            <table id="channels">
            <thead><tr><th scope="col">Channel</th><th scope="col">Sent</th><th scope="col">Delivery</th><th scope="col">Open</th>\
            <th scope="col">Click</th><th scope="col" title="clicked / opened">Click/open</th><th scope="col">Conversion</th>\
            <th scope="col">Failure</th></tr></thead>
            <tbody>
            \(rows.joined(separator: "\n"))
            </tbody>
            </table>
            \(note)
            </section>

            """
    }

    static func failureSection(_ report: FunnelReport) -> String {
        let failed = max(report.total.counts.failed, report.failures.map(\.count).reduce(0, +))
        var rows = report.failures.map { failure in
            let share = FunnelFormat.percent(failed > 0 ? Double(failure.count) / Double(failed) : nil)
            return "<tr><th scope=\"row\">\(HTML.escape(failure.reason))</th><td class=\"text\">"
                + "\(HTML.escape(channelName(failure.channel)))</td><td>\(FunnelFormat.count(failure.count))</td><td>\(share)</td></tr>"
        }
        if rows.isEmpty { rows = ["<tr><td colspan=\"4\" class=\"none\">No failures in this period.</td></tr>"] }
        return """
            <section class="card">
            <h2>Top failure reasons</h2>
            <table id="failures">
            <thead><tr><th scope="col">Reason</th><th scope="col" class="text">Channel</th><th scope="col">Failed</th>\
            <th scope="col">Share</th></tr></thead>
            <tbody>
            \(rows.joined(separator: "\n"))
            </tbody>
            </table>
            </section>

            """
    }

    static func dailySection(_ report: FunnelReport) -> String {
        """
        <section class="card">
        <h2>Per day <span class="muted">(UTC, by trigger day)</span></h2>
        \(dailySVG(report.daily))
        </section>

        """
    }

    static func footer(_ report: FunnelReport) -> String {
        """
        <footer class="muted">
        <p>Delivery = delivered / sent · open and click = of delivered · click/open = clicked / opened · \
        conversion = converted / triggered · failure = failed / sent. <strong>n/a</strong>: the channel does not report \
        the denominator (in-app messages report no delivery; email without activity tracking reports no opens).</p>
        <p>Generated \(timestamp(report.generatedAt)).</p>
        </footer>

        """
    }
}
