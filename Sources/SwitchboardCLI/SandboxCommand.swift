import ArgumentParser
import Foundation
import Switchboard

/// `switchboard sandbox sms …`: the sandbox handsets — what they received, and a message written from one of them
/// (a reply, `STOP`), over the same service as the API, whether the server runs or not.
struct SandboxCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sandbox", abstract: "Look at and play the sandbox carriers' handsets.", subcommands: [SMS.self])

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
