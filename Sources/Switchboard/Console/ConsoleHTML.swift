import Foundation

/// The console's building blocks: the page shell, forms that carry the CSRF token, tables, empty states and the
/// chart. Pages compose these rather than writing their own markup for the same things.
public enum ConsoleHTML {
    /// What the shell around a page needs to know.
    struct Shell {
        let title: String
        let resource: String?
        /// The session's resources, for the picker.
        let resources: [String]
        let pages: [any ConsolePage]
        let current: String?
        let holder: String
        let csrf: String
        let notice: String?
        let live: Bool
    }

    static func document(_ shell: Shell, body: HTML) -> HTML {
        let base = shell.resource.map { "/-/console/r/\(ConsolePaths.segment($0))" }
        let navigation: HTML =
            if let base {
                HTML.join(
                    ConsoleGroup.allCases.map { group in
                        let pages = shell.pages.filter { $0.group == group }.sorted { ($0.order, $0.title) < ($1.order, $1.title) }
                        let items = HTML.join(
                            pages.map { page in
                                let current = page.slug == shell.current
                                return
                                    "<li><a href=\"\(base)/\(page.slug)\"\(current ? HTML(" aria-current=\"page\"") : .empty)>\(page.title)</a></li>"
                            })
                        return "<h2>\(group.title)</h2><ul>\(items)</ul>"
                    })
            } else { .empty }
        let overviewCurrent = shell.current == "" ? HTML(" aria-current=\"page\"") : .empty
        let picker: HTML =
            shell.resources.count > 1 || shell.resource == nil
            ? """
            <form class="picker" method="get" action="/-/console/pick">
            <label for="resource-picker">Resource</label>
            <select id="resource-picker" name="resource">\(HTML.join(shell.resources.map { name in
                "<option value=\"\(name)\"\(name == shell.resource ? HTML(" selected") : .empty)>\(name)</option>" }))</select>
            <button type="submit">Open</button>
            </form>
            """ : .empty
        let notice: HTML = shell.notice.map { "<p class=\"notice\" role=\"status\">\($0)</p>" } ?? .empty
        let live: HTML = shell.live && base != nil ? " data-live=\"\(base ?? "")/live\"" : .empty
        return """
            <!doctype html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(shell.title)\(shell.resource.map { " · \($0)" }) · Switchboard console</title>
            <link rel="stylesheet" href="/-/console/assets/console.css">
            <script src="/-/console/assets/console.js" defer></script>
            </head>
            <body>
            <a class="skip" href="#main">Skip to content</a>
            <header class="top">
            <a class="brand" href="/-/console">Switchboard</a>
            \(shell.resource.map { name in HTML("<span class=\"resource\">\(name)</span>") })
            \(picker)
            <form class="signout" method="post" action="/-/console/signout">\(csrfField(shell.csrf))
            <span class="holder">\(shell.holder)</span> <button type="submit">Sign out</button></form>
            </header>
            <div class="frame">
            \(base.map { base in HTML("<nav aria-label=\"Console\"><ul><li><a href=\"\(base)\"\(overviewCurrent)>Overview</a></li></ul>\(navigation)</nav>") })
            <main id="main"\(live)>
            \(notice)
            <h1>\(shell.title)</h1>
            \(body)
            </main>
            </div>
            </body>
            </html>
            """
    }

    /// A page outside a session: signing in, an error before the session is known.
    static func bare(title: String, body: HTML) -> HTML {
        """
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(title) · Switchboard console</title>
        <link rel="stylesheet" href="/-/console/assets/console.css">
        </head>
        <body>
        <header class="top"><a class="brand" href="/-/console">Switchboard</a></header>
        <main id="main" class="bare">
        <h1>\(title)</h1>
        \(body)
        </main>
        </body>
        </html>
        """
    }

    static func csrfField(_ token: String) -> HTML {
        "<input type=\"hidden\" name=\"_csrf\" value=\"\(token)\">"
    }

    /// A form posting to `action` with the CSRF token and hidden `fields`.
    public static func form(_ request: ConsoleRequest, action: String, fields: [String: String] = [:], label: String? = nil, content: HTML)
        -> HTML
    {
        let hidden = HTML.join(fields.sorted { $0.key < $1.key }.map { "<input type=\"hidden\" name=\"\($0.key)\" value=\"\($0.value)\">" })
        let aria: HTML = label.map { " aria-label=\"\($0)\"" } ?? .empty
        return "<form method=\"post\" action=\"\(action)\"\(aria)>\(csrfField(request.csrf))\(hidden)\(content)</form>"
    }

    /// A table with a caption (read by screen readers) and a header row.
    public static func table(caption: String, headers: [String], rows: [[HTML]], captionVisible: Bool = false) -> HTML {
        let head = HTML.join(headers.map { "<th scope=\"col\">\($0)</th>" })
        let body = HTML.join(rows.map { cells in "<tr>\(HTML.join(cells.map { "<td>\($0)</td>" }))</tr>" })
        let captionClass: HTML = captionVisible ? .empty : " class=\"visually-hidden\""
        return """
            <div class="table-wrap"><table><caption\(captionClass)>\(caption)</caption><thead><tr>\(head)</tr></thead><tbody>\(body)</tbody></table></div>
            """
    }

    /// What to do when there is nothing yet.
    public static func empty(_ title: String, _ body: HTML) -> HTML {
        "<section class=\"empty\"><h2>\(title)</h2>\(body)</section>"
    }

    /// A figure with a label.
    public static func stat(_ label: String, _ value: String, note: String? = nil) -> HTML {
        "<div class=\"stat\"><dt>\(label)</dt><dd>\(value)\(note.map { HTML("<small>\($0)</small>") })</dd></div>"
    }

    /// A status word with its colour (`ok`, `warn`, `bad`, `info`).
    public static func badge(_ text: String, _ tone: String) -> HTML {
        "<span class=\"badge \(tone)\">\(text)</span>"
    }

    /// A code block that can be copied.
    public static func code(_ text: String) -> HTML {
        "<pre class=\"code\"><code>\(text)</code></pre>"
    }

    /// Stacked bars per day, accessible as a table too: `series` are (name, tone, values per day).
    public static func barChart(title: String, days: [String], series: [(name: String, tone: String, values: [Int])]) -> HTML {
        let totals = days.indices.map { day in series.reduce(0) { $0 + ($1.values.indices.contains(day) ? $1.values[day] : 0) } }
        let maximum = max(1, totals.max() ?? 1)
        let width = 640
        let height = 180
        let barWidth = max(2, (width - 40) / max(1, days.count) - 2)
        var bars: [HTML] = []
        for (index, day) in days.enumerated() {
            var y = height - 20
            let x = 36 + index * (barWidth + 2)
            for entry in series {
                let value = entry.values.indices.contains(index) ? entry.values[index] : 0
                guard value > 0 else { continue }
                let h = max(1, Int((Double(value) / Double(maximum)) * Double(height - 30)))
                y -= h
                bars.append(
                    "<rect class=\"\(entry.tone)\" x=\"\(x)\" y=\"\(y)\" width=\"\(barWidth)\" height=\"\(h)\"><title>\(day): \(value) \(entry.name)</title></rect>"
                )
            }
        }
        let legend = HTML.join(series.map { "<li><span class=\"swatch \($0.tone)\"></span>\($0.name)</li>" })
        let rows = days.enumerated().map { index, day in
            [HTML("\(day)")] + series.map { HTML("\($0.values.indices.contains(index) ? $0.values[index] : 0)") }
        }
        return """
            <figure class="chart"><figcaption>\(title)</figcaption>
            <svg viewBox="0 0 \(width) \(height)" role="img" aria-label="\(title)">
            <line class="axis" x1="34" y1="\(height - 20)" x2="\(width)" y2="\(height - 20)"></line>
            <text x="0" y="14">\(maximum)</text><text x="0" y="\(height - 22)">0</text>
            \(days.first.map { HTML("<text x=\"36\" y=\"\(height - 4)\">\($0)</text>") })
            \(days.count > 1 ? HTML("<text x=\"\(width - 70)\" y=\"\(height - 4)\">\(days.last ?? "")</text>") : .empty)
            \(HTML.join(bars))
            </svg>
            <ul class="legend">\(legend)</ul>
            <details><summary>As a table</summary>\(table(caption: title, headers: ["Day"] + series.map(\.name), rows: rows))</details>
            </figure>
            """
    }
}

/// Paths of the console.
enum ConsolePaths {
    /// A path segment, percent-encoded.
    static func segment(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(["/", "?", "#"])) ?? text
    }
}
