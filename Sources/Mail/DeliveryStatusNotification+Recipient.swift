import Foundation

extension DeliveryStatusNotification {
    /// A `type; value` field value: an address (`rfc822; jane@example.com`), an MTA name
    /// (`dns; mx.example.com`) or a diagnostic (`smtp; 550 5.1.1 User unknown`).
    public struct TypedValue: Sendable, Hashable, CustomStringConvertible {
        /// The type, lowercased: `rfc822`, `utf-8`, `dns`, `smtp`, `x-…`; empty when the field had none.
        public var type: String
        /// The value: for addresses without comments and angle brackets, for MTA names without
        /// comments, for diagnostics the text as written (unfolded, runs of whitespace made one space).
        public var value: String

        /// A typed value; the type is lowercased.
        public init(type: String, value: String) {
            self.type = ASCII.lowercased(type)
            self.value = value
        }

        /// An Internet mail address (`rfc822; …`).
        public static func rfc822(_ address: String) -> TypedValue { TypedValue(type: "rfc822", value: address) }
        /// An MTA's host name (`dns; …`).
        public static func dns(_ hostName: String) -> TypedValue { TypedValue(type: "dns", value: hostName) }
        /// An SMTP reply (`smtp; 550 5.1.1 …`).
        public static func smtp(_ reply: String) -> TypedValue { TypedValue(type: "smtp", value: reply) }

        /// `type; value`, as written in the report.
        public var description: String { type.isEmpty ? value : type + "; " + value }
    }

    /// What the reporting MTA did with the message for one recipient (RFC 3464 §2.3.3).
    public enum Action: String, Sendable, Hashable, CaseIterable {
        /// Not delivered and no further attempt will be made.
        case failed
        /// Not delivered yet; the MTA keeps trying.
        case delayed
        /// Delivered to the recipient's mailbox.
        case delivered
        /// Handed on to a system that does not send DSNs; no further reports will come.
        case relayed
        /// Delivered and then forwarded to several further addresses (a mailing list or alias).
        case expanded

        /// Parses an action value ignoring case, comments and anything after the first word
        /// (`Failed (permanent)` is ``failed``).
        public init?(parsing text: String) {
            let word = DeliveryStatusFields.withoutComments(text).prefix { $0 != " " && $0 != "\t" && $0 != ";" }
            self.init(rawValue: ASCII.lowercased(String(word)))
        }

        /// The action a status class implies when a report leaves the Action field out.
        init(implying status: DeliveryStatusCode) {
            switch status.statusClass {
            case .success: self = .delivered
            case .persistentTransientFailure: self = .delayed
            case .permanentFailure: self = .failed
            }
        }
    }

    /// The per-recipient part of a report (RFC 3464 §2.3).
    public struct Recipient: Sendable, Hashable {
        /// `Original-Recipient`: the address as the sender gave it (SMTP `ORCPT`), when the MTA knew it.
        public var originalRecipient: TypedValue?
        /// `Final-Recipient`: the address the MTA tried to deliver to.
        public var finalRecipient: TypedValue
        /// `Action`.
        public var action: Action
        /// `Status`: the enhanced status code.
        public var status: DeliveryStatusCode
        /// `Remote-MTA`: the server that gave the diagnostic, when one did.
        public var remoteMTA: TypedValue?
        /// `Diagnostic-Code`: what the remote server said, such as `smtp; 550 5.1.1 User unknown`.
        public var diagnosticCode: TypedValue?
        /// `Last-Attempt-Date`.
        public var lastAttemptDate: Date?
        /// `Will-Retry-Until`: for a delay, when the MTA gives up.
        public var willRetryUntil: Date?
        /// `Final-Log-ID`: the MTA's own log identifier for the attempt.
        public var finalLogID: String?
        /// Every field of the group as written (unfolded), extension fields included.
        public var fields: [MailHeaderField]

        /// A recipient to report on, for ``DeliveryStatusNotification``'s `make(…)`.
        public init(
            finalRecipient: TypedValue, originalRecipient: TypedValue? = nil, action: Action, status: DeliveryStatusCode,
            remoteMTA: TypedValue? = nil, diagnosticCode: TypedValue? = nil, lastAttemptDate: Date? = nil,
            willRetryUntil: Date? = nil, finalLogID: String? = nil
        ) {
            self.finalRecipient = finalRecipient
            self.originalRecipient = originalRecipient
            self.action = action
            self.status = status
            self.remoteMTA = remoteMTA
            self.diagnosticCode = diagnosticCode
            self.lastAttemptDate = lastAttemptDate
            self.willRetryUntil = willRetryUntil
            self.finalLogID = finalLogID
            self.fields = []
        }

        /// Reads one per-recipient group. Returns nil when it names no recipient (neither
        /// Final-Recipient nor Original-Recipient) or tells neither the action nor the status.
        init?(group: [MailHeaderField]) {
            func addressValue(_ name: String) -> TypedValue? {
                group.nonEmptyValue(name).map {
                    let (type, value) = DeliveryStatusFields.typed($0)
                    return TypedValue(type: type ?? "", value: DeliveryStatusFields.address(value))
                }
            }
            guard let final = addressValue("Final-Recipient") ?? addressValue("Original-Recipient"), !final.value.isEmpty
            else { return nil }
            let diagnostic = group.nonEmptyValue("Diagnostic-Code").map {
                let (type, value) = DeliveryStatusFields.typed($0)
                return TypedValue(type: type ?? "", value: DeliveryStatusFields.collapsingWhitespace(value))
            }
            let statedAction = group.nonEmptyValue("Action").flatMap { Action(parsing: $0) }
            // A report without a usable Status still says enough through the diagnostic or the action.
            let status =
                group.nonEmptyValue("Status").flatMap { DeliveryStatusCode($0) }
                ?? diagnostic.flatMap { DeliveryStatusCode(smtpReply: $0.value) }
                ?? statedAction.flatMap(Self.impliedStatus)
            guard let status else { return nil }
            self.init(
                finalRecipient: final, originalRecipient: addressValue("Original-Recipient"),
                action: statedAction ?? Action(implying: status), status: status,
                remoteMTA: DeliveryStatusNotification.mtaName(group.nonEmptyValue("Remote-MTA")), diagnosticCode: diagnostic,
                lastAttemptDate: group.nonEmptyValue("Last-Attempt-Date").flatMap { RFC5322Date.parse($0) },
                willRetryUntil: group.nonEmptyValue("Will-Retry-Until").flatMap { RFC5322Date.parse($0) },
                finalLogID: group.nonEmptyValue("Final-Log-ID").map { DeliveryStatusFields.withoutComments($0) })
            fields = group
        }

        private static func impliedStatus(_ action: Action) -> DeliveryStatusCode? {
            switch action {
            case .failed: DeliveryStatusCode(.permanentFailure, subject: 0, detail: 0)
            case .delayed: DeliveryStatusCode(.persistentTransientFailure, subject: 0, detail: 0)
            case .delivered, .relayed, .expanded: DeliveryStatusCode(.success, subject: 0, detail: 0)
            }
        }

        /// The group's fields as `make(…)` writes them, in RFC 3464's order.
        var renderedFields: [(name: String, value: String)] {
            var output: [(name: String, value: String)] = []
            if let originalRecipient { output.append(("Original-Recipient", originalRecipient.description)) }
            output.append(("Final-Recipient", finalRecipient.description))
            output.append(("Action", action.rawValue))
            output.append(("Status", status.description))
            if let remoteMTA { output.append(("Remote-MTA", remoteMTA.description)) }
            if let diagnosticCode { output.append(("Diagnostic-Code", diagnosticCode.description)) }
            if let lastAttemptDate { output.append(("Last-Attempt-Date", RFC5322Date.format(lastAttemptDate))) }
            if let finalLogID { output.append(("Final-Log-ID", finalLogID)) }
            if let willRetryUntil { output.append(("Will-Retry-Until", RFC5322Date.format(willRetryUntil))) }
            return output
        }
    }
}
