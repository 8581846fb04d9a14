import Crypto
import Foundation

/// Double opt-in by email: the confirmation the policy queues when consent to a double opt-in program is recorded
/// (``ConsentConfirmation``), sent by ``EmailConfirmationHandler``.
extension EmailService {
    /// Queues a double opt-in confirmation as a send of its own. Its operation id is derived from the outbox row, so a
    /// retried row answers the same operation instead of sending twice.
    func sendConfirmation(_ confirmation: ConsentConfirmation, deliveryID: String, in resource: ResourceHandle) async throws {
        let digest = Array(SHA256.hash(data: Data("confirmation:\(deliveryID)".utf8)))
        let id = UUID(
            uuid: (
                digest[0], digest[1], digest[2], digest[3], digest[4], digest[5], digest[6] & 0x0F | 0x50, digest[7], digest[8] & 0x3F | 0x80,
                digest[9], digest[10], digest[11], digest[12], digest[13], digest[14], digest[15]
            ))
        let link = confirmation.confirmationUrl ?? ""
        let paragraphs = confirmation.text.components(separatedBy: "\n\n").map { paragraph in
            paragraph.contains(link) && !link.isEmpty
                ? #"<p><a href="\#(Self.escape(link))">Confirm your subscription</a></p>"#
                : "<p>\(Self.escape(paragraph))</p>"
        }
        let request = SendRequest(
            senderAddress: confirmation.from, to: [EmailAddressValue(address: confirmation.to)],
            subject: confirmation.subject ?? "Confirm your subscription", plainText: confirmation.text,
            html: "<html><body>\(paragraphs.joined())</body></html>", trackingDisabled: true)
        _ = try await send(
            request, operationID: id.uuidString, serverURL: nil, confirming: confirmation.programId ?? MessagingProgram.defaultID, in: resource)
    }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
            .replacingOccurrences(of: "\"", with: "&quot;")
    }
}
