/// The country of a phone number by its calling code, for the countries an alphanumeric sender id is registered in.
/// NANP numbers (+1) are placed by area code; elsewhere the longest matching calling code decides.
enum CallingCodes {
    static let codes: [String: String] = [
        "44": "GB", "49": "DE", "33": "FR", "34": "ES", "39": "IT", "31": "NL", "32": "BE", "41": "CH", "43": "AT", "45": "DK",
        "46": "SE", "47": "NO", "48": "PL", "351": "PT", "353": "IE", "358": "FI", "30": "GR", "420": "CZ", "36": "HU", "40": "RO",
        "61": "AU", "64": "NZ", "65": "SG", "91": "IN", "81": "JP", "82": "KR", "852": "HK", "971": "AE", "972": "IL", "27": "ZA",
        "55": "BR", "52": "MX", "54": "AR", "56": "CL", "57": "CO", "90": "TR",
    ]

    static func country(of number: String) -> String? {
        let digits = number.drop { $0 == "+" }
        if digits.hasPrefix("1") { return SandboxCatalog.describe(number)?.country }
        for length in [3, 2, 1] {
            if let country = codes[String(digits.prefix(length))] { return country }
        }
        return nil
    }
}
