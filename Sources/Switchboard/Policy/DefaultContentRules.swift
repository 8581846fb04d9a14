/// The content rules every resource starts with, one per category of the messaging policy.
///
/// They are data so that an operator can read exactly what is checked, disable a rule that misfires for their traffic, and
/// add their own. They run on every SMS and e-mail, including fraud alerts, delivery notices, appointment reminders, lab
/// results, one-time codes and receipts, so precision matters more than recall: the patterns are phrases that promote or
/// commit the prohibited thing rather than words that merely mention it ("fraud", "alcohol", "shot", "slots", "sex",
/// "nicotine" and "brewery" alone all appear in legitimate transactional messages and are deliberately absent).
public enum DefaultContentRules {
    /// The default rule set, in a stable order: prohibited rules, then age-restricted ones, then solicitation.
    public static let all: [ContentRule] = prohibited + ageRestricted + solicitation

    static let prohibited: [ContentRule] = [
        ContentRule(
            id: "prohibited.unlawfulActivity", kind: .prohibited, category: "unlawfulActivity",
            description: "Prohibited: \"Content that promotes unlawful activities (for example, tax evasion or animal cruelty in the "
                + "United States)\".",
            patterns: [
                "evade taxes", "evade tax", "evading taxes", "help you evade", "hide income from the irs", "hide money from the irs",
                "hide your income from", "avoid paying taxes illegally", "off the books cash", "launder your money",
                "money laundering service", "clean your dirty money", "dog fighting", "dogfighting", "dog fights", "bait dogs",
                "cockfighting", "cock fighting", "fighting roosters for sale", "animal fighting ring", "animal fights", "ivory for sale",
                "rhino horn for sale", "buy rhino horn", "poached ivory", "buy cocaine", "cocaine for sale", "buy heroin",
                "heroin for sale", "buy meth", "meth for sale", "buy fentanyl", "fentanyl for sale", "buy mdma", "mdma for sale",
                "xanax without prescription", "oxycodone without prescription", "adderall without prescription",
                "pills without prescription", "counterfeit money", "counterfeit bills", "counterfeit banknotes", "fake banknotes",
                "buy stolen", "stolen goods for sale", "fullz", "cvv dumps", "cc dumps", "dumps with pin", "hitman for hire",
                "hire a hitman",
            ]),
        ContentRule(
            id: "prohibited.hate", kind: .prohibited, category: "hate",
            description: "Prohibited: \"Hate speech, defamatory speech, harassment, or other speech determined to be patently "
                + "offensive\".",
            patterns: [
                "subhuman", "subhumans", "sub human", "untermensch", "ethnic cleansing", "racial cleansing", "race war", "white genocide",
                "master race", "inferior race", "inferior races", "racially inferior", "mongrel race", "heil hitler", "sieg heil",
                "gas them all", "should all be gassed", "into the gas chambers", "go back to your country", "go back where you came from",
                "should be exterminated", "exterminate them", "are vermin", "are cockroaches", "not even human", "kill yourself",
                "go kill yourself", "nobody would miss you", "you should die", "you deserve to die", "hope you die", "ugly worthless",
                "you are worthless", "youre worthless", "everyone hates you", "is a pedophile", "is a child molester",
            ]),
        ContentRule(
            id: "prohibited.pornography", kind: .prohibited, category: "pornography",
            description: "Prohibited: \"Pornographic content\".",
            patterns: [
                "porn*", "xxx video", "xxx videos", "xxx movies", "free xxx", "xxx pics", "xxx cams", "nude pics", "nude photos",
                "nude videos", "naked pics", "naked photos", "naked videos", "send nudes", "sex tape", "sex tapes", "sex video*",
                "hardcore sex", "explicit videos", "adult videos", "adult movies", "milf", "milfs", "camgirl*", "cam girls", "cam girl",
                "live sex cams", "sex cams", "onlyfans leak*", "leaked nudes", "xvideos", "xhamster", "xnxx", "redtube", "youporn",
                "brazzers", "nsfw pics", "nsfw videos", "erotic videos", "blowjob*", "handjob*", "deepthroat*", "creampie*", "gangbang*",
                "hentai",
            ]),
        ContentRule(
            id: "prohibited.obscenity", kind: .prohibited, category: "obscenity",
            description: "Prohibited: \"Obscene or vulgar content\".",
            patterns: [
                "fuck*", "motherfuck*", "mothafuck*", "fuk", "fuking", "shit", "shits", "shitty", "shithead*", "bullshit", "horseshit",
                "dipshit", "shitshow", "cunt", "cunts", "asshole*", "arsehole*", "dickhead*", "cocksucker*", "bitch", "bitches",
                "son of a bitch", "piss off", "pissed off", "wanker*", "twat", "twats", "slut", "sluts", "whore", "whores", "jackass",
                "dumbass", "douchebag*", "bollocks", "eat my ass", "suck my dick",
            ]),
        ContentRule(
            id: "prohibited.threats", kind: .prohibited, category: "threats",
            description: "Prohibited: \"Intimidation and threats\".",
            patterns: [
                "i will kill you", "ill kill you", "im going to kill you", "im gonna kill you", "we will kill you", "going to kill you",
                "gonna kill you", "i will hurt you", "ill hurt you", "we will hurt you", "hurt your family", "harm your family",
                "kill your family", "we know where you live", "i know where you live", "watch your back", "you are dead", "youre dead",
                "you will die", "youre going to die", "you will regret this", "youll regret this", "you will pay for this",
                "sleep with one eye open", "or else you will", "pay or we will", "pay or i will", "pay or else", "or we will release",
                "or i will release", "leak your photos", "leak your nudes", "i have recorded you", "i recorded you", "we have your photos",
                "send bitcoin or", "burn your house", "break your legs", "put a bullet in",
            ]),
        ContentRule(
            id: "prohibited.fraud", kind: .prohibited, category: "fraud",
            description: "Prohibited: \"Content that intends to defraud, deceive, cause harm, or wrongfully obtain anything of "
                + "value\" (phishing, advance-fee and payment scams).",
            // Phrasing that asks for the thing, with urgency, rather than the thing itself: legitimate fraud warnings say
            // "we will never ask you to send gift cards, wire money or share your password" and must not match.
            patterns: [
                "verify your account password", "confirm your account password", "verify your password to avoid",
                "verify your password within", "confirm your password to avoid", "update your password to avoid suspension",
                "to avoid account suspension click", "to avoid suspension click", "account will be suspended unless",
                "account will be closed unless", "account will be locked unless", "your account will be suspended click",
                "account has been suspended click", "account has been locked click", "verify your identity to unlock",
                "confirm your card details to", "confirm your banking details to", "verify your banking details to", "verify your ssn to",
                "text me the code", "send me the code", "read me the code", "forward me the code", "tell me the code you",
                "send me gift cards", "send us gift cards", "buy gift cards and send", "send the gift card codes",
                "send pictures of the gift card*", "send photos of the gift card*", "scratch off the back of the card", "wire me the money",
                "wire the money today", "wire the money now", "wire the money immediately", "wire the money to this",
                "send the money via western union", "send bitcoin to", "send btc to", "double your bitcoin", "double your crypto",
                "guaranteed profit*", "guaranteed returns on", "risk free investment", "unclaimed inheritance", "inheritance funds",
                "nigerian prince", "processing fee to release", "pay a release fee", "pay the release fee", "warrant for your arrest",
                "irs will arrest", "police will arrest you", "your computer is infected call", "your computer has been hacked call",
            ]),
        ContentRule(
            id: "prohibited.incitement", kind: .prohibited, category: "incitement",
            description: "Prohibited: \"Content that incites harm, discrimination, or violence\".",
            patterns: [
                "death to all", "death to the", "kill them all", "kill the infidels", "lynch them", "lynch mob", "string them up",
                "hang them all", "they deserve to die", "should be killed", "must be killed", "should be shot", "must be shot",
                "hunt them down", "burn it all down", "burn down the", "burn down their", "plant a bomb", "shoot up the school",
                "shoot up a school", "start a riot", "take up arms against", "attack them on sight", "beat them up", "beat up any",
                "run them over", "whites only", "no blacks allowed", "no jews allowed", "no muslims allowed", "no gays allowed",
                "do not hire women", "pogrom",
            ]),
        ContentRule(
            id: "prohibited.malware", kind: .prohibited, category: "malware",
            description: "Prohibited: \"Content that spreads malware\".",
            patterns: [
                "download this apk", "install this apk", "apk download link", "install this certificate",
                "install the attached certificate", "install this profile", "install this configuration profile", "enable macros to",
                "please enable macros", "enable editing and content", "enable content to view", "disable your antivirus to",
                "turn off your antivirus to", "disable windows defender to", "sideload this app", "run the attached exe",
                "open the attached exe", "run this exe", "your phone is infected", "your device is infected",
                "virus detected on your phone", "install this security app", "download this security update",
            ],
            urlDomains: ["malware.testing.google.test", "testsafebrowsing.appspot.com", "wicar.org"]),
        ContentRule(
            id: "prohibited.ageGateEvasion", kind: .prohibited, category: "ageGateEvasion",
            description: "Prohibited: \"Content that intends to evade age-gating requirements\".",
            patterns: [
                "fake id", "fake ids", "fake drivers license", "fake driving licence", "novelty id", "novelty ids", "scannable id",
                "scannable ids", "no id required to buy", "no id needed to buy", "no age verification", "without age verification",
                "skip age verification", "skip the age check", "bypass age verification", "bypass the age gate",
                "get around age verification", "avoid age verification", "lie about your age", "pretend to be 21", "pretend to be 18",
                "under 21 welcome", "under 18 welcome", "no carding", "we dont card", "we dont check id",
            ]),
    ]

    static let ageRestricted: [ContentRule] = [
        ContentRule(
            id: "ageRestricted.sex", kind: .ageRestricted, category: "sex",
            description: "Age-restricted: sex (\"sex, hate, alcohol, firearms, tobacco, gambling, or sweepstakes and contests\" "
                + "need an age-gated program).",
            patterns: [
                "sexting", "sext", "sexts", "sex chat", "phone sex", "sex line", "cybersex", "casual sex", "sex party", "sex toy",
                "sex toys", "sex shop", "adult toys", "adult dating", "sexy singles", "hot singles", "horny", "hook up tonight",
                "one night stand", "friends with benefits", "erotic*", "sensual massage", "nuru massage", "happy ending massage",
                "strip club", "strip clubs", "lap dance", "lap dances", "escort girls", "call girls", "fetish*", "bdsm", "swingers",
                "naughty chat", "dirty talk", "get laid", "booty call", "webcam girls", "18 plus content", "adults only content",
            ]),
        ContentRule(
            id: "ageRestricted.alcohol", kind: .ageRestricted, category: "alcohol",
            description: "Age-restricted: alcohol (\"sex, hate, alcohol, firearms, tobacco, gambling, or sweepstakes and contests\" "
                + "need an age-gated program).",
            patterns: [
                "vodka", "tequila", "whiskey", "whisky", "bourbon", "liquor", "booze", "craft beer", "craft beers", "cold beer",
                "beer delivery", "beer festival", "beer tasting", "beer pong", "keg party", "oktoberfest", "wine tasting", "wine tastings",
                "wine club", "wine delivery", "wine bar", "bottle of wine", "bottles of wine", "happy hour", "bottomless mimosas",
                "mimosas", "margaritas", "cocktail hour", "cocktails", "open bar", "drink specials", "two for one drinks", "free drinks",
                "tequila shots", "jello shots", "alcohol delivery", "liquor delivery", "liquor store",
            ]),
        ContentRule(
            id: "ageRestricted.firearms", kind: .ageRestricted, category: "firearms",
            description: "Age-restricted: firearms (\"sex, hate, alcohol, firearms, tobacco, gambling, or sweepstakes and contests\" "
                + "need an age-gated program).",
            patterns: [
                "firearm*", "handgun*", "guns for sale", "gun sale", "gun sales", "gun show", "gun shop", "gun store", "gun range",
                "buy a gun", "buy guns", "ghost gun*", "rifle*", "shotgun*", "pistol*", "revolver*", "glock*", "ar 15", "ar15", "ak 47",
                "ak47", "assault rifle*", "ammo", "ammunition", "rounds of ammo", "concealed carry", "shooting range", "gun silencer*",
                "bump stock*", "high capacity magazine*", "gun parts kit",
            ]),
        ContentRule(
            id: "ageRestricted.tobacco", kind: .ageRestricted, category: "tobacco",
            description: "Age-restricted: tobacco (\"sex, hate, alcohol, firearms, tobacco, gambling, or sweepstakes and contests\" "
                + "need an age-gated program).",
            patterns: [
                "cigarette", "cigarettes", "cigar", "cigars", "cigarillo*", "tobacco products", "chewing tobacco", "pipe tobacco",
                "rolling tobacco", "tobacco shop", "smoke shop", "vape", "vapes", "vaping", "vape shop", "vape juice", "vape pen*", "e cig",
                "e cigs", "e cigarette*", "ecig", "ecigs", "ecigarette*", "e liquid*", "eliquid*", "e juice", "ejuice", "juul*",
                "disposable vape*", "hookah*", "shisha", "snus", "nicotine pouch*", "zyn", "puff bar*", "elf bar*",
            ]),
        ContentRule(
            id: "ageRestricted.gambling", kind: .ageRestricted, category: "gambling",
            description: "Age-restricted: gambling (\"sex, hate, alcohol, firearms, tobacco, gambling, or sweepstakes and contests\" "
                + "need an age-gated program).",
            patterns: [
                "casino*", "sportsbook*", "slot machine*", "online slots", "play slots", "free spins", "jackpot*", "poker", "blackjack",
                "roulette", "craps table", "sports betting", "online betting", "place your bet*", "bet now", "betting odds", "odds boost",
                "parlay*", "wager*", "deposit bonus", "first deposit bonus", "no deposit bonus", "bingo", "lottery ticket*",
                "play the lottery", "lotto", "scratch off tickets", "scratch cards", "bet365", "draftkings", "fanduel", "betmgm",
                "caesars sportsbook",
            ]),
        ContentRule(
            id: "ageRestricted.sweepstakes", kind: .ageRestricted, category: "sweepstakes",
            description: "Age-restricted: sweepstakes and contests (\"sex, hate, alcohol, firearms, tobacco, gambling, or "
                + "sweepstakes and contests\" need an age-gated program).",
            patterns: [
                "sweepstake*", "enter to win", "chance to win", "you have won a", "youve won a", "you won a",
                "you have been selected to win", "you are a winner", "youre a winner", "claim your prize", "claim your reward",
                "prize draw", "giveaway*", "raffle*", "contest entry", "enter our contest", "enter the contest", "enter our competition",
                "win a free", "win a brand new", "winner will be selected", "winners will be selected", "instant win", "grand prize",
                "lucky winner", "lucky draw",
            ]),
    ]

    static let solicitation: [ContentRule] = [
        ContentRule(
            id: "solicitation.advertising", kind: .solicitation, category: "solicitation",
            description: "Solicitation: exempt messages (package delivery, fraud alerts, healthcare) \"may not include "
                + "solicitations or advertisements\".",
            patterns: [
                "buy now", "shop now", "order now", "subscribe now", "upgrade now", "sign up today", "redeem now", "percent off",
                "off your next", "off your first", "off your order", "off everything", "discount*", "promo code*", "promotional code",
                "coupon*", "voucher code", "limited time offer", "limited time only", "special offer*", "exclusive offer*",
                "exclusive deal*", "deal of the day", "todays deals", "flash sale", "clearance sale", "sale ends", "sale starts",
                "big sale", "free trial", "free shipping on orders", "free shipping on all", "buy one get one", "bogo", "save big",
                "save up to", "best prices", "lowest prices", "new arrivals", "dont miss out", "while supplies last", "shop the sale",
                "click to shop", "refer a friend",
            ])
    ]
}
