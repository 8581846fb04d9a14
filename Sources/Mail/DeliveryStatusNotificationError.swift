/// Why a message could not be read as a delivery status notification.
public enum DeliveryStatusNotificationError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The message has no `message/delivery-status` (or `message/global-delivery-status`) part.
    case noDeliveryStatusPart
    /// The delivery-status part has no per-recipient group that names a recipient and tells an
    /// action or a status.
    case noRecipients

    public var description: String {
        switch self {
        case .noDeliveryStatusPart: "the message has no message/delivery-status part"
        case .noRecipients: "the delivery-status part reports on no recipient"
        }
    }
}
