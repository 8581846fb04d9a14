import Foundation
import Testing

@testable import Switchboard

@Suite struct ContentRuleTests {
    static let defaults = ContentRuleSet(DefaultContentRules.all)

    static let defaultRuleIDs = [
        "prohibited.unlawfulActivity", "prohibited.hate", "prohibited.pornography", "prohibited.obscenity", "prohibited.threats",
        "prohibited.fraud", "prohibited.incitement", "prohibited.malware", "prohibited.ageGateEvasion", "ageRestricted.sex",
        "ageRestricted.alcohol", "ageRestricted.firearms", "ageRestricted.tobacco", "ageRestricted.gambling", "ageRestricted.sweepstakes",
        "solicitation.advertising",
    ]

    // MARK: The default rules

    @Test func theDefaultRulesAreValidAndInTheirStableOrder() throws {
        #expect(DefaultContentRules.all.map(\.id) == Self.defaultRuleIDs)
        for rule in DefaultContentRules.all {
            try rule.validate()
            #expect(rule.id.hasPrefix(rule.kind.rawValue + "."))
            #expect(Set(rule.patterns).count == rule.patterns.count, "\(rule.id) lists a pattern twice")
        }
    }

    struct Example: Sendable, CustomTestStringConvertible {
        var ruleID: String
        var text: String
        var matched: String
        var testDescription: String { ruleID }
    }

    static let examples = [
        Example(ruleID: "prohibited.unlawfulActivity", text: "We can help you evade taxes on your crypto gains, DM us", matched: "evade taxes"),
        Example(ruleID: "prohibited.hate", text: "They are subhuman and do not belong here", matched: "subhuman"),
        Example(ruleID: "prohibited.pornography", text: "Watch free p0rn videos tonight", matched: "porn*"),
        Example(ruleID: "prohibited.obscenity", text: "This is bullshit, call me back", matched: "bullshit"),
        Example(ruleID: "prohibited.threats", text: "Pay what you owe. We know where you live.", matched: "we know where you live"),
        Example(
            ruleID: "prohibited.fraud", text: "URGENT: verify your account password at the link below or lose access",
            matched: "verify your account password"),
        Example(ruleID: "prohibited.incitement", text: "Death to the traitors, hunt them down", matched: "death to the"),
        Example(ruleID: "prohibited.malware", text: "Download this APK to get your refund", matched: "download this apk"),
        Example(ruleID: "prohibited.ageGateEvasion", text: "Best fake IDs in town, they scan every time", matched: "fake ids"),
        Example(ruleID: "ageRestricted.sex", text: "Sexy singles near you want to chat", matched: "sexy singles"),
        Example(ruleID: "ageRestricted.alcohol", text: "Happy hour 4-7pm: $5 margaritas", matched: "happy hour"),
        Example(ruleID: "ageRestricted.firearms", text: "Gun show this Saturday, doors open at 9", matched: "gun show"),
        Example(ruleID: "ageRestricted.tobacco", text: "New vape flavours in store now", matched: "vape"),
        Example(ruleID: "ageRestricted.gambling", text: "Get 50 free spins at our CASÍNO tonight", matched: "casino*"),
        Example(ruleID: "ageRestricted.sweepstakes", text: "Enter to win a $500 shopping spree!", matched: "enter to win"),
        Example(ruleID: "solicitation.advertising", text: "Shop now: 20% off everything in store", matched: "shop now"),
    ]

    @Test func everyDefaultRuleHasAnExample() {
        #expect(Self.examples.map(\.ruleID) == Self.defaultRuleIDs)
    }

    @Test(arguments: examples)
    func eachDefaultRuleFiresOnAClearExample(example: Example) throws {
        let rule = try #require(DefaultContentRules.all.first { $0.id == example.ruleID })
        let match = try #require(Self.defaults.firstMatch(example.text, kind: rule.kind))
        #expect(match.ruleID == example.ruleID)
        #expect(match.matched == example.matched)
        #expect(match.kind == rule.kind)
        #expect(match.category == rule.category)
        #expect(match.description == rule.description)
        #expect(Self.defaults.matches(example.text).contains(match))
    }

    @Test func theMalwareRuleMatchesItsTestDomain() throws {
        let match = try #require(
            Self.defaults.firstMatch("Your invoice: http://malware.testing.google.test/testing/malware/ (open today)", kind: .prohibited))
        #expect(match.ruleID == "prohibited.malware")
        #expect(match.matched == "malware.testing.google.test")
    }

    /// Transactional traffic every resource sends; a false positive here refuses a legitimate message.
    static let benignMessages = [
        "We detected a suspicious transaction on your card ending 1234. Reply YES if it was you, NO if not. Msg&data rates may apply.",
        "Fraud alert: a $212.40 charge at BESTBUY was declined. If this wasn't you, call 1-800-555-0100. We never ask for your PIN.",
        "Security notice: we will never ask you to send gift cards, wire money, or verify your password by text or e-mail.",
        "Your package will be delivered today between 2-4pm. Track it at https://ups.example/track?id=1Z999AA10123456784",
        "FedEx: your parcel 7789 1234 5678 is out for delivery. No signature required. Manage delivery: fedex.example/m/77891",
        "Order #A7-5512 has shipped and will arrive Thursday. Questions? Reply HELP. Reply STOP to opt out.",
        "Reminder: your flu shot appointment is tomorrow at 10:30 AM at Essex Family Clinic. Reply C to confirm or R to reschedule.",
        "Your lab results are ready in the patient portal. Please do not drink alcohol for 24 hours before your follow-up blood test.",
        "Reminder: your sexual health clinic appointment is on Monday at 9:00. Results of your STI screening are sent securely.",
        "Your CT scan showed a 9mm nodule; Dr. Lee will call you to discuss next steps. Available time slots: 8:00, 9:30.",
        "Your verification code is 482913. Do not share this code with anyone. It expires in 10 minutes.",
        "Your Contoso one-time passcode is G7K2P9. If you did not request it, you can ignore this message.",
        "Receipt: 2x glue gun refills $7.98, 1x nude lipstick $12.00, root beer $2.50. Total $22.48. Thanks for shopping at Contoso!",
        "Payment received: $1,250.00 to Milford Property Management on 2024-04-01 (50% deposit). Your first deposit is confirmed.",
        "Our team has begun processing your claim 88213. Your SSN on file ending XXX-XX-1234 was not changed.",
        "Your prescription for amoxicillin 500 mg is ready for pickup. Please bring a photo ID. Your nicotine patch refill is ready too.",
        "Congratulations, you've won the auction for the vintage brass sextant! Pay within 4 days to complete your purchase.",
        "Your RV site reservation at Pine Lake includes water and electric hookup. Check-in after 3 PM; quiet hours start at 10 PM.",
        "Please don't reply to this message. Thanks for your payment of $42.17; your next bill is due 05/01/2024.",
        "Thanks for dining at Harbor Brewery Kitchen! Margherita pizza x1, root beer x2. Total $31.40 charged to card ending 0007.",
        "You have won the bid on lot 42. Please complete payment within 48 hours. Your housing lottery application was received.",
        "Your tax return is due April 15. Avoid penalties by filing on time; report suspected tax fraud at irs.example/fraud.",
    ]

    @Test(arguments: benignMessages)
    func benignMessagesMatchNothingProhibitedOrAgeRestricted(text: String) {
        let kinds = Self.defaults.matches(text).filter { $0.kind != .solicitation }
        #expect(kinds.isEmpty, "\(kinds.map { "\($0.ruleID): \($0.matched)" })")
    }

    @Test(arguments: benignMessages.prefix(6))
    func fraudAlertsAndDeliveryNoticesMatchNoSolicitation(text: String) {
        #expect(Self.defaults.firstMatch(text, kind: .solicitation) == nil)
    }

    @Test func theWordFraudAloneAndShotInFluShotDoNotMatch() {
        #expect(Self.defaults.matches("Fraud alert: possible fraud on your account. Fraud team: 555-0100").isEmpty)
        #expect(Self.defaults.firstMatch("Get your flu shot and booster shots today", kind: .ageRestricted) == nil)
    }

    // MARK: Words and phrases

    static func ruleSet(_ patterns: [String], kind: ContentRule.Kind = .prohibited) -> ContentRuleSet {
        ContentRuleSet([ContentRule(id: "test.rule", kind: kind, category: "test", description: "A test rule.", patterns: patterns)])
    }

    @Test func wordsMatchWholeWordsOnly() {
        let set = Self.ruleSet(["sex", "gun"])
        for text in ["Essex county", "a brass sextant", "we have begun", "Sussex", "gunpowder-free", "shotgun"] {
            #expect(set.firstMatch(text, kind: .prohibited) == nil, "\(text)")
        }
        #expect(set.firstMatch("Sex!", kind: .prohibited)?.matched == "sex")
        #expect(set.firstMatch("a (gun).", kind: .prohibited)?.matched == "gun")
    }

    @Test func aTrailingStarMakesTheLastWordAPrefix() {
        let set = Self.ruleSet(["porn*", "send gift card*"])
        #expect(set.firstMatch("PORNOGRAPHIC material", kind: .prohibited)?.matched == "porn*")
        #expect(set.firstMatch("porn", kind: .prohibited)?.matched == "porn*")
        #expect(set.firstMatch("eporn", kind: .prohibited) == nil)
        #expect(set.firstMatch("please send gift cards now", kind: .prohibited)?.matched == "send gift card*")
        #expect(set.firstMatch("please send gift", kind: .prohibited) == nil)
        #expect(set.firstMatch("send a gift card", kind: .prohibited) == nil)
    }

    @Test func phrasesMatchConsecutiveWordsAcrossPunctuation() {
        let set = Self.ruleSet(["wire the money"])
        #expect(set.firstMatch("Wire the money.", kind: .prohibited) != nil)
        #expect(set.firstMatch("wire -- the, money", kind: .prohibited) != nil)
        #expect(set.firstMatch("wire the", kind: .prohibited) == nil)
        #expect(set.firstMatch("wire all the money", kind: .prohibited) == nil)
        #expect(set.firstMatch("rewire the money box", kind: .prohibited) == nil)
    }

    @Test func caseAndDiacriticsAreIgnored() {
        #expect(Self.ruleSet(["casino"]).firstMatch("CASÍNO night", kind: .prohibited)?.matched == "casino")
        #expect(Self.ruleSet(["café"]).firstMatch("CAFE open", kind: .prohibited)?.matched == "café")
        #expect(Self.ruleSet(["porn"]).firstMatch("ｐｏｒｎ", kind: .prohibited) != nil)
        #expect(Self.ruleSet(["strasse"]).firstMatch("Hauptstraße 5", kind: .prohibited) == nil)
    }

    @Test func lookAlikeDigitsAndSymbolsInWordsAreReadAsLetters() {
        #expect(Self.ruleSet(["porn"]).firstMatch("p0rn", kind: .prohibited) != nil)
        #expect(Self.ruleSet(["free spins"]).firstMatch("FR33 SP1NS!!", kind: .prohibited)?.matched == "free spins")
        #expect(Self.ruleSet(["casino"]).firstMatch("c@sino", kind: .prohibited) != nil)
        #expect(Self.ruleSet(["cash"]).firstMatch("easy ca$h", kind: .prohibited) != nil)
        #expect(Self.ruleSet(["porn"]).firstMatch("p\u{200B}orn", kind: .prohibited) != nil)
    }

    @Test(arguments: [
        "CASÍNO Café Olé naïve FAÇADE Straße Øresund Ærø ŁÓDŹ İstanbul Ĳssel ǅ ﬁre ﬃ",
        "e\u{301}te\u{301} cafe\u{0301} n\u{303}o ẍ Tiếng Việt Nguyễn Đức",
        "ΆΣΟΣ Ελληνικά ΚΑΛΗΜΕΡΑ Москва ЁЖИК Привет Україна Հայաստան",
        "ｐｏｒｎ ＣＡＳＩＮＯ １２３ ｶﾀｶﾅ Ⓐⓑ ⅫⅢ ½ ™ ℌ № “quoted” don’t ‘x’ — … \u{00A0}nbsp 😀👍🏽 \u{200B}zw\u{200D}j",
        "p\u{200B}0rn c@sino ca$h fr33 50% $50 user@example.com mixed ΑΒΓ abc123 a≠b x≮y",
    ])
    func foldingOneCharacterAtATimeGivesTheWordsOfFoldingTheWholeText(text: String) {
        #expect(ContentText.words(text).strings == ContentText.words(text, foldWhole: true).strings)
    }

    @Test func textInOtherScriptsIsFoldedWhole() {
        #expect(ContentText.tokens("Привет 世界 CASINO") == ["привет", "世界", "casino"])
        #expect(ContentText.tokens("שָׁלוֹם CASÍNO") == ContentText.words("שָׁלוֹם CASÍNO", foldWhole: true).strings)
        #expect(Self.ruleSet(["casino"]).firstMatch("今晚 CASÍNO 开业", kind: .prohibited) != nil)
    }

    @Test func digitsAloneAreLeftAlone() {
        #expect(ContentText.tokens("50% off in 2024") == ["50", "off", "in", "2024"])
        #expect(ContentText.tokens("fr33 50 shots") == ["free", "50", "shots"])
        #expect(ContentText.tokens("$50 or 5$ a$") == ["50", "or", "5", "a"])
        #expect(ContentText.tokens("Don't won’t it's") == ["dont", "wont", "its"])
        #expect(ContentText.tokens("'quoted' rock'n'roll") == ["quoted", "rocknroll"])
        #expect(Self.ruleSet(["sos"]).firstMatch("call 505 now", kind: .prohibited) == nil)
        #expect(Self.ruleSet(["50 shots"]).firstMatch("50 shots of espresso", kind: .prohibited)?.matched == "50 shots")
    }

    // MARK: Domains

    static let evil = ContentRuleSet([
        ContentRule(id: "test.domain", kind: .prohibited, category: "malware", description: "Test domain.", urlDomains: ["Evil.Example"])
    ])

    @Test(arguments: [
        "http://Sub.Evil.example/x", "see evil.example", "www.evil.example:8080/a?b", "https://user:pw@evil.example/login",
        "Visit (EVIL.EXAMPLE).", "<a href=\"https://a.b.evil.example/?q=1\">here</a>", "//evil.example/path", "evil.example#top",
    ])
    func domainsMatchThemselvesAndSubdomainsInURLsAndHostnames(text: String) {
        #expect(Self.evil.firstMatch(text, kind: .prohibited)?.matched == "Evil.Example")
    }

    @Test(arguments: [
        "write to user@evil.example", "mailto:user@evil.example", "notevil.example", "evil.example.com", "evil.examples",
        "evil-example.com", "evil example", "https://good.example/evil.example",
    ])
    func emailAddressesAndOtherDomainsDoNotMatch(text: String) {
        #expect(Self.evil.firstMatch(text, kind: .prohibited) == nil)
    }

    // MARK: Order and kinds

    @Test func theRuleListedFirstWinsWithinAKindAndKindsComeInOrder() {
        let set = ContentRuleSet([
            ContentRule(id: "s.one", kind: .solicitation, category: "ads", description: "Ads.", patterns: ["buy now"]),
            ContentRule(id: "p.first", kind: .prohibited, category: "a", description: "First.", patterns: ["late", "never"]),
            ContentRule(id: "p.second", kind: .prohibited, category: "b", description: "Second.", patterns: ["early"]),
            ContentRule(id: "a.one", kind: .ageRestricted, category: "c", description: "Age.", patterns: ["vodka"]),
        ])
        let matches = set.matches("early vodka, buy now, late")
        #expect(matches.map(\.ruleID) == ["p.first", "a.one", "s.one"])
        #expect(matches.first?.matched == "late")
        #expect(set.firstMatch("early vodka", kind: .prohibited)?.ruleID == "p.second")
        #expect(set.firstMatch("early vodka", kind: .solicitation) == nil)
        #expect(set.matches("nothing here").isEmpty)
        #expect(set.rules.map(\.id) == ["s.one", "p.first", "p.second", "a.one"])
    }

    @Test func patternsThatCannotMatchAreSkippedWhenCompiling() {
        let set = Self.ruleSet(["", "***", "p*rn", "a*", "ok"])
        #expect(set.firstMatch("a b ok", kind: .prohibited)?.matched == "ok")
        #expect(ContentRuleSet([]).matches("anything").isEmpty)
    }

    // MARK: Validation

    static let valid = ContentRule(id: "custom.rule-1_x", kind: .prohibited, category: "custom", description: "Custom.", patterns: ["x"])

    static func field(of rule: ContentRule) -> String? {
        do {
            try rule.validate()
            return nil
        } catch {
            guard case .invalid(let field, let reason) = error, !reason.isEmpty else { return "?" }
            return field
        }
    }

    @Test func validateNamesTheBadField() {
        #expect(Self.field(of: Self.valid) == nil)
        func with(_ change: (inout ContentRule) -> Void) -> ContentRule {
            var rule = Self.valid
            change(&rule)
            return rule
        }
        #expect(Self.field(of: with { $0.id = "" }) == "id")
        #expect(Self.field(of: with { $0.id = "has space" }) == "id")
        #expect(Self.field(of: with { $0.id = String(repeating: "a", count: 65) }) == "id")
        #expect(Self.field(of: with { $0.category = " " }) == "category")
        #expect(Self.field(of: with { $0.category = String(repeating: "c", count: 65) }) == "category")
        #expect(Self.field(of: with { $0.description = "" }) == "description")
        #expect(Self.field(of: with { $0.description = String(repeating: "d", count: 501) }) == "description")
        #expect(Self.field(of: with { $0.patterns = [] }) == "patterns")
        #expect(Self.field(of: with { $0.patterns = ["ok", " "] }) == "patterns")
        #expect(Self.field(of: with { $0.patterns = [String(repeating: "p", count: 201)] }) == "patterns")
        #expect(Self.field(of: with { $0.patterns = Array(repeating: "p", count: 501) }) == "patterns")
        #expect(Self.field(of: with { $0.patterns = ["p*rn"] }) == "patterns")
        #expect(Self.field(of: with { $0.patterns = ["ab*"] }) == "patterns")
        #expect(Self.field(of: with { $0.patterns = ["!!!"] }) == "patterns")
        #expect(Self.field(of: with { $0.patterns = ["porn*", "e cig*"] }) == nil)
        #expect(
            Self.field(
                of: with {
                    $0.patterns = []; $0.urlDomains = ["evil.example"]
                }) == nil)
        #expect(Self.field(of: with { $0.urlDomains = ["https://evil.example"] }) == "urlDomains")
        #expect(Self.field(of: with { $0.urlDomains = ["localhost"] }) == "urlDomains")
        #expect(Self.field(of: with { $0.urlDomains = ["-evil.example"] }) == "urlDomains")
        #expect(Self.field(of: with { $0.urlDomains = ["evil..example"] }) == "urlDomains")
        #expect(Self.field(of: with { $0.urlDomains = Array(repeating: "a.example", count: 501) }) == "urlDomains")
    }

    @Test func rulesAreDataThatRoundTripsThroughJSON() throws {
        let rule = try #require(DefaultContentRules.all.first { $0.id == "prohibited.malware" })
        let decoded = try JSONDecoder().decode(ContentRule.self, from: try JSONEncoder().encode(rule))
        #expect(decoded == rule)
        let minimal = #"{"id":"x.y","kind":"solicitation","category":"ads","description":"Ads.","patterns":["buy now"]}"#
        let parsed = try JSONDecoder().decode(ContentRule.self, from: Data(minimal.utf8))
        #expect(parsed.urlDomains.isEmpty)
        #expect(parsed.kind == .solicitation)
    }
}
