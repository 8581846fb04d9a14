/// A fixed-size pool of reusable resources (database connections), handed out first come, first served.
actor ResourcePool<Resource: Sendable> {
    private let maximum: Int
    private let make: @Sendable () async throws -> Resource
    private var idle: [Resource] = []
    private var all: [Resource] = []
    private var creating = 0
    private var waiters: [CheckedContinuation<Resource, any Error>] = []
    private var closed = false

    init(maximum: Int, make: @escaping @Sendable () async throws -> Resource) {
        precondition(maximum > 0)
        self.maximum = maximum
        self.make = make
    }

    /// Lends a resource to `body` and takes it back afterwards, whatever `body` does.
    func withResource<T: Sendable>(_ body: @Sendable (Resource) async throws -> T) async throws -> T {
        let resource = try await acquire()
        do {
            let result = try await body(resource)
            release(resource)
            return result
        } catch {
            release(resource)
            throw error
        }
    }

    private func acquire() async throws -> Resource {
        guard !closed else { throw PoolClosed() }
        if let resource = idle.popLast() { return resource }
        if all.count + creating < maximum {
            creating += 1
            defer { creating -= 1 }
            let resource = try await make()
            all.append(resource)
            return resource
        }
        return try await withCheckedThrowingContinuation { waiters.append($0) }
    }

    private func release(_ resource: Resource) {
        if !waiters.isEmpty {
            waiters.removeFirst().resume(returning: resource)
        } else {
            idle.append(resource)
        }
    }

    /// Stops lending and returns every resource created, for closing.
    func close() -> [Resource] {
        closed = true
        for waiter in waiters { waiter.resume(throwing: PoolClosed()) }
        waiters = []
        idle = []
        defer { all = [] }
        return all
    }

    struct PoolClosed: Error {}
}
