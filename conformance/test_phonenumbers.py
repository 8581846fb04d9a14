"""Every public method of PhoneNumbersClient (azure-communication-phonenumbers 1.4.0, SIP routing aside) against a live
server, as a new user goes about it: find out what is offered, browse and reserve or search, purchase, manage, release.

The default sandbox inventory offers US and CA numbers, geographic and toll-free, with real NANP area codes. An operator adds
the numbers they hold at a carrier with `switchboard numbers inventory add`; from then on search and purchase for that
country and type offer only those. A number belongs to one resource at a time; releasing it returns it to the inventory.
"""

import datetime
import re
import uuid

import pytest
from azure.communication.phonenumbers import (
    OperatorInformationOptions,
    PhoneNumberCapabilities,
    PhoneNumbersClient,
)
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError

TOLL_FREE_AREA_CODES = {"800", "833", "844", "855", "866", "877", "888"}
CAPABILITY_VALUES = {"none", "inbound", "outbound", "inbound+outbound"}
# The SDK waits 2 s between polls unless told otherwise; the server's Retry-After still wins when it sends one.
FAST = {"polling_interval": 0}


@pytest.fixture
def client(server):
    return PhoneNumbersClient.from_connection_string(server.connection_string)


def now():
    return datetime.datetime.now(datetime.timezone.utc)


def digits(text):
    return re.sub(r"\D", "", text)


def offering(client, country, number_type):
    """What a new user does first: asks what is offered and takes the assignment type and capabilities from it."""
    offerings = list(client.list_available_offerings(country, phone_number_type=number_type))
    assert offerings, f"no {number_type} offering in {country}"
    offer = offerings[0]
    assert offer.assignment_type and offer.available_capabilities, offer
    return offer


def search(client, country, number_type, quantity=1, area_code=None):
    offer = offering(client, country, number_type)
    poller = client.begin_search_available_phone_numbers(
        country, number_type, offer.assignment_type, offer.available_capabilities,
        quantity=quantity, area_code=area_code, **FAST)
    return poller.result()


def purchase(client, result):
    poller = client.begin_purchase_phone_numbers(
        result.search_id, agree_to_not_resell=bool(result.is_agreement_to_not_resell_required), **FAST)
    assert poller.result() is None


def buy(client, country, number_type, quantity=1, area_code=None):
    result = search(client, country, number_type, quantity, area_code)
    assert len(result.phone_numbers) == quantity, result.phone_numbers
    purchase(client, result)
    return result.phone_numbers


def purchased(client):
    return {number.phone_number for number in client.list_purchased_phone_numbers()}


def browse(client, number_type, prefixes=None, country="US", **criteria):
    result = client.browse_available_phone_numbers(
        country_code=country, phone_number_type=number_type, phone_number_prefixes=prefixes, **criteria)
    assert isinstance(result.phone_numbers, list)
    return result.phone_numbers


def offered(client, number, number_type):
    """Whether browsing for exactly this number finds it available."""
    return number in {available.phone_number for available in browse(client, number_type, [digits(number)])}


def reserve(client, numbers):
    return client.create_or_update_reservation(reservation_id=str(uuid.uuid4()), numbers_to_add=numbers)


def purchase_reservation(client, reservation):
    agree = any(n.is_agreement_to_not_resell_required for n in (reservation.phone_numbers or {}).values())
    poller = client.begin_purchase_reservation(reservation.id, agree_to_not_resell=agree, **FAST)
    assert poller.result() is None


def second_resource(server, name="other"):
    created = server.cli("resource", "create", name, "--geography", "unitedstates", "--json")
    return PhoneNumbersClient.from_connection_string(created["connectionString"])


def add_inventory(server, number_type, carrier, numbers, country="US"):
    server.cli("numbers", "inventory", "add", "--country", country, "--type", number_type, "--carrier", carrier, *numbers)


def inventory(server):
    return {entry["phoneNumber"]: entry for entry in server.cli("numbers", "inventory", "list", "--json")}


def flatten(pages):
    return [item for page in pages for item in page]


# -- What is offered ----------------------------------------------------------------------------------------


def test_countries_include_the_us_and_canada_and_page(client):
    countries = list(client.list_available_countries())
    codes = [country.country_code for country in countries]
    assert {"US", "CA"} <= set(codes) and len(codes) == len(set(codes))
    assert all(country.localized_name for country in countries)

    pages = [list(page) for page in client.list_available_countries(max_page_size=1).by_page()]
    assert len(pages) >= 2 and all(len(page) <= 1 for page in pages)
    assert [country.country_code for country in flatten(pages)] == codes
    assert [country.country_code for country in client.list_available_countries(skip=1)] == codes[1:]


def test_localities_name_seattle_in_washington_and_filter_by_administrative_division(client):
    localities = list(client.list_available_localities("US", phone_number_type="geographic"))
    seattle = next(locality for locality in localities if locality.localized_name == "Seattle")
    washington = seattle.administrative_division
    assert washington.abbreviated_name == "WA" and washington.localized_name
    assert all(locality.localized_name and locality.administrative_division for locality in localities)

    in_washington = list(client.list_available_localities(
        "US", phone_number_type="geographic", administrative_division=washington.abbreviated_name))
    assert "Seattle" in {locality.localized_name for locality in in_washington}
    assert [locality.localized_name for locality in in_washington] == [
        locality.localized_name for locality in localities if locality.administrative_division.abbreviated_name == "WA"]

    pages = [list(page) for page in client.list_available_localities(
        "US", phone_number_type="geographic", max_page_size=1).by_page()]
    assert all(len(page) <= 1 for page in pages)
    assert [locality.localized_name for locality in flatten(pages)] == [locality.localized_name for locality in localities]

    canada = list(client.list_available_localities("CA", phone_number_type="geographic"))
    assert canada and all(locality.administrative_division.abbreviated_name for locality in canada)


def test_area_codes_for_seattle_and_for_toll_free(client):
    seattle = [code.area_code for code in client.list_available_area_codes(
        "US", "geographic", locality="Seattle", administrative_division="WA")]
    assert "206" in seattle
    assert not set(seattle) & TOLL_FREE_AREA_CODES

    toll_free = [code.area_code for code in client.list_available_area_codes("US", "tollFree")]
    assert toll_free and set(toll_free) <= TOLL_FREE_AREA_CODES and len(toll_free) == len(set(toll_free))
    pages = [list(page) for page in client.list_available_area_codes("US", "tollFree", max_page_size=1).by_page()]
    assert all(len(page) <= 1 for page in pages)
    assert [code.area_code for code in flatten(pages)] == toll_free

    assignment = offering(client, "US", "tollFree").assignment_type
    assert [code.area_code for code in client.list_available_area_codes(
        "US", "tollFree", assignment_type=assignment)] == toll_free

    canada = [code.area_code for code in client.list_available_area_codes("CA", "tollFree")]
    assert canada and set(canada) <= TOLL_FREE_AREA_CODES


def test_offerings_per_type_and_assignment_with_a_monthly_cost(client):
    offerings = list(client.list_available_offerings("US"))
    assert {"geographic", "tollFree"} <= {offer.phone_number_type for offer in offerings}
    for offer in offerings:
        assert offer.assignment_type in ("person", "application")
        assert offer.available_capabilities.calling in CAPABILITY_VALUES
        assert offer.available_capabilities.sms in CAPABILITY_VALUES
        assert offer.cost.currency_code == "USD" and offer.cost.billing_frequency == "monthly"
        assert offer.cost.amount >= 0

    def kinds(items):
        return [(offer.phone_number_type, offer.assignment_type) for offer in items]

    toll_free = list(client.list_available_offerings("US", phone_number_type="tollFree"))
    assert toll_free and kinds(toll_free) == [kind for kind in kinds(offerings) if kind[0] == "tollFree"]
    assignment = toll_free[0].assignment_type
    by_assignment = list(client.list_available_offerings("US", assignment_type=assignment))
    assert kinds(by_assignment) == [kind for kind in kinds(offerings) if kind[1] == assignment]

    pages = [list(page) for page in client.list_available_offerings("US", max_page_size=1).by_page()]
    assert len(pages) >= 2 and all(len(page) <= 1 for page in pages)
    assert kinds(flatten(pages)) == kinds(offerings)

    assert {"geographic", "tollFree"} <= {offer.phone_number_type for offer in client.list_available_offerings("CA")}


def test_operator_information_classifies_and_formats_numbers(client):
    # One number per call: the real service has refused more than one ("Can only accept one phoneNumber").
    [seattle] = client.search_operator_information("+12065550123").values
    assert seattle.phone_number == "+12065550123"
    assert seattle.number_type == "geographic" and seattle.iso_country_code == "US"
    assert digits(seattle.national_format) == "2065550123"
    assert seattle.international_format.startswith("+1") and digits(seattle.international_format) == "12065550123"

    [toll_free] = client.search_operator_information(
        ["+18005550100"], options=OperatorInformationOptions(include_additional_operator_details=True)).values
    assert toll_free.phone_number == "+18005550100" and toll_free.iso_country_code == "US"
    # The 2025-06-01 enum has no tollFree: unknown|other|geographic|mobile.
    assert toll_free.number_type in ("other", "tollFree")
    assert digits(toll_free.national_format) == "8005550100"

    [toronto] = client.search_operator_information(["+14165550123"]).values
    assert toronto.iso_country_code == "CA" and toronto.number_type == "geographic"
    assert digits(toronto.international_format) == "14165550123"


# -- Browse, reserve, purchase ---------------------------------------------------------------------------------


def test_browse_then_reserve_then_purchase(client):
    offer = offering(client, "US", "geographic")
    available = browse(client, "geographic", ["1206"], assignment_type=offer.assignment_type)
    assert len(available) >= 2
    for number in available:
        assert number.id and number.phone_number.startswith("+1206") and number.status == "available"
        assert number.country_code == "US" and number.phone_number_type == "geographic"
        assert number.assignment_type == offer.assignment_type
        assert number.capabilities.calling in CAPABILITY_VALUES and number.capabilities.sms in CAPABILITY_VALUES
    chosen = available[:2]
    wanted = {number.phone_number for number in chosen}

    reservation_id = str(uuid.uuid4())
    reservation = client.create_or_update_reservation(reservation_id=reservation_id, numbers_to_add=chosen)
    assert reservation.id == reservation_id and reservation.status == "active"
    assert now() < reservation.expires_at <= now() + datetime.timedelta(hours=2, minutes=1)
    assert set(reservation.phone_numbers) == {number.id for number in chosen}
    for number in chosen:
        held = reservation.phone_numbers[number.id]
        assert held.phone_number == number.phone_number and held.status == "reserved"

    fetched = client.get_reservation(reservation_id)
    assert fetched.id == reservation_id and fetched.status == "active"
    assert {number.phone_number for number in fetched.phone_numbers.values()} == wanted

    purchase_reservation(client, fetched)
    completed = client.get_reservation(reservation_id)
    assert completed.status == "completed"
    assert {number.phone_number for number in completed.phone_numbers.values()} == wanted
    assert {number.status for number in completed.phone_numbers.values()} == {"purchased"}

    assert purchased(client) == wanted
    for number in chosen:
        bought = client.get_purchased_phone_number(number.phone_number)
        assert bought.id and bought.phone_number == number.phone_number and bought.country_code == "US"
        assert bought.phone_number_type == "geographic" and bought.assignment_type == number.assignment_type
        assert bought.capabilities.calling == number.capabilities.calling
        assert bought.capabilities.sms == number.capabilities.sms
        assert now() - datetime.timedelta(minutes=5) < bought.purchase_date <= now() + datetime.timedelta(minutes=1)
        assert bought.cost.currency_code == "USD" and bought.cost.billing_frequency == "monthly"
        assert not offered(client, number.phone_number, "geographic")


def test_reservations_are_updated_listed_and_deleted(client):
    geographic = browse(client, "geographic", ["1206"])
    toll_free = browse(client, "tollFree")
    assert len(geographic) >= 3 and len(toll_free) >= 2
    a, b, c = geographic[:3]

    reservation_id = str(uuid.uuid4())
    first = client.create_or_update_reservation(reservation_id=reservation_id, numbers_to_add=[a, b])
    assert set(first.phone_numbers) == {a.id, b.id}
    updated = client.create_or_update_reservation(reservation_id=reservation_id, numbers_to_add=[c], numbers_to_remove=[a.id])
    assert updated.id == reservation_id and updated.status == "active"
    assert set(updated.phone_numbers) == {b.id, c.id}
    assert updated.expires_at >= first.expires_at
    assert set(client.get_reservation(reservation_id).phone_numbers) == {b.id, c.id}
    # Taken out of the reservation, a number is available again.
    assert offered(client, a.phone_number, "geographic")

    others = {reserve(client, [number]).id for number in toll_free[:2]}
    pages = [list(page) for page in client.list_reservations(max_page_size=2).by_page()]
    assert len(pages) >= 2 and all(len(page) <= 2 for page in pages)
    listed = {reservation.id: reservation for reservation in flatten(pages)}
    assert set(listed) == others | {reservation_id}
    assert {reservation.status for reservation in listed.values()} == {"active"}

    assert client.delete_reservation(reservation_id) is None
    with pytest.raises(ResourceNotFoundError):
        client.get_reservation(reservation_id)
    assert {reservation.id for reservation in client.list_reservations()} == others
    # Deleting a reservation releases its numbers.
    assert offered(client, b.phone_number, "geographic") and offered(client, c.phone_number, "geographic")


# -- Search, purchase, manage, release --------------------------------------------------------------------------


def test_search_then_purchase(client):
    offer = offering(client, "US", "geographic")
    poller = client.begin_search_available_phone_numbers(
        "US", "geographic", offer.assignment_type, offer.available_capabilities, area_code="206", quantity=2, **FAST)
    result = poller.result()
    assert result.search_id
    assert len(result.phone_numbers) == 2 and len(set(result.phone_numbers)) == 2
    assert all(number.startswith("+1206") and len(digits(number)) == 11 for number in result.phone_numbers)
    assert result.phone_number_type == "geographic" and result.assignment_type == offer.assignment_type
    assert result.capabilities.calling == offer.available_capabilities.calling
    assert result.capabilities.sms == offer.available_capabilities.sms
    assert result.cost.currency_code == "USD" and result.cost.billing_frequency == "monthly" and result.cost.amount >= 0
    assert now() < result.search_expires_by <= now() + datetime.timedelta(minutes=16)

    purchase(client, result)
    assert purchased(client) == set(result.phone_numbers)
    for number in result.phone_numbers:
        bought = client.get_purchased_phone_number(number)
        assert bought.phone_number == number and bought.country_code == "US" and bought.id
        assert bought.phone_number_type == "geographic" and bought.assignment_type == offer.assignment_type
        assert bought.capabilities.calling == offer.available_capabilities.calling
        assert bought.capabilities.sms == offer.available_capabilities.sms
        assert bought.cost.currency_code == "USD" and bought.cost.billing_frequency == "monthly"

    # A search is bought once.
    with pytest.raises(HttpResponseError):
        client.begin_purchase_phone_numbers(result.search_id, **FAST).result()


def test_purchased_numbers_are_listed_in_pages_of_top_and_skip(client):
    bought = set(buy(client, "US", "tollFree", quantity=2)) | set(buy(client, "CA", "tollFree"))
    assert len(bought) == 3

    everything = list(client.list_purchased_phone_numbers())
    assert {number.phone_number for number in everything} == bought
    assert {number.country_code for number in everything} == {"US", "CA"}
    assert {number.phone_number_type for number in everything} == {"tollFree"}
    assert all(digits(number.phone_number)[1:4] in TOLL_FREE_AREA_CODES for number in everything)

    pages = [list(page) for page in client.list_purchased_phone_numbers(top=2).by_page()]
    assert len(pages) >= 2 and all(len(page) <= 2 for page in pages)
    assert [number.phone_number for number in flatten(pages)] == [number.phone_number for number in everything]
    assert [number.phone_number for number in client.list_purchased_phone_numbers(skip=1)] == [
        number.phone_number for number in everything[1:]]


def test_update_capabilities_changes_only_what_is_given(client):
    [number] = buy(client, "US", "tollFree")
    before = client.get_purchased_phone_number(number)

    poller = client.begin_update_phone_number_capabilities(number, calling="inbound", **FAST)
    updated = poller.result()
    assert updated.phone_number == number
    assert updated.capabilities.calling == "inbound" and updated.capabilities.sms == before.capabilities.sms
    assert client.get_purchased_phone_number(number).capabilities.calling == "inbound"

    updated = client.begin_update_phone_number_capabilities(number, sms="none", **FAST).result()
    assert updated.capabilities.calling == "inbound" and updated.capabilities.sms == "none"
    after = client.get_purchased_phone_number(number)
    assert (after.capabilities.calling, after.capabilities.sms) == ("inbound", "none")
    assert after.purchase_date == before.purchase_date and after.assignment_type == before.assignment_type


def test_release_then_the_number_is_gone_and_offered_again(client):
    [number] = buy(client, "US", "geographic", area_code="206")
    assert not offered(client, number, "geographic")

    assert client.begin_release_phone_number(number, **FAST).result() is None
    with pytest.raises(ResourceNotFoundError):
        client.get_purchased_phone_number(number)
    assert number not in purchased(client)
    assert offered(client, number, "geographic")
    with pytest.raises(ResourceNotFoundError):
        client.begin_release_phone_number(number, **FAST).result()


# -- One resource at a time; operator inventory -------------------------------------------------------------------


def test_a_number_belongs_to_one_resource_at_a_time(server, client):
    other = second_resource(server)
    candidate = browse(client, "geographic", ["1206"])[0]
    number = candidate.phone_number
    purchase_reservation(client, reserve(client, [candidate]))

    # The other resource does not see it, is not offered it, and cannot take it.
    with pytest.raises(ResourceNotFoundError):
        other.get_purchased_phone_number(number)
    assert purchased(other) == set()
    assert not offered(other, number, "geographic")
    try:
        attempt = reserve(other, [candidate])
    except HttpResponseError as error:
        assert 400 <= error.status_code < 500, error
    else:
        assert attempt.phone_numbers[candidate.id].status == "error", attempt.phone_numbers[candidate.id]
        try:
            purchase_reservation(other, attempt)
        except HttpResponseError:
            pass
    with pytest.raises(ResourceNotFoundError):
        other.begin_release_phone_number(number, **FAST).result()
    with pytest.raises(ResourceNotFoundError):
        other.begin_update_phone_number_capabilities(number, calling="inbound", **FAST)
    assert purchased(other) == set() and purchased(client) == {number}

    # Released, it goes back to the inventory and the other resource can buy it.
    client.begin_release_phone_number(number, **FAST).result()
    again = [available for available in browse(other, "geographic", [digits(number)]) if available.phone_number == number]
    assert again
    purchase_reservation(other, reserve(other, again))
    assert other.get_purchased_phone_number(number).phone_number == number
    assert purchased(other) == {number} and purchased(client) == set()
    with pytest.raises(ResourceNotFoundError):
        client.get_purchased_phone_number(number)


def test_operator_inventory_is_all_that_search_offers_for_its_country_and_type(start_server):
    server = start_server()
    numbers = ["+18335550101", "+18335550102", "+18335550103"]
    add_inventory(server, "tollFree", "ContosoTel", numbers)
    held = inventory(server)
    for number in numbers:
        assert held[number]["country"] == "US" and held[number]["type"] == "tollFree"
        assert held[number]["carrier"] == "ContosoTel" and held[number].get("resource") is None

    client = PhoneNumbersClient.from_connection_string(server.connection_string)
    first = search(client, "US", "tollFree", quantity=2)
    assert len(first.phone_numbers) == 2 and set(first.phone_numbers) <= set(numbers)
    purchase(client, first)
    [rest] = set(numbers) - set(first.phone_numbers)
    second = search(client, "US", "tollFree", quantity=1)
    assert second.phone_numbers == [rest]
    purchase(client, second)

    assert purchased(client) == set(numbers)
    assert {client.get_purchased_phone_number(number).phone_number_type for number in numbers} == {"tollFree"}
    assert {inventory(server)[number].get("resource") for number in numbers} == {"dev"}

    # Other countries and types still come from the sandbox.
    [geographic] = search(client, "US", "geographic", area_code="206").phone_numbers
    assert geographic.startswith("+1206") and geographic not in numbers


def test_operator_numbers_move_between_resources_only_through_release(start_server):
    server = start_server()
    numbers = ["+18445550111", "+18445550112"]
    add_inventory(server, "tollFree", "ContosoTel", numbers)
    dev = PhoneNumbersClient.from_connection_string(server.connection_string)
    other = second_resource(server)
    purchase(dev, search(dev, "US", "tollFree", quantity=2))

    # Everything the operator holds is taken: the other resource is offered none of it, nor anything else.
    try:
        result = search(other, "US", "tollFree")
    except HttpResponseError:
        pass
    else:
        assert result.phone_numbers == []
    assert purchased(other) == set()

    dev.begin_release_phone_number(numbers[0], **FAST).result()
    assert inventory(server)[numbers[0]].get("resource") is None
    result = search(other, "US", "tollFree")
    assert result.phone_numbers == [numbers[0]]
    purchase(other, result)

    held = inventory(server)
    assert held[numbers[0]]["resource"] == "other" and held[numbers[1]]["resource"] == "dev"
    assert purchased(other) == {numbers[0]} and purchased(dev) == {numbers[1]}
    with pytest.raises(ResourceNotFoundError):
        dev.get_purchased_phone_number(numbers[0])


# -- Bad input ----------------------------------------------------------------------------------------------------


def test_unknown_numbers_are_not_found(client):
    stranger = "+12065550199"
    with pytest.raises(ResourceNotFoundError) as raised:
        client.get_purchased_phone_number(stranger)
    assert raised.value.error.code and raised.value.error.message
    with pytest.raises(ResourceNotFoundError):
        client.begin_release_phone_number(stranger, **FAST).result()
    with pytest.raises(ResourceNotFoundError):
        client.begin_update_phone_number_capabilities(stranger, calling="inbound", **FAST)


def test_unknown_reservations_are_not_found(client):
    unknown = str(uuid.uuid4())
    with pytest.raises(ResourceNotFoundError) as raised:
        client.get_reservation(unknown)
    assert raised.value.error.code
    with pytest.raises(ResourceNotFoundError):
        client.delete_reservation(unknown)
    with pytest.raises(HttpResponseError) as raised:
        client.begin_purchase_reservation(unknown, **FAST).result()
    assert 400 <= raised.value.status_code < 500


def test_purchasing_an_unknown_search_fails(client):
    with pytest.raises(HttpResponseError):
        client.begin_purchase_phone_numbers(str(uuid.uuid4()), **FAST).result()
    assert purchased(client) == set()


def test_an_unknown_country_is_a_client_error(client):
    capabilities = PhoneNumberCapabilities(calling="inbound", sms="none")
    calls = {
        "areaCodes": lambda: list(client.list_available_area_codes("ZZ", "tollFree")),
        "localities": lambda: list(client.list_available_localities("ZZ")),
        "offerings": lambda: list(client.list_available_offerings("ZZ")),
        "browse": lambda: client.browse_available_phone_numbers(country_code="ZZ", phone_number_type="tollFree"),
        "search": lambda: client.begin_search_available_phone_numbers(
            "ZZ", "tollFree", "application", capabilities, **FAST).result(),
    }
    for name, call in calls.items():
        with pytest.raises(HttpResponseError) as raised:
            call()
        assert 400 <= raised.value.status_code < 500, (name, raised.value)
        assert raised.value.error.code, name


def test_a_search_quantity_out_of_range_is_a_bad_request(client):
    offer = offering(client, "US", "tollFree")
    for quantity in (0, 1_000_000):
        with pytest.raises(HttpResponseError) as raised:
            client.begin_search_available_phone_numbers(
                "US", "tollFree", offer.assignment_type, offer.available_capabilities, quantity=quantity, **FAST).result()
        assert raised.value.status_code == 400, (quantity, raised.value)
        assert raised.value.error.code, quantity
