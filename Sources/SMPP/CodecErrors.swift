/// Why a PDU could not be decoded. Every malformed input maps to one of these; the codec never
/// traps, so a hostile or buggy peer can at worst get its connection closed.
public enum SMPPDecodingError: Error, Hashable, Sendable {
    /// Fewer than 16 octets: not even a header.
    case truncatedHeader(length: Int)
    /// command_length disagrees with the number of octets in the frame.
    case commandLengthMismatch(declared: UInt32, actual: Int)
    /// A command_id this library does not decode (answered with generic_nack/ESME_RINVCMDID).
    case unknownCommandID(SMPPCommandID)
    /// The body ended inside a fixed-size field.
    case truncatedField(String)
    /// The body ended before a C-Octet string's NUL terminator.
    case unterminatedCString(field: String)
    /// No NUL terminator within the field's maximum size (which counts the terminator).
    case cStringTooLong(field: String, maximumLength: Int)
    /// sm_length is larger than the octets left in the body.
    case smLengthExceedsBody(smLength: Int, available: Int)
    /// sm_length is above the 254-octet maximum of short_message.
    case shortMessageTooLong(length: Int)
    /// A TLV header or value runs past the end of the body.
    case truncatedTLV(offset: Int)
    /// A TLV whose length the specification fixes has another length.
    case invalidTLVLength(tag: TLVTag, length: Int)
    /// Octets after the last field of a PDU that has no optional part.
    case unexpectedBody(SMPPCommandID, extraOctets: Int)

    /// The command_status to put into a generic_nack (or response) when refusing such a PDU.
    public var commandStatus: SMPPCommandStatus {
        switch self {
        case .truncatedHeader, .commandLengthMismatch, .unexpectedBody: .invalidCommandLength
        case .unknownCommandID: .invalidCommandID
        case .smLengthExceedsBody, .shortMessageTooLong: .invalidMessageLength
        case .truncatedTLV: .invalidOptionalParameterStream
        case .invalidTLVLength: .invalidParameterLength
        case .truncatedField, .unterminatedCString, .cStringTooLong: .invalidCommandLength
        }
    }
}

/// Why a PDU could not be encoded: a field breaks a limit of the specification. Checked before
/// anything is written so that an invalid request fails alone instead of corrupting the stream.
public enum SMPPEncodingError: Error, Hashable, Sendable {
    /// A C-Octet string field is longer than allowed (`maximumLength` excludes the NUL).
    case fieldTooLong(field: String, maximumLength: Int, actual: Int)
    /// A C-Octet string field contains a NUL, which would truncate it on the wire.
    case nulInField(field: String)
    /// short_message above 254 octets: use message_payload or segmentation instead.
    case shortMessageTooLong(length: Int)
    /// A TLV value above 65535 octets.
    case tlvTooLong(tag: TLVTag, length: Int)
}
