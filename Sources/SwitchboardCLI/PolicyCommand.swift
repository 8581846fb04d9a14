import ArgumentParser
import Foundation
import Switchboard

/// `switchboard policy …`: the messaging policy of a resource — programs, consent, opt-outs and the dry run — for
/// operators and scripts, over the same service as the API, whether the server runs or not.
struct PolicyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "policy", abstract: "Manage messaging programs, consent and opt-outs, and ask the policy gate.",
        subcommands: [Program.self, ConsentCommand.self, OptOutCommand.self, Evaluate.self])

    struct Program: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "program", abstract: "Messaging programs (campaigns).", subcommands: [Put.self, List.self, Show.self, Delete.self])

        struct Put: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Create or replace a program.")
            @Argument(help: "Resource name.") var resource: String
            @Argument(help: "Program id: 1-64 letters, digits, '-' or '_'.") var id: String
            @Option(help: "Name: the sender's identity in confirmations.") var name: String
            @Option(help: "What the program sends.") var description: String?
            @Option(help: "informational or promotional.") var purpose = "informational"
            @Option(help: "general, a double opt-in category (autoWarranty, …) or an exempt one (packageDelivery, fraudAlert, healthcareTreatment).")
            var category = "general"
            @Option(name: .customLong("sender"), help: "A sender number, alphanumeric id, address or WhatsApp channel id (repeatable).")
            var senders: [String] = []
            @Option(help: "How often it sends, e.g. 'Up to 4 msgs/month'.") var frequency: String?
            @Option(help: "Fees, e.g. 'Msg & data rates may apply'.") var fees: String?
            @Option(help: "The answer to HELP.") var helpText: String?
            @Option(help: "Terms and conditions URL.") var termsUrl: String?
            @Option(help: "Privacy policy URL.") var privacyUrl: String?
            @Flag(help: "Its messages need an age-verified recipient.") var ageGated = false
            @Flag(help: "Require double opt-in (always on for the six categories that need it).") var doubleOptIn = false
            @Option(help: "The affiliate consent is collected for.") var thirdParty: String?
            @Flag(help: "Print JSON.") var json = false
            @OptionGroup var options: SwitchboardOptions

            func run() async throws {
                guard let purpose = MessagingProgram.Purpose(rawValue: purpose) else {
                    throw CommandSupport.fail("--purpose must be informational or promotional")
                }
                guard let category = MessagingProgram.Category(rawValue: category) else {
                    throw CommandSupport.fail(
                        "--category must be one of \(MessagingProgram.Category.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                try await PolicyCommand.withPolicy(options, resource: resource) { policy, handle, _ in
                    let (program, created) = try await policy.putProgram(
                        MessagingProgram(
                            id: id, name: name, description: description, purpose: purpose, category: category, senders: senders,
                            frequency: frequency, fees: fees, helpText: helpText, termsUrl: termsUrl, privacyUrl: privacyUrl, ageGated: ageGated,
                            doubleOptIn: doubleOptIn, thirdParty: thirdParty),
                        in: handle)
                    PolicyCommand.emit(program, json: json) {
                        "\(created ? "Created" : "Updated") the program '\(program.id)' (\(program.purpose.rawValue), \(program.category.rawValue))"
                            + (program.senders.isEmpty ? "." : " with senders \(program.senders.joined(separator: ", ")).")
                    }
                }
            }
        }

        struct List: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "List programs.")
            @Argument(help: "Resource name.") var resource: String
            @Flag(help: "Print JSON.") var json = false
            @OptionGroup var options: SwitchboardOptions

            func run() async throws {
                try await PolicyCommand.withPolicy(options, resource: resource) { policy, handle, _ in
                    let programs = try await PolicyCommand.all { after in
                        try await policy.programs(after: after, limit: 1000, in: handle)
                    } key: {
                        $0.id
                    }
                    PolicyCommand.emit(programs, json: json) {
                        programs.isEmpty
                            ? "No programs: every sender is in the default program."
                            : programs.map { "\($0.id)  \($0.purpose.rawValue)  \($0.category.rawValue)  \($0.senders.joined(separator: ","))" }
                                .joined(separator: "\n")
                    }
                }
            }
        }

        struct Show: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Show a program.")
            @Argument(help: "Resource name.") var resource: String
            @Argument(help: "Program id.") var id: String
            @Flag(help: "Print JSON.") var json = false
            @OptionGroup var options: SwitchboardOptions

            func run() async throws {
                try await PolicyCommand.withPolicy(options, resource: resource) { policy, handle, _ in
                    let program = try await policy.program(id, in: handle)
                    PolicyCommand.emit(program, json: json) {
                        [
                            "\(program.id): \(program.name) (\(program.purpose.rawValue), \(program.category.rawValue))",
                            "  senders       \(program.senders.isEmpty ? "(none)" : program.senders.joined(separator: ", "))",
                            "  double opt-in \(program.doubleOptIn ? "yes" : "no"), age-gated \(program.ageGated ? "yes" : "no")",
                            program.description.map { "  description   \($0)" }, program.frequency.map { "  frequency     \($0)" },
                            program.fees.map { "  fees          \($0)" }, program.helpText.map { "  help          \($0)" },
                            program.thirdParty.map { "  third party   \($0)" },
                        ].compactMap { $0 }.joined(separator: "\n")
                    }
                }
            }
        }

        struct Delete: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Delete a program; its senders return to the default program.")
            @Argument(help: "Resource name.") var resource: String
            @Argument(help: "Program id.") var id: String
            @Flag(help: "Print JSON.") var json = false
            @OptionGroup var options: SwitchboardOptions

            func run() async throws {
                try await PolicyCommand.withPolicy(options, resource: resource) { policy, handle, _ in
                    try await policy.deleteProgram(id, in: handle)
                    struct Deleted: Encodable {
                        let id: String
                        let deleted: Bool
                    }
                    PolicyCommand.emit(Deleted(id: id, deleted: true), json: json) {
                        "Deleted the program '\(id)'; its consent records stay in the ledger."
                    }
                }
            }
        }
    }

    struct ConsentCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "consent", abstract: "The consent ledger.", subcommands: [Record.self, List.self, Export.self])

        struct Record: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Record consent with its evidence.")
            @Argument(help: "Resource name.") var resource: String
            @Option(help: "E.164 number or email address.") var recipient: String
            @Option(help: "sms, email or whatsapp.") var channel: String
            @Option(help: "Program id (default: the default program).") var program = MessagingProgram.defaultID
            @Option(help: "written or oral.") var kind: String
            @Option(help: "webForm, keyword, paper, voice, app, inPerson, …") var medium: String
            @Option(help: "When it was captured (RFC 3339; default now).") var capturedOn: String?
            @Option var campaign: String?
            @Option var ipAddress: String?
            @Option var sessionId: String?
            @Option var userAgent: String?
            @Option var screenshotRef: String?
            @Option(help: "The text the person agreed to.") var callToAction: String?
            @Flag(help: "The person's age was verified.") var ageVerified = false
            @Option(help: "The person's identity in the application (8:acs:…).") var communicationUserId: String?
            @Flag(help: "Print JSON.") var json = false
            @OptionGroup var options: SwitchboardOptions

            func run() async throws {
                guard let kind = Consent.Kind(rawValue: kind) else { throw CommandSupport.fail("--kind must be written or oral") }
                let channel = try PolicyCommand.channel(channel)
                let captured = try capturedOn.map { text in
                    guard let date = APIDate.parse(text) else { throw CommandSupport.fail("--captured-on must be an RFC 3339 date-time") }
                    return date
                }
                try await PolicyCommand.withPolicy(options, resource: resource) { policy, handle, serverURL in
                    let consent = try await policy.recordConsent(
                        .init(
                            recipient: recipient, channel: channel, programID: program, kind: kind,
                            evidence: Consent.Evidence(
                                capturedOn: captured, medium: medium, campaign: campaign, ipAddress: ipAddress, sessionId: sessionId,
                                userAgent: userAgent, screenshotRef: screenshotRef, callToAction: callToAction, ageVerified: ageVerified),
                            communicationUserID: communicationUserId),
                        in: handle, serverURL: serverURL)
                    PolicyCommand.emit(consent, json: json) {
                        "Recorded \(consent.kind.rawValue) consent \(consent.id) for \(consent.programId) on \(consent.channel.rawValue): \(consent.state.rawValue)."
                    }
                }
            }
        }

        struct List: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "List consents with their history.")
            @Argument(help: "Resource name.") var resource: String
            @Option var recipient: String?
            @Option var channel: String?
            @Option var program: String?
            @Flag(help: "Print JSON.") var json = false
            @OptionGroup var options: SwitchboardOptions

            func run() async throws {
                let channel = try self.channel.map(PolicyCommand.channel)
                try await PolicyCommand.withPolicy(options, resource: resource) { policy, handle, _ in
                    let consents = try await PolicyCommand.all { after in
                        try await policy.consents(recipient: recipient, channel: channel, programID: program, after: after, limit: 1000, in: handle)
                    } key: {
                        $0.id
                    }
                    PolicyCommand.emit(consents, json: json) {
                        consents.isEmpty
                            ? "No consents."
                            : consents.map {
                                "\($0.id)  \($0.recipient ?? "(minimised)")  \($0.channel.rawValue)  \($0.programId)  \($0.kind.rawValue)  \($0.state.rawValue)"
                            }.joined(separator: "\n")
                    }
                }
            }
        }

        struct Export: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Export the whole ledger for auditors (CSV or JSON) to standard output.")
            @Argument(help: "Resource name.") var resource: String
            @Option(help: "csv or json.") var format = "csv"
            @Flag(help: "Print JSON (the same as --format json).") var json = false
            @OptionGroup var options: SwitchboardOptions

            func run() async throws {
                let format = json ? "json" : self.format
                guard format == "csv" || format == "json" else { throw CommandSupport.fail("--format must be csv or json") }
                try await PolicyCommand.withPolicy(options, resource: resource) { policy, handle, _ in
                    let consents = try await PolicyCommand.all { after in
                        try await policy.consents(recipient: nil, channel: nil, programID: nil, after: after, limit: 1000, in: handle)
                    } key: {
                        $0.id
                    }
                    if format == "json" { return PolicyCommand.emit(consents, json: true) { "" } }
                    print(ConsentLedgerExport.csv(consents), terminator: "")
                }
            }
        }
    }

    struct OptOutCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "optout", abstract: "Opt-outs.", subcommands: [Add.self, List.self])

        struct Add: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Record an opt-out received by any means.")
            @Argument(help: "Resource name.") var resource: String
            @Option(help: "E.164 number or email address.") var recipient: String
            @Option(help: "sms, email or whatsapp (default: every channel).") var channel: String?
            @Option(help: "Program id (default: every program).") var program: String?
            @Option(help: "keyword, unsubscribeLink, api, phoneCall, webForm, support, emailReply, …") var source = "support"
            @Flag(help: "Print JSON.") var json = false
            @OptionGroup var options: SwitchboardOptions

            func run() async throws {
                let channel = try self.channel.map(PolicyCommand.channel)
                try await PolicyCommand.withPolicy(options, resource: resource) { policy, handle, _ in
                    let optOut = try await policy.recordOptOut(
                        .init(recipient: recipient, channel: channel, programID: program, source: source), in: handle)
                    PolicyCommand.emit(optOut, json: json) {
                        "Recorded opt-out \(optOut.id) of \(optOut.programId.map { "the program '\($0)'" } ?? "every program") on "
                            + "\(optOut.channel?.rawValue ?? "every channel")."
                    }
                }
            }
        }

        struct List: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "List opt-outs.")
            @Argument(help: "Resource name.") var resource: String
            @Option var recipient: String?
            @Flag(help: "Print JSON.") var json = false
            @OptionGroup var options: SwitchboardOptions

            func run() async throws {
                try await PolicyCommand.withPolicy(options, resource: resource) { policy, handle, _ in
                    let optOuts = try await PolicyCommand.all { after in
                        try await policy.optOuts(recipient: recipient, after: after, limit: 1000, in: handle)
                    } key: {
                        $0.id
                    }
                    PolicyCommand.emit(optOuts, json: json) {
                        optOuts.isEmpty
                            ? "No opt-outs."
                            : optOuts.map {
                                "\($0.id)  \($0.recipient ?? "(erased)")  \($0.channel?.rawValue ?? "*")  \($0.programId ?? "*")  \($0.source)"
                            }.joined(separator: "\n")
                    }
                }
            }
        }
    }

    struct Evaluate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Ask the gate what it would decide, without sending.")
        @Argument(help: "Resource name.") var resource: String
        @Option(help: "sms, email or whatsapp.") var channel: String
        @Option(help: "The sender.") var from: String
        @Option(name: .customLong("to"), help: "A recipient (repeatable).") var recipients: [String]
        @Option(help: "The message text.") var content: String?
        @Option(help: "An email's subject.") var subject: String?
        @Option(help: "An email's HTML.") var html: String?
        @Flag(help: "Print JSON.") var json = false
        @OptionGroup var options: SwitchboardOptions

        func run() async throws {
            let channel = try PolicyCommand.channel(channel)
            try await PolicyCommand.withPolicy(options, resource: resource) { policy, handle, _ in
                let decisions = try await policy.evaluate(
                    PolicyMessage(channel: channel, from: from, to: recipients, subject: subject, text: content, html: html), in: handle)
                PolicyCommand.emit(decisions, json: json) {
                    decisions.map { "\($0.recipient)  \($0.code?.rawValue ?? "accept")  [\($0.rule)]  \($0.reason)" }.joined(separator: "\n")
                }
            }
        }
    }

    static func channel(_ text: String) throws -> MessagingChannel {
        guard let channel = MessagingChannel(rawValue: text.lowercased()) else {
            throw CommandSupport.fail("--channel must be sms, email or whatsapp")
        }
        return channel
    }

    /// Every page of a list.
    static func all<Item>(_ page: (String?) async throws -> [Item], key: (Item) -> String) async throws -> [Item] {
        var items: [Item] = []
        var after: String?
        while true {
            let batch = try await page(after)
            items += batch
            guard batch.count == 1000, let last = batch.last else { return items }
            after = key(last)
        }
    }

    /// Runs `body` with the policy service as the server wires it, the resource and the server's base URL.
    static func withPolicy(
        _ options: SwitchboardOptions, resource name: String, _ body: (PolicyService, ResourceHandle, String) async throws -> Void
    ) async throws {
        try await ResourceCommand.withRuntime(options) { runtime in
            let assembly = try Assembly(runtime: runtime)
            do {
                guard let handle = try await runtime.resources.handle(named: name) else { throw ResourceAdministrationError.notFound(name) }
                try await body(assembly.platform.policy, handle, ResourceCommand.baseURL(runtime.configuration))
            } catch {
                await assembly.shutdown()
                throw error
            }
            await assembly.shutdown()
        }
    }

    static func emit(_ value: some Encodable, json: Bool, text: () -> String) {
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            encoder.dateEncodingStrategy = .custom { date, encoder in
                var container = encoder.singleValueContainer()
                try container.encode(APIDate.format(date))
            }
            if let data = try? encoder.encode(value), let output = String(data: data, encoding: .utf8) { print(output) }
            return
        }
        print(text())
    }
}
