import Foundation
import HTTPTypes
import Hummingbird

/// The Chat API (`/chat/threads…`), authenticated with user access tokens.
///
/// Wire contract: `reference/acs-wire.md` §4.2 and `acs-specs/chat/2024-03-07.json`; thread `metadata` and
/// `retentionPolicy` as in 2025-03-15.
public struct ChatAPI: Sendable {
    public static let service = APIService(
        name: "chat",
        versions: ["2021-03-07", "2021-04-05-preview6", "2021-09-07", "2023-11-07", "2024-03-07", "2024-06-05-preview", "2025-03-15"])

    let chat: ChatService

    public init(chat: ChatService) {
        self.chat = chat
    }

    public func routes(userToken auth: any Authenticator) -> [Route] {
        let s = Self.service
        return [
            Route(.post, "/chat/threads", service: s, auth: auth, handler: createThread),
            Route(.get, "/chat/threads", service: s, auth: auth, handler: listThreads),
            Route(.get, "/chat/threads/{thread}", service: s, auth: auth, handler: getThread),
            Route(.patch, "/chat/threads/{thread}", service: s, auth: auth, handler: updateThread),
            Route(.delete, "/chat/threads/{thread}", service: s, auth: auth, handler: deleteThread),
            Route(.post, "/chat/threads/{thread}/messages", service: s, auth: auth, maxBodySize: 128 * 1024, handler: sendMessage),
            Route(.get, "/chat/threads/{thread}/messages", service: s, auth: auth, handler: listMessages),
            Route(.get, "/chat/threads/{thread}/messages/{message}", service: s, auth: auth, handler: getMessage),
            Route(.patch, "/chat/threads/{thread}/messages/{message}", service: s, auth: auth, maxBodySize: 128 * 1024, handler: updateMessage),
            Route(.delete, "/chat/threads/{thread}/messages/{message}", service: s, auth: auth, handler: deleteMessage),
            Route(.get, "/chat/threads/{thread}/participants", service: s, auth: auth, handler: listParticipants),
            Route(.post, "/chat/threads/{thread}/participants/:add", service: s, auth: auth, handler: addParticipants),
            Route(.post, "/chat/threads/{thread}/participants/:remove", service: s, auth: auth, handler: removeParticipant),
            Route(.post, "/chat/threads/{thread}/readReceipts", service: s, auth: auth, handler: sendReadReceipt),
            Route(.get, "/chat/threads/{thread}/readReceipts", service: s, auth: auth, handler: listReadReceipts),
            Route(.post, "/chat/threads/{thread}/typing", service: s, auth: auth, handler: sendTyping),
        ]
    }

    static let repeatabilityRequestID = HTTPField.Name("repeatability-request-id")!

    // MARK: Threads

    @Sendable func createThread(_ request: APIRequest) async throws -> Response {
        let body = try request.decode(ChatWire.CreateThreadRequest.self)
        let (thread, invalid) = try await chat.createThread(
            .init(
                topic: body.topic, participants: body.participants ?? [], metadata: body.metadata,
                retentionPolicy: body.retentionPolicy, repeatabilityRequestID: request.headers[Self.repeatabilityRequestID],
                transactionID: request.requestID),
            by: try request.user(), in: request.resource)
        let result = ChatWire.CreateThreadResult(
            chatThread: Self.properties(thread), invalidParticipants: invalid.isEmpty ? nil : invalid.map(APIError.ErrorBody.init))
        var headers = HTTPFields()
        headers[.location] = "\(request.endpoint)/chat/threads/\(Paging.segment(thread.id))"
        return try JSONBody.response(result, status: .created, headers: headers)
    }

    @Sendable func listThreads(_ request: APIRequest) async throws -> Response {
        let (items, next) = try await chat.listThreads(
            for: try request.user(), in: request.resource, since: try Paging.date(request, "startTime"),
            pageSize: try pageSize(request), cursor: try Paging.cursor(request, as: ChatService.ThreadCursor.self))
        return try JSONBody.response(
            Page(
                value: items,
                nextLink: next.map { Paging.nextLink(request, path: "/chat/threads", cursor: $0, keeping: ["maxPageSize", "startTime"]) }))
    }

    @Sendable func getThread(_ request: APIRequest) async throws -> Response {
        let thread = try await chat.threadProperties(request.parameter("thread"), for: try request.user(), in: request.resource)
        return try JSONBody.response(Self.properties(thread))
    }

    @Sendable func updateThread(_ request: APIRequest) async throws -> Response {
        let body = try request.decode(ChatWire.UpdateThreadRequest.self)
        try await chat.updateThread(
            request.parameter("thread"),
            .init(topic: body.topic, metadata: body.metadata, retentionPolicy: body.retentionPolicy, transactionID: request.requestID),
            by: try request.user(), in: request.resource)
        return Response(status: .noContent)
    }

    @Sendable func deleteThread(_ request: APIRequest) async throws -> Response {
        try await chat.deleteThread(request.parameter("thread"), by: try request.user(), in: request.resource, transactionID: request.requestID)
        return Response(status: .noContent)
    }

    // MARK: Messages

    @Sendable func sendMessage(_ request: APIRequest) async throws -> Response {
        let body = try request.decode(ChatWire.SendMessageRequest.self)
        let thread = request.parameter("thread")
        let id = try await chat.sendMessage(
            .init(
                content: body.content, type: body.type, senderDisplayName: body.senderDisplayName, metadata: body.metadata,
                transactionID: request.requestID),
            to: thread, by: try request.user(), in: request.resource)
        var headers = HTTPFields()
        headers[.location] = "\(request.endpoint)/chat/threads/\(Paging.segment(thread))/messages/\(id)"
        return try JSONBody.response(ChatWire.SendMessageResult(id: id), status: .created, headers: headers)
    }

    @Sendable func listMessages(_ request: APIRequest) async throws -> Response {
        let thread = request.parameter("thread")
        let (items, next) = try await chat.listMessages(
            in: thread, for: try request.user(), resource: request.resource, since: try Paging.date(request, "startTime"),
            pageSize: try pageSize(request), cursor: try Paging.cursor(request, as: ChatService.MessageCursor.self))
        let path = "/chat/threads/\(Paging.segment(thread))/messages"
        return try JSONBody.response(
            Page(value: items, nextLink: next.map { Paging.nextLink(request, path: path, cursor: $0, keeping: ["maxPageSize", "startTime"]) }))
    }

    @Sendable func getMessage(_ request: APIRequest) async throws -> Response {
        let message = try await chat.message(
            request.parameter("message"), in: request.parameter("thread"), for: try request.user(), resource: request.resource)
        return try JSONBody.response(message.wire)
    }

    @Sendable func updateMessage(_ request: APIRequest) async throws -> Response {
        let body = try request.decode(ChatWire.UpdateMessageRequest.self)
        try await chat.updateMessage(
            request.parameter("message"), in: request.parameter("thread"),
            .init(content: body.content, metadata: body.metadata, transactionID: request.requestID),
            by: try request.user(), resource: request.resource)
        return Response(status: .noContent)
    }

    @Sendable func deleteMessage(_ request: APIRequest) async throws -> Response {
        try await chat.deleteMessage(
            request.parameter("message"), in: request.parameter("thread"), by: try request.user(), resource: request.resource,
            transactionID: request.requestID)
        return Response(status: .noContent)
    }

    // MARK: Participants, read receipts, typing

    @Sendable func listParticipants(_ request: APIRequest) async throws -> Response {
        let thread = request.parameter("thread")
        let skip = try Paging.skip(request)
        let size = try pageSize(request)
        let (items, hasMore) = try await chat.listParticipants(
            in: thread, for: try request.user(), resource: request.resource, skip: skip, pageSize: size)
        return try JSONBody.response(
            Page(
                value: items,
                nextLink: hasMore
                    ? skipLink(request, path: "/chat/threads/\(Paging.segment(thread))/participants", skip: skip + size, size: size) : nil))
    }

    @Sendable func addParticipants(_ request: APIRequest) async throws -> Response {
        let body = try request.decode(ChatWire.AddParticipantsRequest.self)
        let invalid = try await chat.addParticipants(
            body.participants, to: request.parameter("thread"), by: try request.user(), resource: request.resource,
            transactionID: request.requestID)
        return try JSONBody.response(
            ChatWire.AddParticipantsResult(invalidParticipants: invalid.isEmpty ? nil : invalid.map(APIError.ErrorBody.init)),
            status: .created)
    }

    @Sendable func removeParticipant(_ request: APIRequest) async throws -> Response {
        let identifier = try request.decode(CommunicationIdentifierModel.self)
        guard let rawID = identifier.resolvedRawID else {
            throw APIError.badRequest(code: "InvalidRequestBody", "The participant's identifier is required.", target: "rawId")
        }
        try await chat.removeParticipant(
            rawID, from: request.parameter("thread"), by: try request.user(), resource: request.resource, transactionID: request.requestID)
        return Response(status: .noContent)
    }

    @Sendable func sendReadReceipt(_ request: APIRequest) async throws -> Response {
        let body = try request.decode(ChatWire.ReadReceiptRequest.self)
        try await chat.sendReadReceipt(
            for: body.chatMessageId, in: request.parameter("thread"), by: try request.user(), resource: request.resource,
            transactionID: request.requestID)
        return Response(status: .ok)
    }

    @Sendable func listReadReceipts(_ request: APIRequest) async throws -> Response {
        let thread = request.parameter("thread")
        let skip = try Paging.skip(request)
        let size = try pageSize(request)
        let (items, hasMore) = try await chat.listReadReceipts(
            in: thread, for: try request.user(), resource: request.resource, skip: skip, pageSize: size)
        return try JSONBody.response(
            Page(
                value: items,
                nextLink: hasMore
                    ? skipLink(request, path: "/chat/threads/\(Paging.segment(thread))/readReceipts", skip: skip + size, size: size) : nil))
    }

    @Sendable func sendTyping(_ request: APIRequest) async throws -> Response {
        let body = try request.decodeIfPresent(ChatWire.TypingRequest.self)
        try await chat.sendTyping(
            in: request.parameter("thread"), by: try request.user(), displayName: body?.senderDisplayName,
            resource: request.resource, transactionID: request.requestID)
        return Response(status: .ok)
    }

    // MARK: Helpers

    func pageSize(_ request: APIRequest) throws -> Int {
        try Paging.pageSize(request, defaultSize: chat.limits.defaultPageSize, maximum: chat.limits.maxPageSize)
    }

    /// Participants and read receipts page by `skip`, as the SDK expects.
    func skipLink(_ request: APIRequest, path: String, skip: Int, size: Int) -> String {
        "\(request.endpoint)\(path)?maxPageSize=\(size)&skip=\(skip)&api-version=\(request.apiVersion.rawValue)"
    }

    static func properties(_ thread: ChatThreadRecord) -> ChatWire.ThreadProperties {
        ChatWire.ThreadProperties(
            id: thread.id, topic: thread.topic, createdOn: thread.createdAt.date,
            createdByCommunicationIdentifier: CommunicationIdentifierModel(rawID: thread.createdBy),
            deletedOn: thread.deletedAt?.date, metadata: thread.metadata,
            retentionPolicy: thread.retentionDays.map { ChatWire.RetentionPolicy(kind: "threadCreationDate", deleteThreadAfterDays: $0) })
    }
}
