import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore

/// An authenticated request addressed to one resource, as a route handler sees it.
public struct APIRequest: Sendable {
    public let method: HTTPRequest.Method
    public let headers: HTTPFields
    /// The whole body, already read (and hashed, for signed requests).
    public let body: ByteBuffer
    /// Path parameters, percent-decoded.
    public let parameters: [String: String]
    /// Query parameters, percent-decoded.
    public let query: QueryParameters
    public let apiVersion: APIVersion
    public let resource: ResourceHandle
    public let principal: Principal
    public let requestID: String
    public let logger: Logger
    /// `https://host:port/resource` as the client addressed it, for links the client follows (`nextLink`,
    /// `Operation-Location`).
    public let endpoint: String

    /// A path parameter the route pattern declares.
    public func parameter(_ name: String) -> String {
        parameters[name] ?? ""
    }

    /// Decodes a JSON body that must be present.
    public func decode<T: Decodable>(_ type: T.Type = T.self) throws -> T {
        guard body.readableBytes > 0 else {
            throw APIError.badRequest(code: "InvalidRequestBody", "The request body is required.")
        }
        return try JSONBody.decode(type, from: body)
    }

    /// Decodes a JSON body that may be absent (no bytes, as the SDKs send for some operations).
    public func decodeIfPresent<T: Decodable>(_ type: T.Type = T.self) throws -> T? {
        guard body.readableBytes > 0 else { return nil }
        return try JSONBody.decode(type, from: body)
    }

    /// The user who sent the request; fails for routes authenticated by access key.
    public func user() throws -> AuthenticatedUser {
        guard case .user(let user) = principal else { throw APIError.unauthorized() }
        return user
    }
}

/// A request to one of the server's own endpoints (``SystemRoute``), as its handler sees it.
public struct SystemRequest: Sendable {
    public let method: HTTPRequest.Method
    public let headers: HTTPFields
    public let body: ByteBuffer
    /// Path parameters, percent-decoded.
    public let parameters: [String: String]
    public let query: QueryParameters
    public let principal: Principal
    public let requestID: String
    public let logger: Logger

    /// A path parameter the route pattern declares.
    public func parameter(_ name: String) -> String {
        parameters[name] ?? ""
    }
}

extension KeyedDecodingContainer {
    /// An optional field that may be left out but, when sent, must hold a value: an explicit `null` is refused
    /// (through ``JSONBody/describe(_:)``, naming the field) rather than read as absent.
    public func decodeUnlessNull<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T? {
        guard contains(key) else { return nil }
        if try decodeNil(forKey: key) {
            throw DecodingError.valueNotFound(
                type, .init(codingPath: codingPath + [key], debugDescription: "\(key.stringValue) is null"))
        }
        return try decode(type, forKey: key)
    }
}

/// JSON in and out, with errors that name the offending field.
public enum JSONBody {
    public static func decode<T: Decodable>(_ type: T.Type, from buffer: ByteBuffer) throws -> T {
        let data = Data(buffer.readableBytesView)
        do {
            return try decoder.decode(type, from: data)
        } catch let error as DecodingError {
            throw describe(error)
        } catch let error as any APIErrorConvertible {
            throw error.apiError
        }
    }

    static func describe(_ error: DecodingError) -> APIError {
        func path(_ codingPath: [any CodingKey]) -> String {
            codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
                .trimmingCharacters(in: CharacterSet(charactersIn: "."))
                .replacingOccurrences(of: ".[", with: "[")
        }
        switch error {
        case .typeMismatch(let type, let context):
            let field = path(context.codingPath)
            if field.isEmpty {
                return .badRequest(code: "InvalidRequestBody", "The request body must be \(describe(type)).")
            }
            return .badRequest(
                code: "InvalidRequestBody", "The field '\(field)' must be \(describe(type)).", target: field)
        case .valueNotFound(let type, let context):
            let field = path(context.codingPath)
            return .badRequest(
                code: "InvalidRequestBody", "The field '\(field)' must be \(describe(type)), not null.",
                target: field)
        case .keyNotFound(let key, let context):
            let field = path(context.codingPath + [key])
            return .badRequest(code: "InvalidRequestBody", "The field '\(field)' is required.", target: field)
        case .dataCorrupted(let context):
            let field = path(context.codingPath)
            if field.isEmpty {
                return .badRequest(code: "InvalidJson", "The request body is not valid JSON.")
            }
            return .badRequest(
                code: "InvalidRequestBody", "The field '\(field)' has a value that is not valid here.", target: field)
        @unknown default:
            return .badRequest(code: "InvalidRequestBody", "The request body is not valid.")
        }
    }

    static func describe(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Bool.Type: "a boolean"
        case is Int.Type, is Int64.Type, is Int32.Type, is UInt.Type, is UInt64.Type: "an integer"
        case is Double.Type, is Float.Type: "a number"
        case is Date.Type: "a date-time string"
        default: String(describing: type).hasPrefix("Array") ? "an array" : "an object"
        }
    }

    static var decoder: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let container = try decoder.singleValueContainer()
            let text = try container.decode(String.self)
            guard let date = APIDate.parse(text) else {
                throw DecodingError.typeMismatch(
                    Date.self, .init(codingPath: decoder.codingPath, debugDescription: "not an RFC 3339 date-time"))
            }
            return date
        }
        return decoder
    }

    static var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(APIDate.format(date))
        }
        return encoder
    }

    /// Encodes `value` as a JSON response.
    public static func response(_ value: some Encodable, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:])
        throws -> Response
    {
        let data = try encoder.encode(value)
        var headers = headers
        headers[.contentType] = "application/json; charset=utf-8"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
