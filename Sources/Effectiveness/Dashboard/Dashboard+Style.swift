extension Dashboard {
    /// The page's only stylesheet, inline: system fonts, no web font, no image. Charts take their text
    /// styles from here, so the SVG carries coordinates and colors only.
    static let style = """

        :root { color-scheme: light; --ink: #1f2430; --muted: #6b7280; --line: #e4e7ec; --paper: #ffffff;
          --ground: #f5f6f8; --accent: #3d6fb4; --warm: #a8650f; --warm-bg: #fcf1dc; }
        * { box-sizing: border-box; }
        body { margin: 0; background: var(--ground); color: var(--ink);
          font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", "Noto Sans", "DejaVu Sans",
          Arial, sans-serif; font-variant-numeric: tabular-nums; }
        main { max-width: 1200px; margin: 0 auto; padding: 28px 32px 40px; }
        a { color: var(--accent); text-decoration: none; }
        a:hover { text-decoration: underline; }
        h1 { font-size: 22px; font-weight: 650; margin: 0 0 2px; letter-spacing: -0.01em; }
        h1 .period { color: var(--muted); font-weight: 500; }
        h2 { font-size: 15px; font-weight: 620; margin: 0 0 14px; }
        .muted, h2 .muted { color: var(--muted); font-weight: 400; }
        header { display: flex; flex-wrap: wrap; gap: 16px; align-items: flex-end; justify-content: space-between;
          margin-bottom: 20px; }
        header p { margin: 0; }
        .filters { display: flex; flex-wrap: wrap; gap: 12px; align-items: center; }
        .segmented { display: inline-flex; border: 1px solid var(--line); border-radius: 8px; overflow: hidden;
          background: var(--paper); }
        .segmented a { padding: 5px 12px; color: var(--ink); border-left: 1px solid var(--line); }
        .segmented a:first-child { border-left: 0; }
        .segmented a[aria-current] { background: var(--ink); color: #fff; }
        form { display: inline-flex; gap: 6px; margin: 0; }
        input[type=text] { font: inherit; padding: 4px 8px; border: 1px solid var(--line); border-radius: 6px;
          width: 160px; background: var(--paper); }
        button { font: inherit; padding: 4px 12px; border: 1px solid var(--line); border-radius: 6px;
          background: var(--paper); color: var(--ink); cursor: pointer; }
        .filtered { color: var(--muted); }
        .card { background: var(--paper); border: 1px solid var(--line); border-radius: 10px; padding: 18px 24px 20px;
          margin-bottom: 18px; }
        .card-head { display: flex; justify-content: space-between; align-items: baseline; }
        .headline { display: grid; grid-template-columns: repeat(5, 1fr); gap: 12px; margin-bottom: 18px; }
        .stat { background: var(--paper); border: 1px solid var(--line); border-radius: 10px; padding: 14px 18px; }
        .stat .label { color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: 0.05em; }
        .stat .value { font-size: 28px; font-weight: 620; letter-spacing: -0.02em; margin: 2px 0; }
        .stat .note { color: var(--muted); font-size: 12.5px; }
        .columns { display: grid; grid-template-columns: 3fr 2fr; gap: 18px; align-items: start; }
        .columns .card { margin-bottom: 18px; }
        .legend { display: flex; gap: 14px; list-style: none; margin: 0; padding: 0; color: var(--muted); font-size: 12.5px; }
        .swatch { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 6px; }
        .maturing { display: inline-block; font-size: 11px; font-weight: 500; color: var(--warm); background: var(--warm-bg);
          border-radius: 9px; padding: 0 7px; margin-left: 4px; cursor: help; }
        table { width: 100%; border-collapse: collapse; }
        th, td { padding: 7px 8px; border-bottom: 1px solid var(--line); text-align: right; white-space: nowrap; }
        thead th { color: var(--muted); font-weight: 500; font-size: 12px; border-bottom-color: #d5d9e0; }
        th:first-child, td.text, th.text { text-align: left; }
        tbody th { font-weight: 500; }
        tbody tr:last-child > * { border-bottom: 0; }
        td.rate { position: relative; }
        td.rate { padding-bottom: 10px; }
        td.rate .bar { position: absolute; right: 8px; bottom: 5px; width: 44px; height: 3px; border-radius: 2px;
          background: linear-gradient(to right, #9fb6d8 var(--fill), #eceff3 var(--fill)); }
        td.maturing-rate { color: var(--warm); cursor: help; }
        td.maturing-rate .bar { background: linear-gradient(to right, #e2b56f var(--fill), #f3ece0 var(--fill)); }
        .table-note { margin: 12px 0 0; color: var(--muted); font-size: 12.5px; }
        .table-note .maturing { margin: 0 4px 0 0; }
        td.na { color: #9aa1ad; }
        td.none { text-align: left; color: var(--muted); }
        .empty { text-align: center; padding: 56px 24px; }
        .empty-title { font-size: 17px; font-weight: 600; margin: 0 0 6px; }
        .empty p { margin: 0; }
        svg { display: block; overflow: visible; }
        svg text { font-family: inherit; font-size: 12px; fill: var(--ink); }
        svg .workflow { font-size: 14px; font-weight: 620; fill: var(--accent); }
        svg .stage { fill: var(--muted); }
        svg .value { font-size: 11.5px; fill: #4b5563; }
        svg .note { font-size: 11.5px; fill: var(--muted); }
        svg .rule { stroke: var(--line); }
        svg .badge rect { fill: var(--warm-bg); }
        svg .badge text { font-size: 11px; fill: var(--warm); }
        svg .grid { stroke: #eceef2; }
        svg .tick { font-size: 11px; fill: var(--muted); }
        svg .legend { font-size: 12px; fill: #4b5563; }
        svg .panel-title { font-size: 11.5px; fill: var(--muted); }
        svg .axis { stroke: #d5d9e0; }
        svg .rate-bar { fill: #e0a458; }
        svg .rate-label { font-size: 10.5px; fill: #8a5a14; }
        svg .series { fill: none; stroke-width: 2.25; stroke-linejoin: round; stroke-linecap: round; }
        svg .maturing-band rect { fill: #fbf3e4; }
        svg .maturing-band text { font-size: 11px; fill: var(--warm); }
        footer { font-size: 12.5px; margin-top: 8px; }
        footer p { margin: 4px 0; max-width: 900px; }

        """
}
