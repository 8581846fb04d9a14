import Foundation

/// The console's events page: the resource's webhook subscriptions with their state, the recent deliveries of
/// every kind (webhooks and carriers) with their attempts and the receiver's answers, and each subscription's dead
/// letters with a button that queues them again — the same ``EventDeliveryService/redeliver(_:of:resource:)`` as
/// `POST …/deadLetters/:redeliver`.
struct EventsConsolePage: ConsolePage {
    let subscriptions: EventSubscriptionService
    let deliveries: EventDeliveryService

    var slug: String { "events" }
    var title: String { "Events" }
    var group: ConsoleGroup { .operations }
    var order: Int { 20 }

    func render(_ request: ConsoleRequest) async throws -> ConsoleReply {
        let resource = request.resource
        let all = try await subscriptions.list(resource: resource).sorted { $0.name < $1.name }
        var filter = OperationLogStore.Filter(category: .delivery)
        filter.newestFirst = true
        let recent = try await resource.store.read { [filter] db in try await OperationLogStore.entries(filter, limit: 50, resource: resource, in: db)
        }

        let subscriptionRows = all.map { subscription -> [HTML] in
            let state = subscription.provisioningState(at: request.now)
            let types = subscription.filter.includedEventTypes?.joined(separator: ", ") ?? "every event type"
            return [
                "<strong>\(subscription.name)</strong>", "<code>\(subscription.endpointBaseURL)</code>",
                ConsoleHTML.badge(state, state == "Succeeded" ? "ok" : state == "Failed" ? "bad" : "warn"), "\(types)",
                "\(subscription.maxDeliveryAttempts) attempts · \(subscription.eventTimeToLiveInMinutes) min",
            ]
        }
        var deadSections: [HTML] = []
        for subscription in all {
            let letters = try await deliveries.deadLetters(of: subscription, resource: resource, limit: 50)
            guard !letters.isEmpty else { continue }
            let rows = letters.map { letter -> [HTML] in
                let answer = [letter.lastStatus.map { "HTTP \($0)" }, letter.lastError].compactMap { $0 }.joined(separator: " · ")
                return [
                    "<code>\(letter.item.deliveryID)</code>", "\(letter.completedAt.map { ConsoleFormat.time($0.date) } ?? "")",
                    "\(letter.item.attempts)", "\(answer)",
                    ConsoleHTML.form(
                        request, action: request.link("events", "redeliver"),
                        fields: ["subscription": subscription.name, "id": letter.item.deliveryID],
                        label: "Redeliver \(letter.item.deliveryID)", content: "<button type=\"submit\" class=\"secondary\">Redeliver</button>"),
                ]
            }
            deadSections.append(
                """
                <h3>\(subscription.name)</h3>
                \(ConsoleHTML.form(request, action: request.link("events", "redeliver"), fields: ["subscription": subscription.name], content: "<button type=\"submit\">Redeliver all \(letters.count)</button>"))
                \(ConsoleHTML.table(caption: "Dead letters of \(subscription.name)", headers: ["Event", "Given up", "Attempts", "Last answer", ""], rows: rows))
                """)
        }
        let recentRows = recent.map { entry -> [HTML] in
            let tone = entry.status.hasPrefix("delivered") ? "ok" : entry.status.hasPrefix("dead") ? "bad" : "warn"
            return [
                "\(entry.time)", "<code>\(entry.operation)</code>", ConsoleHTML.badge(entry.status, tone),
                "\(entry.durationMs.map { "\($0) ms" } ?? "")", "\(entry.details ?? "")",
            ]
        }
        let body: HTML = """
            <section aria-labelledby="subs-title"><h2 id="subs-title">Subscriptions</h2>
            \(subscriptionRows.isEmpty ? ConsoleHTML.empty("No subscriptions", """
                <p>Event Grid subscriptions deliver the resource's events to your webhook; create one with:</p>
                \(ConsoleHTML.code("switchboard events subscription create NAME --resource \(resource.name) --endpoint https://example.com/webhook"))
                """) : ConsoleHTML.table(caption: "Subscriptions", headers: ["Name", "Endpoint", "State", "Event types", "Retry policy"], rows: subscriptionRows))
            </section>
            <section aria-labelledby="recent-title"><h2 id="recent-title">Recent deliveries</h2>
            \(recentRows.isEmpty ? HTML("<p>Nothing delivered yet.</p>") : ConsoleHTML.table(caption: "Delivery attempts, newest first", headers: ["When", "Kind", "Outcome", "Took", "Receiver's answer"], rows: recentRows))
            </section>
            <section aria-labelledby="dead-title"><h2 id="dead-title">Dead letters</h2>
            \(deadSections.isEmpty ? HTML("<p>No dead letters: every event was delivered or is still being tried.</p>") : HTML.join(deadSections))
            </section>
            """
        return .page(title: "Events", body: body)
    }

    func perform(_ action: String, _ request: ConsoleRequest) async throws -> ConsoleReply {
        guard action == "redeliver", let name = request.field("subscription") else {
            throw APIError.notFound(code: "NotFound", "The events page has no action '\(action)'.")
        }
        let subscription = try await subscriptions.get(name, resource: request.resource)
        let count = try await deliveries.redeliver(request.field("id").map { [$0] }, of: subscription, resource: request.resource)
        return .redirect(to: request.link("events"), notice: "Queued \(count) dead letter\(count == 1 ? "" : "s") of \(name) again.")
    }
}
