import Foundation
import Mail

/// A send's request checked as ACS checks it: addresses, the recipient limit, content, attachments and headers.
struct ValidatedSend: Sendable {
    struct Recipient: Sendable {
        let kind: EmailStore.Recipient.Kind
        let address: MailAddress
    }

    let sender: MailAddress
    let recipients: [Recipient]
    let request: EmailService.SendRequest
    let attachments: [EmailContent.Attachment]
    let headers: [[String]]
    /// What identifies the request, for `Operation-Id` replays.
    let fingerprint: Data

    func content(program: String, sender: EmailAddressValue, linkBase: String) -> EmailContent {
        EmailContent(
            sender: sender,
            to: request.to.map { EmailAddressValue(address: $0.address.trimmingCharacters(in: .whitespaces), displayName: $0.displayName) },
            cc: request.cc.map { EmailAddressValue(address: $0.address.trimmingCharacters(in: .whitespaces), displayName: $0.displayName) },
            replyTo: request.replyTo, subject: request.subject, plainText: request.plainText, html: request.html, attachments: attachments,
            headers: headers, trackingDisabled: request.trackingDisabled, programID: program, linkBase: linkBase)
    }
}

extension EmailService {
    /// Headers a caller may not set: the ones the message's structure, its signature and its unsubscribe links own.
    static let reservedHeaders: Set<String> = [
        "from", "sender", "to", "cc", "bcc", "reply-to", "subject", "date", "message-id", "mime-version", "content-type",
        "content-transfer-encoding", "content-disposition", "content-id", "dkim-signature", "return-path", "received", "list-unsubscribe",
        "list-unsubscribe-post", "arc-seal", "arc-message-signature", "arc-authentication-results", "authentication-results",
    ]

    /// File types that may not be attached: executables and scripts, as ACS refuses them.
    static let blockedExtensions: Set<String> = [
        "exe", "com", "bat", "cmd", "scr", "pif", "msi", "msp", "jar", "js", "jse", "vbs", "vbe", "wsf", "wsh", "ps1", "psm1", "cpl", "dll",
        "hta", "lnk", "reg", "app", "gadget", "application", "msc", "sys", "vb", "ws",
    ]
    static let blockedTypes: Set<String> = [
        "application/x-msdownload", "application/x-msdos-program", "application/x-ms-installer", "application/x-sh", "application/x-bat",
        "application/hta", "application/x-javascript", "application/java-archive", "application/vnd.microsoft.portable-executable",
    ]

    func validate(_ request: SendRequest) throws -> ValidatedSend {
        let sender = try Self.address(request.senderAddress, displayName: nil, target: "senderAddress")
        var recipients: [ValidatedSend.Recipient] = []
        var seen = Set<String>()
        for (kind, list) in [(EmailStore.Recipient.Kind.to, request.to), (.cc, request.cc), (.bcc, request.bcc)] {
            for (index, value) in list.enumerated() {
                let address = try Self.address(value.address, displayName: value.displayName, target: "recipients.\(kind.rawValue)[\(index)]")
                // One copy per mailbox, however many times it is listed.
                if seen.insert(address.addrSpec.lowercased()).inserted { recipients.append(.init(kind: kind, address: address)) }
            }
        }
        guard !recipients.isEmpty else { throw EmailError.invalid("The email needs at least one recipient.", target: "recipients.to") }
        guard request.to.count + request.cc.count + request.bcc.count <= Self.recipientLimit else {
            throw EmailError.tooManyRecipients(limit: Self.recipientLimit)
        }
        for (index, value) in request.replyTo.enumerated() {
            _ = try Self.address(value.address, displayName: value.displayName, target: "replyTo[\(index)]")
        }
        guard !Self.breaksLine(request.subject) else {
            throw EmailError.invalid("The subject may not contain line breaks.", target: "content.subject")
        }
        let plain = request.plainText.flatMap { $0.isEmpty ? nil : $0 }
        let html = request.html.flatMap { $0.isEmpty ? nil : $0 }
        guard plain != nil || html != nil else {
            throw EmailError.invalid("The content needs plainText, html or both.", target: "content")
        }
        var size = request.subject.utf8.count + (plain?.utf8.count ?? 0) + (html?.utf8.count ?? 0)
        var attachments: [EmailContent.Attachment] = []
        var contentIDs = Set<String>()
        for (index, attachment) in request.attachments.enumerated() {
            let target = "attachments[\(index)]"
            let name = attachment.name.trimmingCharacters(in: .whitespaces)
            guard !name.isEmpty, name.count <= 255, !name.contains(where: { $0.isNewline || $0 == "\0" || $0 == "/" || $0 == "\\" }) else {
                throw EmailError.invalid("An attachment needs a file name without line breaks or slashes.", target: "\(target).name")
            }
            let type = attachment.contentType.trimmingCharacters(in: .whitespaces).lowercased()
            let parts = type.split(separator: "/")
            guard parts.count == 2, parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy { $0.isLetter || $0.isNumber || "-+.".contains($0) } })
            else { throw EmailError.invalid("contentType must be a MIME type such as application/pdf.", target: "\(target).contentType") }
            let fileExtension = name.split(separator: ".").last.map { String($0).lowercased() } ?? ""
            guard !Self.blockedTypes.contains(type), name.contains(".") ? !Self.blockedExtensions.contains(fileExtension) : true else {
                throw EmailError.attachmentTypeNotAllowed(name)
            }
            guard let data = Data(base64Encoded: attachment.contentInBase64, options: .ignoreUnknownCharacters) else {
                throw EmailError.invalid("contentInBase64 is not valid base64.", target: "\(target).contentInBase64")
            }
            if let id = attachment.contentId {
                guard !id.isEmpty, id.count <= 255, id.allSatisfy({ $0.isASCII && !$0.isWhitespace && !"<>\"".contains($0) }),
                    contentIDs.insert(id).inserted
                else { throw EmailError.invalid("contentId must be unique, printable and without spaces or <>.", target: "\(target).contentId") }
            }
            size += data.count
            attachments.append(.init(name: name, contentType: type, data: data, contentId: attachment.contentId))
        }
        guard size <= configuration.maxMessageBytes else { throw EmailError.tooLarge(limitBytes: configuration.maxMessageBytes) }
        var headers: [[String]] = []
        for (name, value) in request.headers {
            guard !name.isEmpty, name.count <= 76, name.utf8.allSatisfy({ $0 > 32 && $0 < 127 && $0 != UInt8(ascii: ":") }) else {
                throw EmailError.invalid("'\(name)' is not a valid header name.", target: "headers")
            }
            guard !Self.reservedHeaders.contains(name.lowercased()) else {
                throw EmailError.invalid("The header '\(name)' is set by the service and may not be given.", target: "headers.\(name)")
            }
            guard !Self.breaksLine(value), value.utf8.count <= 998 - name.utf8.count - 2 else {
                throw EmailError.invalid("The value of '\(name)' may not contain line breaks or exceed a line.", target: "headers.\(name)")
            }
            headers.append([name, value])
        }
        var fingerprint = Data()
        for part in [request.senderAddress, request.subject, plain ?? "", html ?? ""] + recipients.map({ "\($0.kind)=\($0.address.addrSpec)" })
            + headers.map({ $0.joined(separator: ":") })
        {
            fingerprint.append(contentsOf: part.utf8)
            fingerprint.append(0)
        }
        for attachment in attachments {
            fingerprint.append(contentsOf: attachment.name.utf8)
            fingerprint.append(attachment.data)
        }
        var normalized = request
        normalized.plainText = plain
        normalized.html = html
        return ValidatedSend(
            sender: sender, recipients: recipients, request: normalized, attachments: attachments, headers: headers, fingerprint: fingerprint)
    }

    /// Whether `text` holds a CR, an LF or a NUL (scalars, since "\r\n" is one Character): what would let a value
    /// start a header of its own.
    static func breaksLine(_ text: String) -> Bool {
        text.unicodeScalars.contains { $0 == "\r" || $0 == "\n" || $0 == "\0" }
    }

    static func address(_ text: String, displayName: String?, target: String) throws -> MailAddress {
        if let displayName, Self.breaksLine(displayName) {
            throw EmailError.invalid("A display name may not contain line breaks.", target: "\(target).displayName")
        }
        do {
            return try MailAddress(text.trimmingCharacters(in: .whitespaces), displayName: displayName)
        } catch {
            throw EmailError.invalidAddress("'\(text)' is not a valid email address: \(error).", target: target)
        }
    }
}
