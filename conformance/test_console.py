"""The web console in a real browser (Playwright driving Debian's Chromium), as a new user meets it: the sign-in link
`serve` prints, messages sent with the official SDKs appearing live in the sandbox inboxes, a handset's STOP showing up
in the consent ledger and refusing the next send, an email opened with its one-click unsubscribe pressed, a dead letter
redelivered; then what must be refused — no session, another resource, a forged CSRF token. Screenshots of every step
are kept in CONSOLE_SCREENSHOTS (default .artifacts/console)."""

import base64
import os
import pathlib
import re
import shutil
import subprocess
import uuid

import pytest
from azure.communication.email import EmailClient
from azure.communication.messages import NotificationMessagesClient
from azure.communication.messages.models import TextNotificationContent
from azure.communication.sms import SmsClient

from conftest import ROOT, signed_request
from test_sms import FAST, buy, consent, enforcing, subscribe, wait
from webhook_receiver import Receiver

playwright_sync = pytest.importorskip("playwright.sync_api")
CHROMIUM = os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
SHOTS = pathlib.Path(os.environ.get("CONSOLE_SCREENSHOTS") or ROOT / ".artifacts" / "console")
OWN = "2026-12-01"


@pytest.fixture(scope="module")
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"Chromium is not installed at {CHROMIUM} (scripts/test installs it with apt-get)")
    SHOTS.mkdir(parents=True, exist_ok=True)
    with playwright_sync.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"], headless=True)
        yield browser
        browser.close()


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


def sign_in_link(server):
    """The one-time link `serve` printed to its standard output."""
    match = wait(lambda: re.search(r"(https://\S+/-/console/signin\?code=\S+)", server.read_log()))
    return match.group(1)


def new_page(browser, width=1280, height=900):
    # The development CA is not in Chromium's store; the console is reached as a developer's browser would after
    # accepting the local certificate.
    context = browser.new_context(ignore_https_errors=True, viewport={"width": width, "height": height})
    return context.new_page()


def nav(page, name):
    page.get_by_role("navigation").get_by_role("link", name=name, exact=True).click()


def shot(page, name):
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_a_developer_watches_sends_answers_as_the_handset_unsubscribes_and_redelivers(start_server, browser, receiver):
    server = start_server(extra_args=FAST)
    cs = enforcing(server)
    (number,) = buy(cs)
    phone = "+14255550177"
    consent(cs, phone)
    subscribe(cs, receiver.url, ["Microsoft.Communication.SMSReceived"])

    page = new_page(browser)
    page.goto(sign_in_link(server))
    # Two resources: the picker.
    assert page.url.endswith("/-/console")
    assert page.get_by_role("link", name="shop").is_visible() and page.get_by_role("link", name="dev").is_visible()
    shot(page, "01-resources")
    # The link signed in once: a second use is refused.
    other = new_page(browser)
    other.goto(sign_in_link(server))
    assert "already used" in other.content()
    other.context.close()

    page.get_by_role("link", name="shop").click()
    nav(page, "SMS")
    page.locator("html[data-live=open]").wait_for(state="attached")
    page.evaluate("window.__stayed = true")
    # Sent with the official SDK: it appears without a reload.
    assert SmsClient.from_connection_string(cs).send(from_=number, to=phone, message="Your order 1234 has shipped.")[0].successful
    page.locator("ol.thread").get_by_text("Your order 1234 has shipped.").wait_for(timeout=15000)
    assert page.evaluate("window.__stayed === true"), "the page reloaded instead of updating"
    shot(page, "02-sms-live")

    # The handset answers STOP: the opt-out is in the ledger and the next send is refused.
    page.get_by_role("button", name="Reply STOP").click()
    page.get_by_role("status").filter(has_text="Sent").wait_for()
    page.locator("ol.thread").get_by_text("unsubscribed", exact=False).first.wait_for(timeout=15000)
    shot(page, "03-sms-stop")
    (refused,) = SmsClient.from_connection_string(cs).send(from_=number, to=phone, message="Another update")
    assert not refused.successful and refused.error_message.startswith("RecipientOptedOut")
    nav(page, "Policy")
    optouts = page.locator("#optouts")
    assert phone in optouts.inner_text() and "keyword" in optouts.inner_text().lower()
    decisions = page.locator("#decisions")
    assert "RecipientOptedOut" in decisions.inner_text()
    page.get_by_label("Recipient").fill(phone)
    page.get_by_role("button", name="Search").click()
    ledger = page.locator("#ledger").inner_text()
    assert phone in ledger and "revoked" in ledger
    page.locator("#ledger summary").first.click()
    assert "Text me updates. STOP to end." in page.locator("#ledger").inner_text()
    assert page.locator("figure.chart svg rect").count() >= 2
    shot(page, "04-policy")

    # An email, opened as its recipient sees it, and its one-click unsubscribe.
    assert signed_request(cs, "POST", "/messaging/consents", {
        "recipient": "erin@example.com", "channel": "email", "programId": "default", "kind": "written",
        "evidence": {"medium": "webForm", "callToAction": "Send me the newsletter."}}, api_version=OWN).status_code == 201
    nav(page, "Email")
    page.locator("html[data-live=open]").wait_for(state="attached")
    client = EmailClient.from_connection_string(cs)
    sender = "DoNotReply@shop.sandbox.switchboard.test"
    client.begin_send({
        "senderAddress": sender, "recipients": {"to": [{"address": "erin@example.com", "displayName": "Erin"}]},
        "content": {"subject": "Winter newsletter", "plainText": "Hello Erin", "html": "<h1>Hello Erin</h1><script>parent.x=1</script>"},
    }).result()
    page.get_by_role("link", name="Winter newsletter").click()
    frame = page.frame_locator("iframe.email")
    frame.get_by_role("heading", name="Hello Erin").wait_for()
    assert page.evaluate("window.x === undefined"), "a script in an email ran"
    assert "pass" in page.locator("dl.stats").inner_text()  # DKIM, checked against the resource's key
    shot(page, "05-email")
    page.get_by_role("button", name="Unsubscribe (one click)").click()
    page.get_by_role("status").filter(has_text="Unsubscribed erin@example.com").wait_for()
    optouts = signed_request(cs, "GET", "/messaging/optouts?recipient=erin%40example.com", api_version=OWN).json()["value"]
    assert optouts and optouts[0]["source"] == "unsubscribeLink"
    client.begin_send({"senderAddress": sender, "recipients": {"to": [{"address": "erin@example.com"}]},
                       "content": {"subject": "Refused", "plainText": "x"}}).result()
    nav(page, "Policy")
    wait(lambda: page.reload() or "RecipientOptedOut" in page.locator("#decisions").inner_text())

    # A webhook that refused an event: its dead letter, redelivered from the console.
    receiver.default_status = 400
    handset_reply = signed_request(cs, "POST", "/sandbox/sms:receive", {"from": "+14255550188", "to": number, "message": "hi"}, api_version=OWN)
    assert handset_reply.status_code == 202
    nav(page, "Events")
    page.get_by_role("button", name=re.compile("^Redeliver all")).wait_for(timeout=20000)
    shot(page, "06-dead-letter")
    receiver.default_status = 200
    page.get_by_role("button", name="Redeliver", exact=True).first.click()
    page.get_by_role("status").filter(has_text="Queued 1 dead letter").wait_for()
    receiver.wait_for(lambda: [e for e in receiver.events() if e["data"].get("message") == "hi" or e["data"].get("Message") == "hi"])

    nav(page, "Residency")
    assert "United States" in page.locator("main").inner_text() and "SQLite" in page.locator("main").inner_text()
    shot(page, "07-residency")
    page.context.close()


def test_no_session_another_resource_and_a_forged_form_are_refused(start_server, browser):
    server = start_server(extra_args=FAST)
    cs = enforcing(server)
    (number,) = buy(cs)

    anonymous = new_page(browser)
    for path in ["/-/console", "/-/console/r/shop/sms", "/-/console/r/shop/policy"]:
        anonymous.goto(server.url + path)
        assert anonymous.url.endswith("/-/console/signin") and "shop" not in anonymous.content(), path
    anonymous.context.close()

    # An operator's link limited to dev: shop is answered as if it did not exist.
    link = server.cli("console", "token", "--resource", "dev", "--holder", "Olivia").stdout.strip()
    operator = new_page(browser)
    operator.goto(link)
    assert operator.url.endswith("/-/console/r/dev")
    assert "Olivia" in operator.locator("header").inner_text()
    response = operator.goto(server.url + "/-/console/r/shop/sms")
    assert response.status == 404 and number not in operator.content()
    operator.context.close()

    # A signed-in page whose CSRF token was tampered with: refused, nothing recorded.
    page = new_page(browser)
    page.goto(sign_in_link(server))
    page.goto(server.url + "/-/console/r/shop/sms")
    page.get_by_text("Write from a new handset").click()
    page.get_by_label("Handset number").fill("+14255550199")
    page.get_by_label("Message", exact=True).fill("STOP")
    page.evaluate("document.querySelectorAll('input[name=_csrf]').forEach(i => i.value = 'forged')")
    with page.expect_response(lambda r: r.url.endswith("/sms/reply")) as posted:
        page.get_by_role("button", name="Send as handset").click()
    assert posted.value.status == 403
    assert "out of date" in page.content()
    optouts = signed_request(cs, "GET", "/messaging/optouts", api_version=OWN).json()["value"]
    assert optouts == []
    page.context.close()


def test_the_console_is_usable_on_a_phone_and_by_keyboard(start_server, browser):
    server = start_server(extra_args=FAST)
    page = new_page(browser, width=390, height=844)
    page.goto(sign_in_link(server))
    for path in ["", "/sms", "/email", "/policy", "/events", "/residency"]:
        page.goto(server.url + "/-/console/r/dev" + path)
        # Nothing wider than the phone's screen but what scrolls inside its own box (tables).
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 1, f"{path or '/'} is {overflow}px wider than the screen"
        # Every visible form control has a label.
        unlabelled = page.evaluate("""() => [...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
            .filter(e => e.offsetParent !== null && !(e.labels && e.labels.length) && !e.getAttribute('aria-label')).map(e => e.name)""")
        assert unlabelled == [], f"{path}: {unlabelled}"
    shot(page, "08-phone-policy")
    # The first Tab reaches the skip link, and it leads to the content.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    page.keyboard.press("Enter")
    # The jump is a same-document navigation the browser finishes after the key press returns: wait for it.
    page.wait_for_function("location.hash === '#main'", timeout=5000)
    assert page.url.endswith("#main")
    page.context.close()


def test_whatsapp_conversations_show_media_and_take_the_handsets_reply(start_server, browser):
    server = start_server(extra_args=FAST)
    cs = server.connection_string
    channel = str(uuid.uuid4())
    assert signed_request(cs, "PUT", f"/messages/channels/{channel}", {"kind": "sandbox"}, api_version=OWN).status_code == 201
    page = new_page(browser)
    page.goto(sign_in_link(server))
    nav(page, "WhatsApp")
    page.locator("html[data-live=open]").wait_for(state="attached")
    # The handset writes first, with a picture: it opens the 24-hour window.
    picture = base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64).decode()
    assert signed_request(cs, "POST", "/sandbox/whatsapp:receive", {
        "channelRegistrationId": channel, "from": "+14255550166",
        "media": {"mimeType": "image/png", "fileName": "receipt.png", "caption": "my receipt", "data": picture}},
        api_version=OWN).status_code == 202
    page.locator("ol.thread").get_by_text("my receipt").wait_for(timeout=15000)
    with page.expect_download() as download:
        page.locator("ol.thread a", has_text="Download the media").first.click()
    assert open(download.value.path(), "rb").read().startswith(b"\x89PNG")
    # The application answers with the official SDK; then the handset replies from the console.
    NotificationMessagesClient.from_connection_string(cs).send(
        TextNotificationContent(channel_registration_id=channel, to=["+14255550166"], content="Thanks, we got it."))
    page.locator("ol.thread").get_by_text("Thanks, we got it.").wait_for(timeout=15000)
    page.get_by_label("Message").fill("Great, thank you!")
    page.get_by_role("button", name="Send reply").click()
    page.get_by_role("status").filter(has_text="Sent as +14255550166").wait_for()
    page.locator("ol.thread").get_by_text("Great, thank you!").wait_for()
    shot(page, "09-whatsapp")
    page.context.close()
