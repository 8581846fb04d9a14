extension ParsedMailMessage {
    /// Whether the message is a delivery status notification: its Content-Type is
    /// `multipart/report` with `report-type=delivery-status` (or RFC 6533's
    /// `global-delivery-status`), compared without regard to case.
    public var isDeliveryStatusNotification: Bool {
        let type = root.contentType
        guard type.type == "multipart", type.subtype == "report", let reportType = type.parameters["report-type"] else {
            return false
        }
        let normalized = ASCII.lowercased(ASCII.trimmed(reportType))
        return normalized == "delivery-status" || normalized == "global-delivery-status"
    }

    /// The message read as a delivery status notification, or nil when it is not one (see
    /// ``isDeliveryStatusNotification``) or its report cannot be read.
    public var deliveryStatusNotification: DeliveryStatusNotification? {
        guard isDeliveryStatusNotification else { return nil }
        return try? DeliveryStatusNotification(parsing: self)
    }
}
