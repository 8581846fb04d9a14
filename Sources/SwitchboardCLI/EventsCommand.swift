import ArgumentParser
import Foundation
import Switchboard

/// `switchboard events subscription …`: manage a resource's webhook subscriptions, whether the server runs or not.
struct EventsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "events", abstract: "Manage event subscriptions (webhooks).", subcommands: [Subscription.self])

    struct Subscription: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create, list and delete webhook subscriptions.", subcommands: [Create.self, List.self, Delete.self])

        struct Create: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Create or replace a subscription; the endpoint must complete Event Grid's validation handshake.")
            @Argument(help: "Resource name.") var resource: String
            @Argument(help: "Subscription name: 3-64 letters, digits and hyphens.") var name: String
            @Option(help: "Webhook URL (a secret in its query string is sent with every delivery).") var endpoint: String
            @Option(help: "eventgrid or cloudevents.") var schema = "eventgrid"
            @Option(name: .customLong("event-type"), help: "Only this event type (repeatable), e.g. Microsoft.Communication.ChatMessageReceived.")
            var eventTypes: [String] = []
            @Option(help: "Only subjects starting with this.") var subjectBeginsWith: String?
            @Option(help: "Only subjects ending with this.") var subjectEndsWith: String?
            @Option(help: "Delivery attempts, 1-30.") var maxAttempts = 30
            @Option(help: "Time to live of an event in minutes, 1-1440.") var ttlMinutes = 1440
            @Option(help: "Events per delivery, 1-5000.") var maxEventsPerBatch = 1
            @Flag(help: "Print JSON.") var json = false
            @OptionGroup var options: SwitchboardOptions

            func run() async throws {
                guard let deliverySchema = EventSubscription.DeliverySchema(parsing: schema) else {
                    throw CommandSupport.fail("--schema must be eventgrid or cloudevents")
                }
                try await EventsCommand.withSubscriptions(options, resource: resource) { service, handle, serverURL in
                    let request = EventSubscriptionService.Request(
                        endpointURL: endpoint, schema: deliverySchema,
                        filter: .init(
                            includedEventTypes: eventTypes.isEmpty ? nil : eventTypes, subjectBeginsWith: subjectBeginsWith,
                            subjectEndsWith: subjectEndsWith),
                        maxDeliveryAttempts: maxAttempts, eventTimeToLiveInMinutes: ttlMinutes, maxEventsPerBatch: maxEventsPerBatch)
                    let (subscription, _) = try await service.createOrUpdate(name, request, resource: handle, serverURL: serverURL)
                    EventsCommand.emit([subscription], at: SystemClock().now, json: json)
                }
            }
        }

        struct List: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "List a resource's subscriptions.")
            @Argument(help: "Resource name.") var resource: String
            @Flag(help: "Print JSON.") var json = false
            @OptionGroup var options: SwitchboardOptions

            func run() async throws {
                try await EventsCommand.withSubscriptions(options, resource: resource) { service, handle, _ in
                    EventsCommand.emit(try await service.list(resource: handle), at: SystemClock().now, json: json)
                }
            }
        }

        struct Delete: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Delete a subscription and what is queued for it.")
            @Argument(help: "Resource name.") var resource: String
            @Argument(help: "Subscription name.") var name: String
            @OptionGroup var options: SwitchboardOptions

            func run() async throws {
                try await EventsCommand.withSubscriptions(options, resource: resource) { service, handle, _ in
                    try await service.delete(name, resource: handle)
                    print("Deleted the event subscription '\(name)' of '\(resource)'.")
                }
            }
        }
    }

    /// Runs `body` with the Events capability as the server wires it (``Assembly``), and the resource.
    static func withSubscriptions(
        _ options: SwitchboardOptions, resource name: String,
        _ body: (EventSubscriptionService, ResourceHandle, String) async throws -> Void
    ) async throws {
        try await ResourceCommand.withRuntime(options) { runtime in
            let assembly = try Assembly(runtime: runtime)
            do {
                guard let handle = try await runtime.resources.handle(named: name) else {
                    throw ResourceAdministrationError.notFound(name)
                }
                guard let events = assembly.capability(EventsCapability.self) else { throw ResourceAdministrationError.notFound(name) }
                try await body(events.subscriptions, handle, ResourceCommand.baseURL(runtime.configuration))
            } catch {
                await assembly.shutdown()
                throw error
            }
            await assembly.shutdown()
        }
    }

    static func emit(_ subscriptions: [EventSubscription], at now: Timestamp, json: Bool) {
        struct Row: Encodable {
            let name: String
            let endpointBaseUrl: String
            let eventDeliverySchema: String
            let provisioningState: String
            let includedEventTypes: [String]?
            let maxDeliveryAttempts: Int
            let eventTimeToLiveInMinutes: Int
            let maxEventsPerBatch: Int
            let signingSecret: String
        }
        let rows = subscriptions.map {
            Row(
                name: $0.name, endpointBaseUrl: $0.endpointBaseURL, eventDeliverySchema: $0.schema.rawValue,
                provisioningState: $0.provisioningState(at: now), includedEventTypes: $0.filter.includedEventTypes,
                maxDeliveryAttempts: $0.maxDeliveryAttempts, eventTimeToLiveInMinutes: $0.eventTimeToLiveInMinutes,
                maxEventsPerBatch: $0.maxEventsPerBatch, signingSecret: $0.signingSecret)
        }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            if let data = try? encoder.encode(rows), let text = String(data: data, encoding: .utf8) { print(text) }
            return
        }
        if rows.isEmpty { return print("No event subscriptions.") }
        for row in rows {
            print("\(row.name)  \(row.provisioningState)  \(row.eventDeliverySchema)  \(row.endpointBaseUrl)")
        }
    }
}
