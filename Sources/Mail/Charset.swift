import Foundation

/// Decoding of the character sets that MIME text parts and encoded words name.
public enum Charset {
    /// Decodes octets in the named charset (case-insensitive; `utf-8`, `us-ascii`, `iso-8859-1`,
    /// `windows-1252`, `iso-8859-2`, `utf-16` and their common aliases). Returns nil for a charset
    /// it does not know or octets that are not valid in it.
    public static func decode(_ bytes: [UInt8], charset: String) -> String? {
        switch ASCII.lowercased(ASCII.trimmed(charset)) {
        case "utf-8", "utf8":
            return String(validating: bytes, as: UTF8.self)
        case "us-ascii", "ascii", "ansi_x3.4-1968", "iso646-us", "":
            // Mislabelled 8-bit text is common; keep it readable rather than refusing it.
            return ASCII.isASCII(bytes) ? String(decoding: bytes, as: UTF8.self) : ASCII.string(bytes)
        case "iso-8859-1", "iso8859-1", "latin1", "latin-1", "l1", "iso_8859-1", "cp819":
            return String(String.UnicodeScalarView(bytes.map { Unicode.Scalar($0) }))
        case "windows-1252", "cp1252":
            return String(data: Data(bytes), encoding: .windowsCP1252)
        case "iso-8859-2", "iso8859-2", "latin2":
            return String(data: Data(bytes), encoding: .isoLatin2)
        case "utf-16":
            return String(data: Data(bytes), encoding: .utf16)
        case "utf-16be":
            return String(data: Data(bytes), encoding: .utf16BigEndian)
        case "utf-16le":
            return String(data: Data(bytes), encoding: .utf16LittleEndian)
        default:
            return nil
        }
    }
}
