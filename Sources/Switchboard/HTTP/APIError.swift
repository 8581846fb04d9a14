import Foundation
import HTTPTypes

/// An error as the API answers it: a status and the ACS error body
/// `{"error":{"code","message","target"?,"details"?}}`, with `x-ms-error-code` set to the code.
///
/// Every failure that reaches a client goes through this one type. Capabilities throw their own domain errors and
/// make them ``APIErrorConvertible``; anything else becomes a logged 500 with a request id, never an empty body.
public struct APIError: Error, Sendable, Equatable {
    public var status: HTTPResponse.Status
    public var code: String
    public var message: String
    public var target: String?
    public var details: [APIError]
    /// Extra response headers, e.g. `Retry-After` or `api-supported-versions`.
    public var headers: [String: String]

    public init(
        status: HTTPResponse.Status, code: String, message: String, target: String? = nil, details: [APIError] = [],
        headers: [String: String] = [:]
    ) {
        self.status = status
        self.code = code
        self.message = message
        self.target = target
        self.details = details
        self.headers = headers
    }

    // MARK: The stable codes of cross-cutting failures.

    public static func unauthorized(_ message: String = "The request is not authorized: the credentials are missing, invalid or expired.")
        -> APIError
    {
        APIError(status: .unauthorized, code: "Unauthorized", message: message)
    }

    public static func forbidden(_ message: String) -> APIError {
        APIError(status: .forbidden, code: "Forbidden", message: message)
    }

    public static func notFound(code: String = "NotFound", _ message: String, target: String? = nil) -> APIError {
        APIError(status: .notFound, code: code, message: message, target: target)
    }

    public static func badRequest(code: String = "BadRequest", _ message: String, target: String? = nil) -> APIError {
        APIError(status: .badRequest, code: code, message: message, target: target)
    }

    public static func conflict(code: String = "Conflict", _ message: String, target: String? = nil) -> APIError {
        APIError(status: .conflict, code: code, message: message, target: target)
    }

    public static func contentTooLarge(limit: Int) -> APIError {
        APIError(
            status: .contentTooLarge, code: "RequestEntityTooLarge",
            message: "The request body is larger than the \(limit) bytes this operation accepts.",
            // The body is not read: the connection cannot carry another request after it (the edge closes it once
            // the answer is out, reading and dropping what the client still sends for a moment so it gets the answer).
            headers: ["Connection": "close"])
    }

    public static func tooManyRequests(retryAfterSeconds: Int, _ message: String) -> APIError {
        APIError(
            status: .tooManyRequests, code: "TooManyRequests", message: message,
            headers: ["Retry-After": String(retryAfterSeconds)])
    }

    public static func notSupported(_ message: String) -> APIError {
        APIError(status: .notImplemented, code: "NotSupported", message: message)
    }

    public static func internalError(requestID: String) -> APIError {
        APIError(
            status: .internalServerError, code: "InternalError",
            message: "An unexpected error occurred. Quote request id \(requestID) when reporting it.")
    }

    public static func serviceUnavailable(_ message: String) -> APIError {
        APIError(status: .serviceUnavailable, code: "ServiceUnavailable", message: message, headers: ["Retry-After": "1"])
    }

    /// The body as the SDKs parse it.
    var body: [String: ErrorBody] { ["error": ErrorBody(self)] }

    struct ErrorBody: Encodable {
        let code: String
        let message: String
        let target: String?
        let details: [ErrorBody]?

        init(_ error: APIError) {
            code = error.code
            message = error.message
            target = error.target
            details = error.details.isEmpty ? nil : error.details.map(ErrorBody.init)
        }
    }
}

/// A domain error that knows how the API reports it.
public protocol APIErrorConvertible: Error {
    var apiError: APIError { get }
}

extension APIError: APIErrorConvertible {
    public var apiError: APIError { self }
}
