#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The process's limit on open files, raised to what the system allows: every connection holds a descriptor, and
/// the usual soft limit of 1,024 would let a thousand idle clients lock everyone else out long before
/// ``EdgeConfiguration/maxConnections`` does.
enum FileDescriptorLimit {
    /// Raises the soft limit to the hard limit (capped where the system refuses unlimited); returns the limit in force.
    @discardableResult
    static func raise() -> Int {
        var limit = rlimit()
        guard getrlimit(Self.resource, &limit) == 0 else { return -1 }
        if limit.rlim_cur < limit.rlim_max {
            var raised = limit
            raised.rlim_cur = limit.rlim_max
            if setrlimit(Self.resource, &raised) != 0 {
                // macOS refuses an unlimited soft limit for open files; OPEN_MAX is its ceiling.
                raised.rlim_cur = min(limit.rlim_max, 10_240)
                _ = setrlimit(Self.resource, &raised)
            }
            _ = getrlimit(Self.resource, &limit)
        }
        return Int(clamping: limit.rlim_cur)
    }

    #if canImport(Glibc)
        static let resource = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
    #else
        static let resource = RLIMIT_NOFILE
    #endif
}
