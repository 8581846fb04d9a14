import Foundation

/// One content rule of the messaging policy gate.
///
/// Rules are data, not code: an operator reviews, adds and disables them per resource without a release, they are stored
/// as JSON, and every refusal names the rule (and the pattern or domain that matched) so that false positives can be found
/// and fixed. Matching is deliberately simple and predictable (whole words, phrases, a trailing-`*` prefix, and URL
/// domains) rather than arbitrary regular expressions, which keeps it fast on every message and easy to audit.
public struct ContentRule: Sendable, Codable, Equatable {
    /// What a match means for a message; the policy gate turns each kind into its own refusal.
    public enum Kind: String, Sendable, Codable, CaseIterable {
        /// Refused regardless of consent (code `ProhibitedContent`).
        case prohibited
        /// Allowed only in an age-gated program (code `AgeGateRequired`).
        case ageRestricted
        /// Advertising or solicitation markers; refused only where the policy forbids solicitation (exempt messages such as
        /// package delivery, fraud alerts and healthcare "may not include solicitations or advertisements").
        case solicitation
    }

    /// A stable identifier such as `prohibited.phishing`: 1-64 characters of `[A-Za-z0-9._-]`.
    public var id: String
    public var kind: Kind
    /// A short grouping such as `fraud`, `alcohol` or `solicitation` (1-64 characters).
    public var category: String
    /// Human text naming the rule; decisions show it so that a false positive can be traced to its rule.
    public var description: String
    /// Words or phrases, matched case- and diacritic-insensitively on whole words. A trailing `*` makes the last word a
    /// prefix (`porn*` matches "porno" and "pornographic"). Punctuation separates words, so "e-cig*" is the phrase "e cig*".
    public var patterns: [String]
    /// Domains that match themselves and their subdomains in URLs and bare hostnames (not in e-mail addresses).
    public var urlDomains: [String]

    /// At most this many patterns, and at most this many domains, per rule.
    public static let maxEntries = 500
    /// At most this many characters per pattern.
    public static let maxPatternLength = 200
    /// At most this many characters of description.
    public static let maxDescriptionLength = 500
    /// A prefix pattern's last word needs at least this many letters or digits, so that "a*" cannot match everything.
    public static let minPrefixLength = 3

    public init(id: String, kind: Kind, category: String, description: String, patterns: [String] = [], urlDomains: [String] = []) {
        self.id = id
        self.kind = kind
        self.category = category
        self.description = description
        self.patterns = patterns
        self.urlDomains = urlDomains
    }

    private enum CodingKeys: String, CodingKey {
        case id, kind, category, description, patterns, urlDomains
    }

    /// Decodes a rule; `patterns` and `urlDomains` may be left out (a rule usually has only one of them).
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decode(String.self, forKey: .id)
        kind = try container.decode(Kind.self, forKey: .kind)
        category = try container.decode(String.self, forKey: .category)
        description = try container.decode(String.self, forKey: .description)
        patterns = try container.decodeIfPresent([String].self, forKey: .patterns) ?? []
        urlDomains = try container.decodeIfPresent([String].self, forKey: .urlDomains) ?? []
    }

    /// Checks the rule before it is stored, naming the bad field: the id's format, an empty or over-long category or
    /// description, a rule with neither patterns nor domains, a pattern that is empty, over 200 characters, has no word in
    /// it, uses `*` other than at its end, or has a prefix shorter than three characters, more than 500 patterns, a domain
    /// that is not a hostname (labels of `[a-z0-9-]`, at least one dot; letters are compared case-insensitively), or more
    /// than 500 domains. `ContentRuleSet` also accepts rules that were never validated, skipping entries that cannot match.
    public func validate() throws(ContentRuleError) {
        guard (1...64).contains(id.utf8.count), id.utf8.allSatisfy(Self.isIDByte) else {
            throw .invalid(field: "id", reason: "An id is 1-64 characters of A-Z, a-z, 0-9, '.', '_' and '-'.")
        }
        let trimmedCategory = category.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmedCategory.isEmpty, category.count <= 64 else {
            throw .invalid(field: "category", reason: "A category is 1-64 characters.")
        }
        guard !description.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, description.count <= Self.maxDescriptionLength else {
            throw .invalid(field: "description", reason: "A description is 1-\(Self.maxDescriptionLength) characters.")
        }
        guard !patterns.isEmpty || !urlDomains.isEmpty else {
            throw .invalid(field: "patterns", reason: "A rule needs at least one pattern or URL domain.")
        }
        guard patterns.count <= Self.maxEntries else {
            throw .invalid(field: "patterns", reason: "A rule has at most \(Self.maxEntries) patterns.")
        }
        for (index, pattern) in patterns.enumerated() {
            if case .failure(let problem) = Self.parse(pattern: pattern) {
                throw .invalid(field: "patterns", reason: "Pattern \(index + 1) \(problem.reason)")
            }
        }
        guard urlDomains.count <= Self.maxEntries else {
            throw .invalid(field: "urlDomains", reason: "A rule has at most \(Self.maxEntries) URL domains.")
        }
        for (index, domain) in urlDomains.enumerated() where Self.normalizedDomain(domain) == nil {
            throw .invalid(
                field: "urlDomains",
                reason: "URL domain \(index + 1) is not a hostname (labels of a-z, 0-9 and '-' separated by dots, at least one dot).")
        }
    }

    private static func isIDByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
            UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "-"):
            true
        default:
            false
        }
    }

    // MARK: Compiling entries

    /// A pattern as the matcher sees it: normalised words, the last one possibly a prefix.
    struct ParsedPattern {
        var words: ContentText.Words
        var lastIsPrefix: Bool
    }

    struct PatternProblem: Error {
        var reason: String
    }

    static func parse(pattern: String) -> Result<ParsedPattern, PatternProblem> {
        guard pattern.count <= maxPatternLength else {
            return .failure(PatternProblem(reason: "is longer than \(maxPatternLength) characters."))
        }
        var body = pattern.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !body.isEmpty else { return .failure(PatternProblem(reason: "is empty.")) }
        let lastIsPrefix = body.hasSuffix("*")
        if lastIsPrefix { body.removeLast() }
        guard !body.contains("*") else {
            return .failure(PatternProblem(reason: "may use '*' only at its end, to make its last word a prefix."))
        }
        let words = ContentText.words(body)
        guard let last = words.indices.last else {
            return .failure(PatternProblem(reason: "has no word (letters or digits) in it."))
        }
        guard !lastIsPrefix || String(decoding: words.bytes(of: last), as: UTF8.self).unicodeScalars.count >= minPrefixLength else {
            return .failure(PatternProblem(reason: "needs at least \(minPrefixLength) letters or digits before its '*'."))
        }
        return .success(ParsedPattern(words: words, lastIsPrefix: lastIsPrefix))
    }

    /// The domain in lowercase, or nil if it is not a hostname with at least one dot.
    static func normalizedDomain(_ domain: String) -> String? {
        guard ContentText.isHostname(domain.utf8) else { return nil }
        return String(decoding: domain.utf8.map(ContentText.lowercasedASCII), as: UTF8.self)
    }
}

/// Why a content rule was refused, naming the field so that an API can point at it.
public enum ContentRuleError: Error, Equatable, Sendable {
    case invalid(field: String, reason: String)
}

/// A rule that matched a message.
///
/// It carries the pattern or domain that matched, never the message text around it, so a decision can be stored and shown
/// to an operator without copying message content.
public struct ContentMatch: Sendable, Equatable {
    public let ruleID: String
    public let kind: ContentRule.Kind
    public let category: String
    public let description: String
    /// The pattern or domain that matched, as written in the rule.
    public let matched: String

    public init(ruleID: String, kind: ContentRule.Kind, category: String, description: String, matched: String) {
        self.ruleID = ruleID
        self.kind = kind
        self.category = category
        self.description = description
        self.matched = matched
    }
}

/// A compiled set of content rules: build it once per resource rule set and reuse it for every message.
///
/// Compiling indexes every phrase by a hash of its first word (and single-word prefix patterns by a hash of their first
/// three bytes) and every domain in a dictionary. Matching normalises and tokenises the message once, into one byte
/// buffer with a precomputed hash per word, and extracts its hostnames once. A message of `n` characters therefore costs
/// O(n) for normalisation, tokenisation and hostname extraction, plus, per word, two hash-table probes and a check of only
/// those phrases that start with that word (or its first three bytes), and per hostname one lookup per label: roughly
/// linear in the message length and nearly independent of how many rules there are.
public struct ContentRuleSet: Sendable {
    /// The rules as given, in order.
    public let rules: [ContentRule]

    /// A pattern or domain of a rule; its index in `entries` is its rank (earlier rules, then earlier entries, win).
    private struct Entry: Sendable {
        var rule: Int
        var kind: ContentRule.Kind
        var matched: String
    }

    /// A pattern's words are `phraseWords[words]`, ranges of `phraseBytes`: flat arrays of plain values, which the hot
    /// loop reads without reference counting.
    private struct Phrase: Sendable {
        var words: Range<Int>
        var lastIsPrefix: Bool
        var entry: Int
        var kind: ContentRule.Kind
    }

    private let entries: [Entry]
    private let phrases: [Phrase]
    private let phraseWords: [ContentText.Word]
    private let phraseBytes: [UInt8]
    /// Phrases whose first word is exact, by that word's hash.
    private let byFirstWord: WordHashIndex
    /// Single-word prefix patterns, by the hash of their first three bytes.
    private let byPrefix: WordHashIndex
    private let entriesByDomain: [String: [Int]]
    private let firstEntry: KindSlots
    private let kindsWithPhrases: KindMask
    private let kindsWithDomains: KindMask

    /// Compiles the rules. Patterns and domains that cannot match (those `ContentRule.validate()` refuses) are skipped.
    public init(_ rules: [ContentRule]) {
        self.rules = rules
        var entries: [Entry] = []
        var phrases: [Phrase] = []
        var phraseWords: [ContentText.Word] = []
        var phraseBytes: [UInt8] = []
        var byFirstWord: [UInt64: [Int]] = [:]
        var byPrefix: [UInt64: [Int]] = [:]
        var byDomain: [String: [Int]] = [:]
        var firstEntry = KindSlots(Int.max)
        var kindsWithPhrases = KindMask()
        var kindsWithDomains = KindMask()
        for (ruleIndex, rule) in rules.enumerated() {
            for pattern in rule.patterns {
                guard case .success(let parsed) = ContentRule.parse(pattern: pattern) else { continue }
                let words = parsed.words
                let shift = phraseBytes.count
                phraseBytes.append(contentsOf: words.bytes)
                let range = phraseWords.count..<(phraseWords.count + words.words.count)
                for word in words.words {
                    phraseWords.append(
                        ContentText.Word(start: word.start + shift, end: word.end + shift, hash: word.hash, prefixHash: word.prefixHash))
                }
                if parsed.lastIsPrefix && range.count == 1 {
                    byPrefix[words.words[0].prefixHash, default: []].append(phrases.count)
                } else {
                    byFirstWord[words.words[0].hash, default: []].append(phrases.count)
                }
                phrases.append(Phrase(words: range, lastIsPrefix: parsed.lastIsPrefix, entry: entries.count, kind: rule.kind))
                firstEntry[rule.kind] = min(firstEntry[rule.kind], entries.count)
                kindsWithPhrases.insert(rule.kind)
                entries.append(Entry(rule: ruleIndex, kind: rule.kind, matched: pattern))
            }
            for domain in rule.urlDomains {
                guard let normalized = ContentRule.normalizedDomain(domain) else { continue }
                byDomain[normalized, default: []].append(entries.count)
                firstEntry[rule.kind] = min(firstEntry[rule.kind], entries.count)
                kindsWithDomains.insert(rule.kind)
                entries.append(Entry(rule: ruleIndex, kind: rule.kind, matched: domain))
            }
        }
        self.entries = entries
        self.phrases = phrases
        self.phraseWords = phraseWords
        self.phraseBytes = phraseBytes
        self.byFirstWord = WordHashIndex(byFirstWord)
        self.byPrefix = WordHashIndex(byPrefix)
        entriesByDomain = byDomain
        self.firstEntry = firstEntry
        self.kindsWithPhrases = kindsWithPhrases
        self.kindsWithDomains = kindsWithDomains
    }

    /// The first match of each kind present, in the order prohibited, ageRestricted, solicitation: at most one per kind,
    /// and within a kind the rule listed first wins (within a rule, its earlier pattern, then its domains).
    public func matches(_ text: String) -> [ContentMatch] {
        let best = scan(text, kinds: KindMask.all)
        return ContentRule.Kind.allCases.compactMap { match(entry: best[$0]) }
    }

    /// The first match of one kind (the rule listed first wins), or nil.
    public func firstMatch(_ text: String, kind: ContentRule.Kind) -> ContentMatch? {
        match(entry: scan(text, kinds: KindMask([kind]))[kind])
    }

    private func match(entry index: Int) -> ContentMatch? {
        guard index < entries.count else { return nil }
        let entry = entries[index]
        let rule = rules[entry.rule]
        return ContentMatch(ruleID: rule.id, kind: rule.kind, category: rule.category, description: rule.description, matched: entry.matched)
    }

    /// The best (lowest) entry index per wanted kind, `Int.max` where nothing matched.
    private func scan(_ text: String, kinds wanted: KindMask) -> KindSlots {
        var best = KindSlots(Int.max)
        let isDone = { (best: KindSlots) in wanted.allSatisfy { best[$0] == firstEntry[$0] } }
        if !kindsWithDomains.isDisjoint(with: wanted) {
            ContentText.forEachHost(in: text) { host in
                var candidate = Substring(host)
                while true {
                    for index in entriesByDomain[String(candidate)] ?? [] where wanted.contains(entries[index].kind) {
                        best[entries[index].kind] = min(best[entries[index].kind], index)
                    }
                    guard let dot = candidate.firstIndex(of: "."), candidate[candidate.index(after: dot)...].contains(".") else { break }
                    candidate = candidate[candidate.index(after: dot)...]
                }
            }
            if isDone(best) { return best }
        }
        guard !kindsWithPhrases.isDisjoint(with: wanted) else { return best }
        let words = ContentText.words(text)
        words.bytes.withUnsafeBufferPointer { bytes in
            for position in words.words.indices {
                let word = words.words[position]
                var found = false
                byFirstWord.forEachPhrase(word.hash) { index in
                    found = consider(index, at: position, in: words.words, bytes: bytes, wanted: wanted, best: &best) || found
                }
                if word.prefixHash != 0 {
                    byPrefix.forEachPhrase(word.prefixHash) { index in
                        found = consider(index, at: position, in: words.words, bytes: bytes, wanted: wanted, best: &best) || found
                    }
                }
                if found && isDone(best) { break }
            }
        }
        return best
    }

    /// Records phrase `index` if it matches at `position`; true if it improved `best`.
    private func consider(
        _ index: Int, at position: Int, in words: [ContentText.Word], bytes: UnsafeBufferPointer<UInt8>, wanted: KindMask,
        best: inout KindSlots
    ) -> Bool {
        let phrase = phrases[index]
        guard phrase.entry < best[phrase.kind], wanted.contains(phrase.kind), position + phrase.words.count <= words.count else {
            return false
        }
        let prefixWord = phrase.lastIsPrefix ? phrase.words.upperBound - 1 : -1
        var wordPosition = position
        for phraseWord in phrase.words {
            let expected = phraseWords[phraseWord]
            let word = words[wordPosition]
            let length = expected.end - expected.start
            if phraseWord == prefixWord {
                guard word.end - word.start >= length else { return false }
            } else {
                guard word.hash == expected.hash, word.end - word.start == length else { return false }
            }
            for offset in 0..<length where bytes[word.start + offset] != phraseBytes[expected.start + offset] { return false }
            wordPosition += 1
        }
        best[phrase.kind] = phrase.entry
        return true
    }
}

/// Phrase indices by a word hash: open addressing over a power-of-two table with linear probing, which avoids hashing
/// the (already hashed) key again on every word of every message.
private struct WordHashIndex: Sendable {
    private let slots: [Int]
    private let keys: [UInt64]
    /// The phrases of key `i` are `phrases[ranges[i]]`, ascending; one flat array keeps lookups free of reference counting.
    private let ranges: [Range<Int>]
    private let phrases: [Int]
    private let mask: Int

    init(_ entries: [UInt64: [Int]]) {
        var size = 16
        while size < entries.count * 2 { size *= 2 }
        var slots = [Int](repeating: -1, count: size)
        var keys: [UInt64] = []
        var ranges: [Range<Int>] = []
        var phrases: [Int] = []
        for (key, value) in entries.sorted(by: { $0.key < $1.key }) {
            var slot = Self.slot(key, size - 1)
            while slots[slot] >= 0 { slot = (slot + 1) & (size - 1) }
            slots[slot] = keys.count
            keys.append(key)
            ranges.append(phrases.count..<(phrases.count + value.count))
            phrases.append(contentsOf: value.sorted())
        }
        self.slots = slots
        self.keys = keys
        self.ranges = ranges
        self.phrases = phrases
        mask = size - 1
    }

    private static func slot(_ key: UInt64, _ mask: Int) -> Int {
        Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> 32) & mask
    }

    /// Calls `body` with each phrase filed under `key` (any of them may still differ in its bytes), ascending.
    @inline(__always)
    func forEachPhrase(_ key: UInt64, _ body: (Int) -> Void) {
        var slot = Self.slot(key, mask)
        while true {
            let index = slots[slot]
            if index < 0 { return }
            if keys[index] == key {
                for position in ranges[index] { body(phrases[position]) }
                return
            }
            slot = (slot + 1) & mask
        }
    }
}

/// A set of rule kinds, without allocating.
private struct KindMask: Sendable {
    private var bits: UInt8 = 0

    static let all = KindMask(ContentRule.Kind.allCases)

    init() {}

    init(_ kinds: [ContentRule.Kind]) {
        for kind in kinds { insert(kind) }
    }

    private static func bit(_ kind: ContentRule.Kind) -> UInt8 {
        switch kind {
        case .prohibited: 1
        case .ageRestricted: 2
        case .solicitation: 4
        }
    }

    func contains(_ kind: ContentRule.Kind) -> Bool { bits & Self.bit(kind) != 0 }

    mutating func insert(_ kind: ContentRule.Kind) { bits |= Self.bit(kind) }

    func isDisjoint(with other: KindMask) -> Bool { bits & other.bits == 0 }

    /// Whether `predicate` holds for every kind in the set.
    func allSatisfy(_ predicate: (ContentRule.Kind) -> Bool) -> Bool {
        ContentRule.Kind.allCases.allSatisfy { !contains($0) || predicate($0) }
    }
}

/// One value per rule kind, without allocating.
private struct KindSlots: Sendable {
    private var prohibited: Int
    private var ageRestricted: Int
    private var solicitation: Int

    init(_ value: Int) {
        prohibited = value
        ageRestricted = value
        solicitation = value
    }

    subscript(kind: ContentRule.Kind) -> Int {
        get {
            switch kind {
            case .prohibited: prohibited
            case .ageRestricted: ageRestricted
            case .solicitation: solicitation
            }
        }
        set {
            switch kind {
            case .prohibited: prohibited = newValue
            case .ageRestricted: ageRestricted = newValue
            case .solicitation: solicitation = newValue
            }
        }
    }
}

/// How message text becomes words and hostnames; patterns go through the same normalisation as messages.
enum ContentText {
    /// Case, diacritic and width folding (width folding turns full-width "ｐｏｒｎ" into "porn").
    static let foldingOptions: String.CompareOptions = [.caseInsensitive, .diacriticInsensitive, .widthInsensitive]

    /// One word of a text: a range of `Words.bytes`, with hashes of all its bytes and of its first three bytes.
    struct Word: Sendable {
        var start: Int
        var end: Int
        var hash: UInt64
        /// The hash of the first three bytes, or 0 for a shorter word (prefix patterns are at least three bytes long).
        var prefixHash: UInt64
    }

    /// A text's normalised words, stored in one buffer rather than as a string each.
    struct Words: Sendable {
        var bytes: [UInt8] = []
        var words: [Word] = []

        var indices: Range<Int> { words.indices }

        func bytes(of index: Int) -> ArraySlice<UInt8> { bytes[words[index].start..<words[index].end] }

        var strings: [String] { indices.map { String(decoding: bytes(of: $0), as: UTF8.self) } }
    }

    /// The text's normalised words as strings (see `words(_:)`).
    static func tokens(_ text: String) -> [String] {
        words(text).strings
    }

    /// The text's normalised words: folded, split on everything but letters and digits (an apostrophe inside a word is
    /// dropped, "don't" is "dont"; invisible format characters such as zero-width spaces are ignored), with look-alike
    /// digits in words that have a letter read as letters (0→o, 1→i, 3→e, 4→a, 5→s, 7→t), and "@" and "$" between two
    /// letters read as "a" and "s". Words of digits only ("2024", "50") are left alone.
    ///
    /// Folding is `String.folding(options: foldingOptions)`. ASCII text needs only lowercasing; text whose other characters
    /// are Latin, Greek, Cyrillic, Armenian, full-width, punctuation or symbols is folded one character at a time from a
    /// table built with that same call (and combining diacritics dropped), which gives the same words without folding the
    /// whole text; any other text is folded whole.
    static func words(_ text: String, foldWhole: Bool = false) -> Words {
        if !foldWhole, let words = wordsFoldingEachCharacter(text) { return words }
        var builder = WordBuilder(capacity: text.utf8.count)
        for scalar in text.folding(options: foldingOptions, locale: nil).unicodeScalars {
            builder.consumeFolded(scalar)
        }
        return builder.finish()
    }

    /// The words, folding one character at a time, or nil if the text has a character outside the folding table's scripts.
    private static func wordsFoldingEachCharacter(_ text: String) -> Words? {
        var builder = WordBuilder(capacity: text.utf8.count)
        let complete =
            text.utf8.withContiguousStorageIfAvailable { builder.consumeFoldingEachCharacter($0) }
            ?? Array(text.utf8).withUnsafeBufferPointer { builder.consumeFoldingEachCharacter($0) }
        return complete ? builder.finish() : nil
    }

    /// Per-character folding for the scripts where it equals folding whole text.
    private enum Folding {
        /// The characters whose folding the table holds, or that folding leaves alone (symbols, emoji).
        static func isTableFolded(_ scalar: Unicode.Scalar) -> Bool {
            switch scalar.value {
            case 0..<0x590, 0x1AB0..<0x1B00, 0x1DC0..<0x2C00, 0x2E00..<0x2E80, 0xFB00..<0xFB07, 0xFE00..<0xFE10, 0xFE20..<0xFE30,
                0xFEFF, 0xFF00..<0xFFF0, 0x1F000..<0x1FB00:
                true
            default:
                false
            }
        }

        /// Every character of the table ranges that folding changes, with what it becomes (built once, in a few ms).
        static let table: [UInt32: [Unicode.Scalar]] = {
            var table: [UInt32: [Unicode.Scalar]] = [:]
            let ranges: [Range<UInt32>] = [0x80..<0x590, 0x1DC0..<0x2300, 0x2460..<0x2500, 0xFB00..<0xFB07, 0xFF00..<0xFFF0]
            for range in ranges {
                for value in range {
                    guard let scalar = Unicode.Scalar(value), !isCombiningDiacritic(value) else { continue }
                    let folded = String(scalar).folding(options: foldingOptions, locale: nil)
                    if folded.unicodeScalars.count != 1 || folded.unicodeScalars.first != scalar {
                        table[value] = Array(folded.unicodeScalars)
                    }
                }
            }
            return table
        }()
    }

    /// Combining diacritical marks, which diacritic folding removes after a letter.
    static func isCombiningDiacritic(_ value: UInt32) -> Bool {
        switch value {
        case 0x300..<0x370, 0x483..<0x48A, 0x1AB0..<0x1B00, 0x1DC0..<0x1E00, 0x20D0..<0x2100, 0xFE20..<0xFE30: true
        default: false
        }
    }

    private struct WordBuilder {
        private static let noJoiner: UInt8 = 0
        private static let apostrophe: UInt8 = 1

        private var result = Words()
        private var start = 0
        private var hasLetter = false
        private var hasLookalikeDigit = false
        private var lastWasLetter = false
        /// A joiner seen after a word character: `apostrophe`, or the letter an "@" or "$" stands for.
        private var pending: UInt8 = 0

        init(capacity: Int) {
            result.bytes.reserveCapacity(capacity)
            result.words.reserveCapacity(capacity / 5 + 1)
        }

        /// Consumes valid UTF-8, folding each non-ASCII character from the table; false (having consumed only part of the
        /// text) at the first character outside the table's scripts.
        mutating func consumeFoldingEachCharacter(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
            var offset = 0
            while offset < bytes.count {
                let lead = bytes[offset]
                if lead < 0x80 {
                    if Self.isASCIILetter(lead) {
                        // Letters come in runs: append a whole run at once.
                        var end = offset + 1
                        while end < bytes.count && Self.isASCIILetter(bytes[end]) { end += 1 }
                        appendLetters(UnsafeBufferPointer(rebasing: bytes[offset..<end]))
                        offset = end
                    } else {
                        consumeASCII(lead)
                        offset += 1
                    }
                    continue
                }
                // A String's bytes are valid UTF-8, so the lead byte gives the length and the rest are continuation bytes.
                let length = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : 2
                guard offset + length <= bytes.count else { return false }
                var value = UInt32(lead) & (length == 2 ? 0x1F : length == 3 ? 0x0F : 0x07)
                for next in 1..<length { value = value << 6 | UInt32(bytes[offset + next] & 0x3F) }
                offset += length
                guard let scalar = Unicode.Scalar(value), Folding.isTableFolded(scalar) else { return false }
                if let folded = Folding.table[value] {
                    for replacement in folded { consumeFolded(replacement) }
                } else {
                    consumeFolded(scalar)
                }
            }
            return true
        }

        /// Tests in order of frequency in text, rather than a `switch` (which compiles to an unpredictable jump table).
        @inline(__always)
        mutating func consumeASCII(_ byte: UInt8) {
            if byte &- UInt8(ascii: "a") < 26 {
                appendByte(byte, isLetter: true)
            } else if byte == UInt8(ascii: " ") {
                finishWord()
            } else if byte &- UInt8(ascii: "A") < 26 {
                appendByte(byte | 0x20, isLetter: true)
            } else if byte &- UInt8(ascii: "0") < 10 {
                appendByte(byte, isLetter: false)
            } else if byte == UInt8(ascii: "'") {
                joiner(Self.apostrophe)
            } else if byte == UInt8(ascii: "@") {
                joiner(UInt8(ascii: "a"))
            } else if byte == UInt8(ascii: "$") {
                joiner(UInt8(ascii: "s"))
            } else {
                finishWord()
            }
        }

        /// Consumes an already folded character.
        mutating func consumeFolded(_ scalar: Unicode.Scalar) {
            if scalar.isASCII { return consumeASCII(UInt8(truncatingIfNeeded: scalar.value)) }
            if scalar == "\u{2019}" || scalar == "\u{02BC}" { return joiner(Self.apostrophe) }
            if isCombiningDiacritic(scalar.value) { return }
            let properties = scalar.properties
            switch properties.generalCategory {
            case .format:
                return
            case .decimalNumber:
                appendScalar(scalar, isLetter: false)
            case .nonspacingMark, .spacingMark, .enclosingMark:
                if result.bytes.count == start { finishWord() } else { appendScalar(scalar, isLetter: lastWasLetter) }
            default:
                if properties.isAlphabetic { appendScalar(scalar, isLetter: true) } else { finishWord() }
            }
        }

        private mutating func joiner(_ kind: UInt8) {
            guard result.bytes.count > start, pending == Self.noJoiner, kind == Self.apostrophe || lastWasLetter else {
                return finishWord()
            }
            pending = kind
        }

        /// Resolves a pending joiner before a word character: an apostrophe joins, "@"/"$" join only between letters.
        private mutating func resolvePending(nextIsLetter: Bool) {
            guard pending != Self.noJoiner else { return }
            let joiner = pending
            pending = Self.noJoiner
            guard joiner != Self.apostrophe else { return }
            if nextIsLetter {
                result.bytes.append(joiner)
            } else {
                finishWord()
            }
        }

        @inline(__always)
        private static func isASCIILetter(_ byte: UInt8) -> Bool {
            (byte | 0x20) &- UInt8(ascii: "a") < 26
        }

        private mutating func appendLetters(_ letters: UnsafeBufferPointer<UInt8>) {
            if pending != Self.noJoiner { resolvePending(nextIsLetter: true) }
            let from = result.bytes.count
            result.bytes.append(contentsOf: letters)
            for index in from..<result.bytes.count { result.bytes[index] |= 0x20 }
            hasLetter = true
            lastWasLetter = true
        }

        @inline(__always)
        private mutating func appendByte(_ byte: UInt8, isLetter: Bool) {
            if pending != Self.noJoiner { resolvePending(nextIsLetter: isLetter) }
            result.bytes.append(byte)
            if isLetter {
                hasLetter = true
            } else if Self.lookalike(byte) != nil {
                hasLookalikeDigit = true
            }
            lastWasLetter = isLetter
        }

        private mutating func appendScalar(_ scalar: Unicode.Scalar, isLetter: Bool) {
            if pending != Self.noJoiner { resolvePending(nextIsLetter: isLetter) }
            UTF8.encode(scalar) { result.bytes.append($0) }
            if isLetter { hasLetter = true }
            lastWasLetter = isLetter
        }

        mutating func finishWord() {
            pending = Self.noJoiner
            let end = result.bytes.count
            guard end > start else { return }
            let mapLookalikes = hasLetter && hasLookalikeDigit
            var hash: UInt64 = 0xCBF2_9CE4_8422_2325
            var prefixHash: UInt64 = 0
            for index in start..<end {
                if mapLookalikes, let letter = Self.lookalike(result.bytes[index]) { result.bytes[index] = letter }
                hash = (hash ^ UInt64(result.bytes[index])) &* 0x100_0000_01B3
                if index - start == 2 { prefixHash = hash }
            }
            result.words.append(Word(start: start, end: end, hash: hash, prefixHash: prefixHash))
            start = end
            hasLetter = false
            hasLookalikeDigit = false
            lastWasLetter = false
        }

        mutating func finish() -> Words {
            finishWord()
            return result
        }

        private static func lookalike(_ byte: UInt8) -> UInt8? {
            switch byte {
            case UInt8(ascii: "0"): UInt8(ascii: "o")
            case UInt8(ascii: "1"): UInt8(ascii: "i")
            case UInt8(ascii: "3"): UInt8(ascii: "e")
            case UInt8(ascii: "4"): UInt8(ascii: "a")
            case UInt8(ascii: "5"): UInt8(ascii: "s")
            case UInt8(ascii: "7"): UInt8(ascii: "t")
            default: nil
            }
        }
    }

    // MARK: Hostnames

    /// Calls `body` with each hostname in the text, lowercased: hosts of URLs with a scheme (userinfo, port, path, query
    /// and fragment removed), of scheme-less URLs ("www.x.com/path"), and bare hostnames. The domain of an e-mail address
    /// ("user@evil.example", "mailto:user@evil.example") is not a hostname here: an address names a mailbox, not a link.
    static func forEachHost(in text: String, _ body: (String) -> Void) {
        var text = text
        text.withUTF8 { bytes in
            // Only the chunks around a "." can hold a hostname; each byte is visited at most twice.
            var index = 0
            while index < bytes.count {
                guard bytes[index] == UInt8(ascii: ".") else {
                    index += 1
                    continue
                }
                var start = index
                while start > 0 && !isChunkDelimiter(bytes[start - 1]) { start -= 1 }
                var end = index + 1
                while end < bytes.count && !isChunkDelimiter(bytes[end]) { end += 1 }
                if end - start >= 3, let host = host(in: bytes[start..<end]) { body(host) }
                index = end + 1
            }
        }
    }

    /// Whitespace, control characters, non-ASCII bytes and `"'(),;<=>[\]^`{|}` end a chunk of text that may be a URL.
    @inline(__always)
    private static func isChunkDelimiter(_ byte: UInt8) -> Bool {
        if byte <= 0x20 || byte >= 0x7F { return true }
        let low: UInt64 = 1 << 34 | 1 << 39 | 1 << 40 | 1 << 41 | 1 << 44 | 1 << 59 | 1 << 60 | 1 << 61 | 1 << 62
        let high: UInt64 =
            1 << (91 - 64) | 1 << (92 - 64) | 1 << (93 - 64) | 1 << (94 - 64) | 1 << (96 - 64) | 1 << (123 - 64)
            | 1 << (124 - 64) | 1 << (125 - 64)
        return byte < 64 ? low & (1 << UInt64(byte)) != 0 : high & (1 << UInt64(byte - 64)) != 0
    }

    /// The lowercased hostname of one whitespace-delimited chunk of text, or nil.
    private static func host(in chunk: Slice<UnsafeBufferPointer<UInt8>>) -> String? {
        guard chunk.contains(UInt8(ascii: ".")) else { return nil }
        var hostStart = chunk.startIndex
        var hasScheme = false
        // A scheme ends at the chunk's first "/", as "://"; "//host" is a scheme-relative URL.
        if let slash = chunk.firstIndex(of: UInt8(ascii: "/")), slash + 1 < chunk.endIndex, chunk[slash + 1] == UInt8(ascii: "/") {
            if slash == chunk.startIndex || chunk[slash - 1] == UInt8(ascii: ":") {
                hostStart = slash + 2
                hasScheme = true
            }
        }
        var hostEnd =
            chunk[hostStart...].firstIndex {
                $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: "?") || $0 == UInt8(ascii: "#")
            } ?? chunk.endIndex
        if let at = chunk[hostStart..<hostEnd].lastIndex(of: UInt8(ascii: "@")) {
            guard hasScheme else { return nil }
            hostStart = at + 1
        }
        if let colon = chunk[hostStart..<hostEnd].firstIndex(of: UInt8(ascii: ":")) {
            hostEnd = colon
        }
        while hostStart < hostEnd && !isHostAlphanumeric(chunk[hostStart]) { hostStart += 1 }
        while hostEnd > hostStart && !isHostAlphanumeric(chunk[hostEnd - 1]) { hostEnd -= 1 }
        let candidate = chunk[hostStart..<hostEnd]
        guard isHostname(candidate) else { return nil }
        return String(unsafeUninitializedCapacity: candidate.count) { buffer in
            for (offset, byte) in candidate.enumerated() { buffer[offset] = lowercasedASCII(byte) }
            return candidate.count
        }
    }

    private static func isHostAlphanumeric(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"): true
        default: false
        }
    }

    static func lowercasedASCII(_ byte: UInt8) -> UInt8 {
        (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) ? byte &+ 32 : byte
    }

    /// Whether ASCII bytes form a hostname of at least two labels of `[a-z0-9-]` (1-63 bytes, no leading or trailing "-"),
    /// at most 253 bytes in all; letters may be in either case.
    static func isHostname(_ bytes: some Collection<UInt8>) -> Bool {
        guard !bytes.isEmpty, bytes.count <= 253 else { return false }
        var labels = 0
        var labelLength = 0
        var previous: UInt8 = UInt8(ascii: ".")
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "."):
                guard labelLength > 0, previous != UInt8(ascii: "-") else { return false }
                labels += 1
                labelLength = 0
            case UInt8(ascii: "-"):
                guard labelLength > 0 else { return false }
                labelLength += 1
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                labelLength += 1
            default:
                return false
            }
            guard labelLength <= 63 else { return false }
            previous = byte
        }
        guard labelLength > 0, previous != UInt8(ascii: "-") else { return false }
        return labels + 1 >= 2
    }
}
