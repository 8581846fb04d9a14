import Foundation

/// The console's policy page: whether the messaging policy holds, at a glance — the compliance summary with its
/// chart, the programs, the consent ledger (searched by recipient, evidence shown), opt-outs by source, and the
/// decision log with each refusal's code and rule. Everything is read through ``PolicyService``, as the API reads it.
struct PolicyConsolePage: ConsolePage {
    let policy: PolicyService

    var slug: String { "policy" }
    var title: String { "Policy" }
    var group: ConsoleGroup { .operations }
    var order: Int { 10 }

    func render(_ request: ConsoleRequest) async throws -> ConsoleReply {
        let resource = request.resource
        let days = request.query["days"].flatMap(Int.init).map { min(90, max(1, $0)) } ?? 30
        let recipient = request.query["recipient"].flatMap { $0.isEmpty ? nil : $0 }
        let refusedOnly = request.query["refused"] == "1"
        let summary = try await policy.summary(days: days, in: resource)
        let programs = try await policy.programs(after: nil, limit: 100, in: resource)
        var ledgerError: HTML = .empty
        var consents: [Consent] = []
        do {
            consents = try await policy.consents(recipient: recipient, channel: nil, programID: nil, after: nil, limit: 50, in: resource)
        } catch let error as any APIErrorConvertible {
            ledgerError = "<p class=\"error-box\" role=\"alert\">\(error.apiError.message)</p>"
        }
        let optOuts = try await policy.optOuts(recipient: nil, after: nil, limit: 500, in: resource)
        let decisions = try await policy.decisions(refusedOnly: refusedOnly, before: nil, limit: 50, in: resource)

        let refusedTotal = summary.refused.values.reduce(0, +)
        let wouldTotal = summary.wouldRefuse.values.reduce(0, +)
        let stats = HTML.join([
            ConsoleHTML.stat("Mode", summary.mode.rawValue, note: summary.mode == .audit ? "refusals recorded, messages sent" : "refusals enforced"),
            ConsoleHTML.stat("Decisions", "\(summary.decisions)", note: "last \(days) days"),
            ConsoleHTML.stat("Accepted", "\(summary.accepted)"),
            ConsoleHTML.stat("Refused", "\(refusedTotal)", note: wouldTotal > 0 ? "\(wouldTotal) more in audit mode" : nil),
            ConsoleHTML.stat("Opt-out rate", ConsoleFormat.percent(summary.optOutRate), note: "\(summary.optOuts) opt-outs"),
            ConsoleHTML.stat("Consent on record", ConsoleFormat.percent(summary.consentCoverage), note: "of \(summary.recipients) recipients"),
            ConsoleHTML.stat("Double opt-ins pending", "\(summary.doubleOptInsPending)"),
        ])
        let chart = ConsoleHTML.barChart(
            title: "Sends per day: accepted and refused",
            days: summary.daily.map(\.date),
            series: [
                ("accepted", "ok", summary.daily.map(\.accepted)), ("refused", "bad", summary.daily.map(\.refused)),
                ("would be refused (audit)", "warn", summary.daily.map(\.wouldRefuse)),
            ])
        let codes = Set(summary.refused.keys).union(summary.wouldRefuse.keys).sorted()
        let byCode =
            codes.isEmpty
            ? HTML("<p>Nothing refused in the period.</p>")
            : ConsoleHTML.table(
                caption: "Refusals by code", headers: ["Code", "Refused", "Would be refused (audit)"],
                rows: codes.map { ["<code>\($0)</code>", "\(summary.refused[$0] ?? 0)", "\(summary.wouldRefuse[$0] ?? 0)"] })
        let periods = HTML.join(
            [7, 30, 90].map { value in
                value == days ? "<strong>\(value) days</strong>" : "<a href=\"\(request.link("policy"))?days=\(value)\">\(value) days</a>"
            }, separator: " · ")

        let programRows = programs.map { program -> [HTML] in
            [
                "<strong>\(program.name)</strong><br><code>\(program.id)</code>", "\(program.purpose.rawValue)", "\(program.category.rawValue)",
                "\(program.senders.joined(separator: ", "))",
                "\(program.doubleOptIn || program.category.requiresDoubleOptIn ? "double opt-in" : "single opt-in")\(program.ageGated ? " · age-gated" : "")",
            ]
        }
        let ledgerRows = consents.map { consent -> [HTML] in
            let history = HTML.join(
                consent.history.map { entry in
                    let evidence = entry.evidence.map { evidence in
                        [
                            "medium: \(evidence.medium)", evidence.capturedOn.map { "captured \(ConsoleFormat.time($0))" },
                            evidence.campaign.map { "campaign: \($0)" }, evidence.callToAction.map { "call to action: “\($0)”" },
                            evidence.ipAddress.map { "IP \($0)" }, evidence.userAgent.map { "agent: \($0)" },
                            evidence.screenshotRef.map { "screenshot: \($0)" },
                        ].compactMap { $0 }.joined(separator: " · ")
                    }
                    return
                        "<li>\(entry.at) — <strong>\(entry.action.rawValue)</strong>\(entry.source.map { " via \($0)" })\(evidence.map { HTML("<br><small>\($0)</small>") })</li>"
                })
            let tone = consent.state == .active ? "ok" : consent.state == .awaitingConfirmation ? "warn" : "bad"
            return [
                "\(consent.recipient ?? "(erased)")", "\(consent.channel.rawValue)", "<code>\(consent.programId)</code>",
                "\(consent.kind.rawValue)", ConsoleHTML.badge(consent.state.rawValue, tone),
                "<details><summary>\(consent.history.count) entries</summary><ul>\(history)</ul></details>",
            ]
        }
        let sources = Dictionary(grouping: optOuts, by: \.source).map { ($0.key, $0.value.count) }.sorted { ($1.1, $0.0) < ($0.1, $1.0) }
        let optOutRows = optOuts.sorted { $0.recordedOn > $1.recordedOn }.prefix(50).map { optOut -> [HTML] in
            [
                "\(optOut.recordedOn)", "\(optOut.recipient ?? "(erased)")", "\(optOut.channel?.rawValue ?? "every channel")",
                "\(optOut.programId ?? "every program")", "\(optOut.source)",
            ]
        }
        let decisionRows = decisions.map { decision -> [HTML] in
            [
                "\(decision.decidedOn)", "\(decision.channel.rawValue)", "\(decision.sender)", "\(decision.recipient)",
                decision.code.map { ConsoleHTML.badge($0, decision.mode == .audit ? "warn" : "bad") } ?? ConsoleHTML.badge("Accepted", "ok"),
                "<code>\(decision.rule)</code>",
            ]
        }
        let decisionFilter =
            refusedOnly
            ? HTML("<a href=\"\(request.link("policy"))?days=\(days)\">Show every decision</a>")
            : HTML("<a href=\"\(request.link("policy"))?days=\(days)&amp;refused=1\">Show refusals only</a>")

        let body: HTML = """
            <p><a href="#summary">Summary</a> · <a href="#programs">Programs</a> · <a href="#ledger">Consent ledger</a> ·
            <a href="#optouts">Opt-outs</a> · <a href="#decisions">Decisions</a></p>
            <section id="summary" aria-labelledby="summary-title"><h2 id="summary-title">Compliance summary</h2>
            <p>Period: \(periods)</p>
            <dl class="stats">\(stats)</dl>
            \(chart)
            \(byCode)
            </section>
            <section id="programs" aria-labelledby="programs-title"><h2 id="programs-title">Programs</h2>
            \(programRows.isEmpty ? HTML("<p>No programs registered: every sender is in the implicit default program (informational, general, single opt-in). Register one with <code>PUT {endpoint}/messaging/programs/{id}</code> or <code>switchboard policy program put</code>.</p>") : ConsoleHTML.table(caption: "Programs", headers: ["Program", "Purpose", "Category", "Senders", "Consent"], rows: programRows))
            </section>
            <section id="ledger" aria-labelledby="ledger-title"><h2 id="ledger-title">Consent ledger</h2>
            <form method="get" action="\(request.link("policy"))#ledger" class="row" role="search">
            <input type="hidden" name="days" value="\(String(days))">
            <label for="ledger-recipient">Recipient</label>
            <input id="ledger-recipient" name="recipient" value="\(recipient ?? "")" placeholder="+12065550123 or someone@example.com">
            <button type="submit">Search</button>
            </form>
            \(ledgerError)
            \(ledgerRows.isEmpty ? HTML("<p>No consent on record\(recipient.map { " for \($0)" } ?? "").</p>") : ConsoleHTML.table(caption: "Consents", headers: ["Recipient", "Channel", "Program", "Kind", "State", "History and evidence"], rows: ledgerRows))
            </section>
            <section id="optouts" aria-labelledby="optouts-title"><h2 id="optouts-title">Opt-outs</h2>
            <dl class="stats">\(HTML.join(sources.map { ConsoleHTML.stat($0.0, "\($0.1)", note: "opt-outs") }))</dl>
            \(optOutRows.isEmpty ? HTML("<p>No opt-outs.</p>") : ConsoleHTML.table(caption: "Opt-outs, newest first", headers: ["Recorded", "Recipient", "Channel", "Program", "Source"], rows: optOutRows))
            </section>
            <section id="decisions" aria-labelledby="decisions-title"><h2 id="decisions-title">Decision log</h2>
            <p>\(decisionFilter)</p>
            \(decisionRows.isEmpty ? HTML("<p>No decisions yet: every message sent passes the gate and is recorded here.</p>") : ConsoleHTML.table(caption: "Decisions, newest first", headers: ["Decided", "Channel", "Sender", "Recipient", "Outcome", "Rule"], rows: decisionRows))
            </section>
            """
        return .page(title: "Policy", body: body)
    }
}
