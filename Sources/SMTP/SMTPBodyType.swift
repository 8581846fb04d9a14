/// The body type declared with MAIL FROM's BODY parameter (RFC 6152).
public enum SMTPBodyType: Sendable, Equatable {
    /// Plain 7-bit text; no BODY parameter is sent.
    case sevenBit
    /// 8-bit MIME content: `BODY=8BITMIME`, which the server must offer.
    case eightBitMIME
}
