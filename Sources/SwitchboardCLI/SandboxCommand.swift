import ArgumentParser
import Foundation
import Switchboard

/// `switchboard sandbox sms …`: the sandbox handsets — what they received, and a message written from one of them
/// (a reply, `STOP`); `switchboard sandbox email …`: the sandbox mailbox. Over the same services as the API, whether
/// the server runs or not.
struct SandboxCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sandbox", abstract: "Look at and play the sandbox carriers' handsets and mailbox.",
        subcommands: [SMS.self, Email.self])

    struct Email: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "email", abstract: "The email sandbox mailbox.", subcommands: [List.self, Show.self])

        struct List: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "What the sandbox mailbox captured, newest first.")
            @Argument(help: "Resource name.") var resource: String
            @Option(help: "Only this recipient's messages.") var recipient: String?
            @Option(help: "At most this many.") var limit = 50
            @Flag(help: "Print JSON.") var json = false
            @OptionGroup var options: SwitchboardOptions

            func run() async throws {
                try await SandboxCommand.withEmail(options, resource: resource) { email, handle in
                    let address = try recipient.map { text in
                        guard let address = MessagingAddress.emailAddress(text) else {
                            throw CommandSupport.fail("--recipient must be an email address")
                        }
                        return address
                    }
                    let views = try await email.sandboxMailbox(recipient: address, limit: max(1, min(limit, 500)), in: handle)
                    PolicyCommand.emit(views, json: json) {
                        views.isEmpty
                            ? "The sandbox mailbox is empty (it keeps messages a day)."
                            : views.map(\.line).joined(separator: "\n")
                    }
                }
            }
        }

        struct Show: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "One captured message: its exact bytes (message/rfc822), or JSON.")
            @Argument(help: "Resource name.") var resource: String
            @Argument(help: "The message's id (from list).") var id: String
            @Flag(help: "Print the parsed message as JSON instead of its bytes.") var json = false
            @OptionGroup var options: SwitchboardOptions

            func run() async throws {
                try await SandboxCommand.withEmail(options, resource: resource) { email, handle in
                    if json {
                        PolicyCommand.emit(try await email.sandboxMailboxMessage(id, in: handle), json: true) { "" }
                    } else {
                        FileHandle.standardOutput.write(Data(try await email.sandboxMailboxRaw(id, in: handle)))
                    }
                }
            }
        }
    }

    struct SMS: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "sms", abstract: "The SMS sandbox handsets.", subcommands: [List.self, Receive.self])

        struct List: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "What the sandbox handsets received and sent, newest first.")
            @Argument(help: "Resource name.") var resource: String
            @Option(help: "Only this handset's messages (E.164).") var handset: String?
            @Option(help: "At most this many.") var limit = 50
            @Flag(help: "Print JSON.") var json = false
            @OptionGroup var options: SwitchboardOptions

            func run() async throws {
                try await SandboxCommand.withSMS(options, resource: resource) { sms, handle, _ in
                    let number = try handset.map { text in
                        guard let number = MessagingAddress.phoneNumber(text) else { throw CommandSupport.fail("--handset must be E.164") }
                        return number
                    }
                    let entries = try await sms.sandboxMessages(handset: number, limit: max(1, min(limit, 500)), in: handle)
                    PolicyCommand.emit(entries, json: json) {
                        entries.isEmpty
                            ? "The sandbox handsets have no messages (they keep them a day)."
                            : entries.map(\.line).joined(separator: "\n")
                    }
                }
            }
        }

        struct Receive: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "A sandbox handset writes to one of the resource's numbers (e.g. STOP, HELP, YES or a reply).")
            @Argument(help: "Resource name.") var resource: String
            @Option(help: "The handset's number (E.164).") var from: String
            @Option(help: "The resource's number it writes to.") var to: String
            @Option(help: "What it writes.") var message: String
            @Flag(help: "Print JSON.") var json = false
            @OptionGroup var options: SwitchboardOptions

            struct Received: Encodable {
                let messageId: String
            }

            func run() async throws {
                try await SandboxCommand.withSMS(options, resource: resource) { sms, handle, serverURL in
                    let id = try await sms.sandboxReceive(from: from, to: to, text: message, in: handle, serverURL: serverURL)
                    PolicyCommand.emit(Received(messageId: id), json: json) { "Received \(id) from \(from) to \(to)." }
                }
            }
        }
    }

    static func withEmail(_ options: SwitchboardOptions, resource name: String, _ body: (EmailService, ResourceHandle) async throws -> Void)
        async throws
    {
        try await ResourceCommand.withRuntime(options) { runtime in
            let assembly = try Assembly(runtime: runtime)
            do {
                guard let handle = try await runtime.resources.handle(named: name) else { throw ResourceAdministrationError.notFound(name) }
                guard let email = assembly.capability(EmailCapability.self)?.service else { throw CommandSupport.fail("Email is not available") }
                try await body(email, handle)
            } catch let error as any APIErrorConvertible {
                await assembly.shutdown()
                throw CommandSupport.fail(error.apiError.message)
            } catch {
                await assembly.shutdown()
                throw error
            }
            await assembly.shutdown()
        }
    }

    static func withSMS(
        _ options: SwitchboardOptions, resource name: String, _ body: (SMSService, ResourceHandle, String) async throws -> Void
    ) async throws {
        try await ResourceCommand.withRuntime(options) { runtime in
            let assembly = try Assembly(runtime: runtime)
            do {
                guard let handle = try await runtime.resources.handle(named: name) else { throw ResourceAdministrationError.notFound(name) }
                guard let sms = assembly.capability(SMSCapability.self)?.service else { throw CommandSupport.fail("SMS is not available") }
                try await body(sms, handle, ResourceCommand.baseURL(runtime.configuration))
            } catch let error as any APIErrorConvertible {
                await assembly.shutdown()
                throw CommandSupport.fail(error.apiError.message)
            } catch {
                await assembly.shutdown()
                throw error
            }
            await assembly.shutdown()
        }
    }
}
