import ArgumentParser
import Foundation
import Switchboard

/// `switchboard privacy export|erase|verify`: a person's data exported or erased across every channel of a resource
/// (the same requests as `POST /privacy/exports` and `/privacy/erasures`, run at once), and an erasure receipt
/// checked offline.
struct PrivacyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "privacy", abstract: "Export or erase a person's data, and check erasure receipts.",
        subcommands: [Export.self, Erase.self, Verify.self, Key.self])

    struct Subject: ParsableArguments {
        @Argument(help: "Resource name.") var resource: String
        @Option(name: .customLong("user"), help: "A communication user id (8:acs:…); repeatable.") var users: [String] = []
        @Option(name: .customLong("phone-number"), help: "An E.164 phone number; repeatable.") var phoneNumbers: [String] = []
        @Option(name: .customLong("email"), help: "An email address; repeatable.") var emailAddresses: [String] = []

        var identifiers: PrivacyService.Identifiers {
            PrivacyService.Identifiers(
                communicationUserIds: users.isEmpty ? nil : users, phoneNumbers: phoneNumbers.isEmpty ? nil : phoneNumbers,
                emailAddresses: emailAddresses.isEmpty ? nil : emailAddresses)
        }
    }

    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Export everything the resource holds about a person, as one JSON archive.")
        @OptionGroup var subject: Subject
        @Option(name: .shortAndLong, help: "Write the archive to this file instead of standard output.") var output: String?
        @OptionGroup var options: SwitchboardOptions

        func run() async throws {
            try await PrivacyCommand.run(.export, subject, options) { privacy, handle, id in
                let archive = try await privacy.archive(id, in: handle)
                if let output {
                    try archive.write(to: URL(fileURLWithPath: output), options: .atomic)
                    print("Wrote the archive of export \(id) to \(output).")
                } else {
                    FileHandle.standardOutput.write(archive + Data("\n".utf8))
                }
            }
        }
    }

    struct Erase: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Erase everything the resource holds about a person; prints the signed receipt (a JWS).")
        @OptionGroup var subject: Subject
        @Option(name: .shortAndLong, help: "Write the receipt to this file as well.") var output: String?
        @Flag(help: "Print the request's status as JSON (with the receipt and what was erased).") var json = false
        @OptionGroup var options: SwitchboardOptions

        func run() async throws {
            try await PrivacyCommand.run(.erasure, subject, options) { privacy, handle, id in
                let view = try await privacy.request(.erasure, id, in: handle)
                guard let receipt = view.receipt else { throw CommandSupport.fail("the erasure \(id) is \(view.status.rawValue)") }
                if let output { try Data((receipt + "\n").utf8).write(to: URL(fileURLWithPath: output), options: .atomic) }
                PolicyCommand.emit(view, json: json) { receipt }
            }
        }
    }

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check an erasure receipt's signature offline; prints what it says.",
            discussion: """
                The key is the resource's receipt key: a JWK as GET {endpoint}/privacy/receiptKey returns it, or its \
                base64url `x`, given with --public-key (text or a file), or read from the local store with --resource.
                """)
        @Argument(help: "The receipt: a file, or the JWS itself, or - for standard input.") var receipt: String
        @Option(help: "The receipt key: a JWK, a base64url Ed25519 public key, or a file holding either.") var publicKey: String?
        @Option(help: "Take the key of this resource from the local store instead.") var resource: String?
        @OptionGroup var options: SwitchboardOptions

        func run() async throws {
            let jws = try PrivacyCommand.text(receipt)
            let key: ReceiptKey
            if let publicKey {
                guard let parsed = ReceiptKey(parsing: try PrivacyCommand.text(publicKey)) else {
                    throw CommandSupport.fail("--public-key is not an Ed25519 JWK or public key")
                }
                key = parsed
            } else if let resource {
                var found: ReceiptKey?
                try await ResourceCommand.withRuntime(options) { runtime in
                    guard let handle = try await runtime.resources.handle(named: resource) else {
                        throw CommandSupport.fail("there is no resource '\(resource)'")
                    }
                    found = handle.receiptKey
                }
                guard let found else { return }
                key = found
            } else {
                throw CommandSupport.fail("give the receipt key with --public-key, or --resource to read it from the local store")
            }
            do {
                let verified = try SignedReceipt.verify(jws, key: key)
                PolicyCommand.emit(verified, json: true) { "" }
                FileHandle.standardError.write(Data("The receipt's signature is valid (key \(key.kid)).\n".utf8))
            } catch {
                throw CommandSupport.fail("\(error)")
            }
        }
    }

    struct Key: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "key", abstract: "Print the resource's receipt key (a JWK), as GET {endpoint}/privacy/receiptKey does.")
        @Argument(help: "Resource name.") var resource: String
        @OptionGroup var options: SwitchboardOptions

        func run() async throws {
            try await ResourceCommand.withRuntime(options) { runtime in
                guard let handle = try await runtime.resources.handle(named: resource) else {
                    throw CommandSupport.fail("there is no resource '\(resource)'")
                }
                PolicyCommand.emit(handle.receiptKey, json: true) { "" }
            }
        }
    }

    /// Submits a request of `kind` and runs it at once, then hands its id to `body`.
    static func run(
        _ kind: PrivacyService.Kind, _ subject: Subject, _ options: SwitchboardOptions,
        _ body: (PrivacyService, ResourceHandle, String) async throws -> Void
    ) async throws {
        try await ResourceCommand.withRuntime(options) { runtime in
            let assembly = try Assembly(runtime: runtime)
            do {
                guard let handle = try await runtime.resources.handle(named: subject.resource) else {
                    throw ResourceAdministrationError.notFound(subject.resource)
                }
                guard let privacy = assembly.capability(PrivacyCapability.self)?.service else {
                    throw CommandSupport.fail("privacy is not available")
                }
                let subjects = try PrivacyService.subjects(subject.identifiers, in: handle)
                let view = try await privacy.submit(kind, subjects: subjects, in: handle)
                // A running server's workers may take the queued request too: running it twice is harmless (it does
                // nothing once finished).
                try await privacy.perform(view.id, subjects: subjects, in: handle)
                try await body(privacy, handle, view.id)
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

    /// `argument` itself, or the contents of the file it names (`-`: standard input).
    static func text(_ argument: String) throws -> String {
        if argument == "-" { return String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self) }
        if FileManager.default.fileExists(atPath: argument) {
            guard let text = try? String(contentsOfFile: argument, encoding: .utf8) else { throw CommandSupport.fail("cannot read \(argument)") }
            return text
        }
        return argument
    }
}
