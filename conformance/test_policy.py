"""The messaging policy gate through its own HTTP API (api-version 2026-12-01) and the command line, as a new
user tries it: programs, consent with evidence, opt-outs, content rules, and the dry run's code for every rule.
The channel issues prove the same refusals again through the official SDKs."""

import csv
import io
import urllib.parse
import uuid

from azure.communication.identity import CommunicationIdentityClient

from conftest import signed_request

VERSION = "2026-12-01"
PROMO = "+18005550100"
PARCELS = "+18005550111"
GIVEAWAY = "+18005550122"
NEWS = "+18005550133"
ALICE, BOB, CAROL, DAVE, ERIN = "+14255550101", "+14255550102", "+14255550103", "+14255550104", "+14255550105"


def api(connection_string, method, path, body=None):
    return signed_request(connection_string, method, path, body, api_version=VERSION)


def own(cs, senders):
    """Makes the resource the owner of its senders, as it must be before a program may list them: phone numbers are
    reserved and bought through the Phone Numbers API, alphanumeric ids registered."""
    for sender in senders:
        if not sender.startswith("+"):
            response = signed_request(cs, "PUT", f"/sms/alphanumericSenders/{sender}", {"countries": ["GB"]}, api_version=VERSION)
            assert response.status_code in (200, 201), response.text
            continue
        if signed_request(cs, "GET", f"/phoneNumbers/%2B{sender[1:]}", api_version="2025-06-01").status_code == 200:
            continue
        reservation = str(uuid.uuid4())
        wanted = {"countryCode": "US", "phoneNumberType": "tollFree", "assignmentType": "application",
                  "capabilities": {"calling": "none", "sms": "inbound+outbound"}}
        reserved = signed_request(cs, "PATCH", f"/availablePhoneNumbers/reservations/{reservation}",
                                  {"phoneNumbers": {sender[1:]: wanted}}, api_version="2025-06-01")
        assert reserved.status_code == 201, reserved.text
        bought = signed_request(cs, "POST", f"/availablePhoneNumbers/reservations/{reservation}/:purchase",
                                {"agreeToNotResell": False}, api_version="2025-06-01")
        assert bought.status_code == 202, bought.text


def program(cs, program_id, **fields):
    own(cs, fields.get("senders", []))
    body = {"name": f"Contoso {program_id}", "description": f"Contoso {program_id} messages", "frequency": "Up to 4 msgs/month",
            "fees": "Msg & data rates may apply", "helpText": "Reply HELP or call +18005550199", **fields}
    response = api(cs, "PUT", f"/messaging/programs/{program_id}", body)
    assert response.status_code in (200, 201), response.text
    return response.json()


def consent(cs, recipient, program_id, kind="written", channel="sms", **extra):
    body = {"recipient": recipient, "channel": channel, "programId": program_id, "kind": kind,
            "evidence": {"medium": "webForm", "capturedOn": "2026-11-30T10:00:00Z", "campaign": "winter",
                         "ipAddress": "203.0.113.7", "sessionId": "sess-42", "userAgent": "Mozilla/5.0",
                         "screenshotRef": "evidence/alice.png", "callToAction": "Text me deals. Msg&data rates may apply. Reply STOP to end.",
                         "ageVerified": False}, **extra}
    response = api(cs, "POST", "/messaging/consents", body)
    assert response.status_code == 201, response.text
    return response.json()


def evaluate(cs, sender, recipients, content="Your order shipped.", channel="sms"):
    response = api(cs, "POST", "/messaging/policy:evaluate", {"channel": channel, "from": sender, "to": recipients, "content": content})
    assert response.status_code == 200, response.text
    return {item["to"]: item for item in response.json()["value"]}


def enforcing_resource(server, name="shop"):
    created = server.cli("resource", "create", name, "--geography", "unitedstates", "--json")
    return created["connectionString"]


def test_a_new_user_gets_a_code_for_every_rule_from_the_dry_run(server):
    cs = enforcing_resource(server)
    assert api(cs, "GET", "/messaging/policy/settings").json()["mode"] == "enforce"
    promo = program(cs, "deals", purpose="promotional", senders=[PROMO])
    assert promo["purpose"] == "promotional" and promo["senders"] == [PROMO] and promo["doubleOptIn"] is False
    program(cs, "parcels", category="packageDelivery", senders=[PARCELS])
    giveaway = program(cs, "giveaway", category="sweepstakes", senders=[GIVEAWAY])
    assert giveaway["doubleOptIn"] is True, "sweepstakes always need double opt-in"
    program(cs, "news", senders=[NEWS])

    oral = consent(cs, ALICE, "deals", kind="oral")
    assert oral["state"] == "active" and oral["history"][0]["evidence"]["ipAddress"] == "203.0.113.7"
    consent(cs, BOB, "deals", kind="written")
    consent(cs, CAROL, "news")                       # consent to another program
    consent(cs, DAVE, "deals")
    assert api(cs, "POST", "/messaging/optouts", {"recipient": DAVE, "source": "phoneCall"}).status_code == 201
    pending = consent(cs, ERIN, "giveaway")
    assert pending["state"] == "awaitingConfirmation"

    deals = evaluate(cs, PROMO, [ALICE, BOB, CAROL, DAVE, "+14255550199"])
    assert deals[ALICE]["code"] == "WrittenConsentRequired"
    assert deals[BOB]["decision"] == "accept" and deals[BOB]["rule"] == "consent.written" and deals[BOB]["programId"] == "deals"
    assert deals[CAROL]["code"] == "ConsentRequired" and "not transferable" in deals[CAROL]["reason"]
    assert deals[DAVE]["code"] == "RecipientOptedOut"
    assert deals["+14255550199"]["code"] == "ConsentRequired"
    assert evaluate(cs, GIVEAWAY, [ERIN])[ERIN]["code"] == "DoubleOptInPending"

    prohibited = evaluate(cs, PROMO, [BOB], "Your account is locked. Buy gift cards and send us the codes to restore access.")[BOB]
    assert prohibited["code"] == "ProhibitedContent" and prohibited["rule"].startswith("prohibited."), prohibited
    restricted = evaluate(cs, PROMO, [BOB], "Happy hour: craft beer and cocktails half price tonight!")[BOB]
    assert restricted["code"] == "AgeGateRequired" and restricted["rule"].startswith("ageRestricted."), restricted

    parcels = evaluate(cs, PARCELS, [ALICE, BOB], "Your parcel arrives today between 2 and 4 pm.")
    assert all(d["decision"] == "accept" and d["rule"] == "impliedConsent.exemptCategory" for d in parcels.values())
    advert = evaluate(cs, PARCELS, [ALICE], "Your parcel arrives today. Use promo code SAVE20 for 20 percent off your next order!")[ALICE]
    assert advert["code"] == "SolicitationNotAllowed", advert

    assert evaluate(cs, "+18005550999", [BOB])[BOB]["code"] == "SenderNotAuthorized"

    # Nothing of it was sent or recorded: the dry run decides only.
    assert api(cs, "GET", "/messaging/policy/summary?days=1").json()["decisions"] == 0


def test_the_dev_resource_audits_and_the_operator_can_switch_modes(server):
    dev = server.connection_string
    program(dev, "news", senders=[NEWS])
    decision = evaluate(dev, NEWS, [ALICE])[ALICE]
    assert decision["code"] == "ConsentRequired" and decision["allowed"] is True and decision["mode"] == "audit"
    updated = server.cli("resource", "update", "dev", "--policy-mode", "enforce", "--json")
    assert updated["policyMode"] == "enforce"
    assert evaluate(dev, NEWS, [ALICE])[ALICE]["allowed"] is False


def test_programs_consents_and_opt_outs_are_listed_paged_and_exported(server):
    cs = enforcing_resource(server)
    for index in range(5):
        program(cs, f"p{index}", senders=[f"+1800555020{index}"])
    first = api(cs, "GET", "/messaging/programs?maxPageSize=2").json()
    assert [p["id"] for p in first["value"]] == ["p0", "p1"]
    link = urllib.parse.urlsplit(first["nextLink"])
    query = [(k, v) for k, v in urllib.parse.parse_qsl(link.query) if k != "api-version"]
    path = link.path.split("/", 2)[2]
    second = api(cs, "GET", f"/{path}?{urllib.parse.urlencode(query)}").json()
    assert [p["id"] for p in second["value"]] == ["p2", "p3"]
    assert api(cs, "GET", "/messaging/programs/default").json()["purpose"] == "informational"

    consent(cs, "+1 (425) 555-0101", "p0", kind="oral")
    consent(cs, ALICE, "p0", kind="written")
    api(cs, "POST", "/messaging/optouts", {"recipient": ALICE, "channel": "sms", "programId": "p0", "source": "keyword"})
    history = api(cs, "GET", f"/messaging/consents?recipient={urllib.parse.quote(ALICE)}&programId=p0").json()["value"]
    assert len(history) == 1 and history[0]["recipient"] == ALICE and history[0]["state"] == "revoked"
    assert [e["action"] for e in history[0]["history"]] == ["granted", "granted", "revoked"]
    optouts = api(cs, "GET", f"/messaging/optouts?recipient={urllib.parse.quote(ALICE)}").json()["value"]
    assert [(o["programId"], o["channel"], o["source"]) for o in optouts] == [("p0", "sms", "keyword")]

    exported = api(cs, "GET", "/messaging/consents:export?format=csv")
    assert exported.status_code == 200 and exported.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert [r["action"] for r in rows] == ["granted", "granted", "revoked"]
    assert rows[0]["recipient"] == "'" + ALICE and rows[0]["ipAddress"] == "203.0.113.7" and rows[0]["medium"] == "webForm"
    assert api(cs, "GET", "/messaging/consents:export?format=json").json()["value"][0]["id"] == history[0]["id"]

    cli = server.cli("policy", "consent", "list", "shop", "--recipient", ALICE, "--json")
    assert cli[0]["id"] == history[0]["id"]
    dry = server.cli("policy", "evaluate", "shop", "--channel", "sms", "--from", "+18005550201", "--to", BOB, "--json")
    assert dry[0]["code"] == "ConsentRequired"

    # Every policy command speaks JSON for scripts, over the same service as the API.
    own(cs, ["ContosoCLI"])
    put = server.cli("policy", "program", "put", "shop", "cli", "--name", "Contoso CLI", "--purpose", "promotional",
                     "--sender", "ContosoCLI", "--json")
    assert put["purpose"] == "promotional" and put["senders"] == ["ContosoCLI"]
    assert server.cli("policy", "program", "show", "shop", "cli", "--json")["name"] == "Contoso CLI"
    assert api(cs, "GET", "/messaging/programs/cli").json()["senders"] == ["ContosoCLI"]
    recorded = server.cli("policy", "consent", "record", "shop", "--recipient", BOB, "--channel", "sms", "--program", "cli",
                          "--kind", "written", "--medium", "paper", "--json")
    assert recorded["state"] == "active" and recorded["history"][0]["evidence"]["medium"] == "paper"
    optout = server.cli("policy", "optout", "add", "shop", "--recipient", BOB, "--source", "support", "--json")
    assert optout["source"] == "support" and optout.get("programId") is None
    assert evaluate(cs, "ContosoCLI", [BOB])[BOB]["code"] == "RecipientOptedOut"
    assert {c["programId"] for c in server.cli("policy", "consent", "export", "shop", "--json")} == {"p0", "cli"}
    assert server.cli("policy", "program", "delete", "shop", "cli", "--json") == {"id": "cli", "deleted": True}
    assert api(cs, "GET", "/messaging/programs/cli").status_code == 404


def test_bad_input_gets_acs_shaped_errors_and_other_keys_get_nothing(server):
    cs = enforcing_resource(server)
    other = enforcing_resource(server, "other")
    program(cs, "a", senders=[PROMO])
    cases = [
        ("PUT", "/messaging/programs/a", {"name": "x", "senders": [PROMO], "purpose": "marketing"}, 400, "purpose"),
        ("PUT", "/messaging/programs/b", {"name": "x", "senders": [PROMO]}, 409, "senders"),
        ("PUT", "/messaging/programs/c", {"name": "x", "category": "leadGeneration", "description": "d", "frequency": "f",
                                          "helpText": "h"}, 400, "fees"),
        ("PUT", "/messaging/programs/bad%20id", {"name": "x"}, 400, "programId"),
        ("POST", "/messaging/consents", {"recipient": "4255550101", "channel": "sms", "programId": "a", "kind": "written",
                                         "evidence": {"medium": "web"}}, 400, "recipient"),
        ("POST", "/messaging/consents", {"recipient": ALICE, "channel": "fax", "programId": "a", "kind": "written",
                                         "evidence": {"medium": "web"}}, 400, "channel"),
        ("POST", "/messaging/consents", {"recipient": ALICE, "channel": "sms", "programId": "nope", "kind": "written",
                                         "evidence": {"medium": "web"}}, 404, "programId"),
        ("POST", "/messaging/consents", {"recipient": ALICE, "channel": "sms", "programId": "a", "kind": "implied",
                                         "evidence": {"medium": "web"}}, 400, "kind"),
        ("POST", "/messaging/consents", {"recipient": ALICE, "channel": "sms", "programId": "a", "kind": "oral"}, 400, "evidence"),
        ("POST", "/messaging/optouts", {"recipient": "someone"}, 400, "recipient"),
        ("POST", "/messaging/policy:evaluate", {"channel": "sms", "from": PROMO, "to": []}, 400, "to"),
        ("POST", "/messaging/policy:evaluate", {"channel": "sms", "from": PROMO, "to": ["x"]}, 400, "to[0]"),
        ("PUT", "/messaging/contentRules/mine", {"kind": "prohibited", "patterns": []}, 400, "patterns"),
    ]
    for method, path, body, status, target in cases:
        response = api(cs, method, path, body)
        assert response.status_code == status, (path, body, response.text)
        error = response.json()["error"]
        assert error["code"] and error["message"] and error.get("target") == target, (path, error)
    assert api(cs, "GET", "/messaging/policy/summary?days=0").status_code == 400
    assert api(cs, "GET", "/messaging/programs?continuationToken=garbage").status_code == 400

    # Another resource's key reaches none of it; another resource's programs are its own.
    forged = signed_request(cs, "GET", "/messaging/programs/a", api_version=VERSION, key=other.split("accesskey=")[1])
    assert forged.status_code == 401
    assert api(other, "GET", "/messaging/programs/a").status_code == 404
    # A number belongs to one resource at a time: the other cannot claim this one's sender, only one of its own.
    assert api(other, "PUT", "/messaging/programs/a", {"name": "mine", "senders": [PROMO]}).json()["error"]["code"] == "SenderNotOwned"
    own(other, [NEWS])
    assert api(other, "PUT", "/messaging/programs/a", {"name": "mine", "senders": [NEWS]}).status_code == 201


def test_the_ledger_survives_an_identity_deletion_in_minimal_form(server):
    cs = enforcing_resource(server)
    identity = CommunicationIdentityClient.from_connection_string(cs)
    user = identity.create_user()
    program(cs, "news", senders=[NEWS])
    consent(cs, ALICE, "news", communicationUserId=user.properties["id"])
    identity.delete_user(user)
    [kept] = api(cs, "GET", f"/messaging/consents?recipient={urllib.parse.quote(ALICE)}").json()["value"]
    assert kept["state"] == "minimised" and kept.get("recipient") is None
    assert [e["action"] for e in kept["history"]] == ["granted", "minimised"]
    assert kept["history"][0]["evidence"] == {"medium": "webForm", "capturedOn": "2026-11-30T10:00:00.000Z"}
    assert evaluate(cs, NEWS, [ALICE])[ALICE]["code"] == "ConsentRequired"
