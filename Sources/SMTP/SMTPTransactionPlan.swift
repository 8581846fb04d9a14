import NIOCore

/// The commands and data of one transaction, checked against the server's capabilities before
/// anything is sent.
struct SMTPTransactionPlan {
    var mail: SMTPCommand
    var recipients: [SMTPCommand]
    var data: ByteBuffer
    var messageSize: Int

    /// RFC 5321 §4.5.3.1.6: 1000 octets per text line, CRLF included.
    static let maximumLineLength = 998

    init(envelope: SMTPEnvelope, message: ByteBuffer, capabilities: SMTPServerCapabilities) throws(SMTPError) {
        let reversePath: SMTPPath = envelope.reversePath.isEmpty ? .null : .mailbox(try SMTPMailbox(envelope.reversePath))
        guard !envelope.recipients.isEmpty else { throw .invalidAddress("no recipients") }
        var mailboxes: [SMTPMailbox] = []
        for recipient in envelope.recipients { mailboxes.append(try SMTPMailbox(recipient)) }
        var parameters: [String] = []
        let (data, size, longestLine) = SMTPDotStuffing.encodeCountingSize(message)
        // Not wrapped here: rewrapping would change the content (and break a DKIM signature).
        guard longestLine <= Self.maximumLineLength else { throw .lineTooLong(limit: Self.maximumLineLength) }
        if let limit = capabilities.size, size > limit { throw .messageTooLarge(limit: limit) }
        if capabilities.sizeDeclaration { parameters.append("SIZE=\(size)") }
        if envelope.bodyType == .eightBitMIME {
            guard capabilities.eightBitMIME else { throw .eightBitMIMENotSupported }
            parameters.append("BODY=8BITMIME")
        }
        var needsUTF8 = envelope.requiresSMTPUTF8 || mailboxes.contains(where: \.requiresSMTPUTF8)
        if case .mailbox(let sender) = reversePath, sender.requiresSMTPUTF8 { needsUTF8 = true }
        if needsUTF8 {
            guard capabilities.smtpUTF8 else { throw .smtpUTF8NotSupported }
            parameters.append("SMTPUTF8")
        }
        if let envelopeID = envelope.envelopeID, capabilities.dsn {
            parameters.append("ENVID=\(Self.xtext(envelopeID))")
        }
        mail = .mail(from: reversePath, parameters: parameters)
        recipients = mailboxes.map { .rcpt(to: .mailbox($0), parameters: []) }
        self.data = data
        messageSize = size
    }

    /// RFC 3461 §4 xtext: `+`, `=` and octets outside `!`…`~` as `+XX`.
    static func xtext(_ text: String) -> String {
        var result = ""
        for byte in text.utf8 {
            if (33...126).contains(byte) && byte != UInt8(ascii: "+") && byte != UInt8(ascii: "=") {
                result.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                let hex = String(byte, radix: 16, uppercase: true)
                result += "+" + (hex.count == 1 ? "0" + hex : hex)
            }
        }
        return result
    }
}
