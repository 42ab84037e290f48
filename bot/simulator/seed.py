"""Seed data for the simulator: a small company, Acme, with lines in different states."""

from __future__ import annotations

from typing import Any

from bot.mobproc.models import TransactionType

ACTIVE_ACTIONS = ["UPGRADE", "PORT_NUMBER", "UPDATE_FEATURES", "SUSPEND", "DEACTIVATE",
                  "XFER_SERVICE_OUT"]
SUSPENDED_ACTIONS = ["UNSUSPEND", "DEACTIVATE"]

VENDORS: dict[str, dict[str, Any]] = {
    "verizon": {"id": "8516701", "name": "Verizon Wireless", "supports_transfer_out": True},
    "att": {"id": "111", "name": "AT&T Mobility", "supports_transfer_out": True},
    "tmobile": {"id": "105", "name": "T-Mobile", "supports_transfer_out": False},
}

EMPLOYEES: list[dict[str, Any]] = [
    {"id": "28673732", "companyEmployeeId": "peter.edwards.acme", "firstName": "Peter",
     "lastName": "Edwards", "email": "peter.edwards@acme.com", "officePhone": "2035559999",
     "status": "ACTIVE", "department": {"id": "11569020385", "name": "Development"}},
    {"id": "123456781", "companyEmployeeId": "barbara.andrews.acme", "firstName": "Barbara",
     "lastName": "Andrews", "email": "barbara.andrews@acme.com", "officePhone": "4045550100",
     "status": "ACTIVE", "department": {"id": "550148", "name": "Finance"}},
    {"id": "28691777", "companyEmployeeId": "maria.lopez.acme", "firstName": "Maria",
     "lastName": "Lopez", "email": "maria.lopez@acme.com", "officePhone": "4155550100",
     "status": "ACTIVE", "department": {"id": "11569020333", "name": "Sales"}},
    {"id": "28691778", "companyEmployeeId": "james.chen.acme", "firstName": "James",
     "lastName": "Chen", "email": "james.chen@acme.com", "officePhone": "2125550100",
     "status": "ACTIVE", "department": {"id": "11569020334", "name": "Operations"}},
    {"id": "28691779", "companyEmployeeId": "riley.requester.acme", "firstName": "Riley",
     "lastName": "Requester", "email": "riley@acme.com", "officePhone": "4155550101",
     "status": "ACTIVE", "department": {"id": "11569020335", "name": "IT Help Desk"}},
    {"id": "28691780", "companyEmployeeId": "avery.approver.acme", "firstName": "Avery",
     "lastName": "Approver", "email": "avery@acme.com", "officePhone": "4155550102",
     "status": "ACTIVE", "department": {"id": "11569020335", "name": "IT Help Desk"}},
    {"id": "28691781", "companyEmployeeId": "olive.other.acme", "firstName": "Olive",
     "lastName": "Other", "email": "olive@acme.com", "officePhone": "4155550103",
     "status": "ACTIVE", "department": {"id": "11569020336", "name": "Marketing"}},
    {"id": "28691782", "companyEmployeeId": "sam.supervisor.acme", "firstName": "Sam",
     "lastName": "Supervisor", "email": "sam@acme.com", "officePhone": "4155550104",
     "status": "ACTIVE", "department": {"id": "11569020335", "name": "IT Help Desk"}},
    # Two holders of lines with the same national digits in two countries: the US line
    # (207) 946-0958 and the UK line +44 20 7946 0958 (see the lines below).
    {"id": "28691783", "companyEmployeeId": "dana.maine.acme", "firstName": "Dana",
     "lastName": "Maine", "email": "dana@acme.com", "officePhone": "2075550100",
     "status": "ACTIVE", "department": {"id": "11569020333", "name": "Sales"}},
    {"id": "28691784", "companyEmployeeId": "hugh.london.acme", "firstName": "Hugh",
     "lastName": "London", "email": "hugh@acme.com", "officePhone": "442079460000",
     "status": "ACTIVE", "department": {"id": "11569020333", "name": "Sales"}},
    # Leavers for /offboard-lines: one holding a few lines, one holding many.
    {"id": "28691790", "companyEmployeeId": "lena.leaver.acme", "firstName": "Lena",
     "lastName": "Leaver", "email": "lena@acme.com", "officePhone": "3125550100",
     "status": "ACTIVE", "department": {"id": "11569020333", "name": "Sales"}},
    {"id": "28691791", "companyEmployeeId": "morgan.many.acme", "firstName": "Morgan",
     "lastName": "Many", "email": "morgan@acme.com", "officePhone": "6175550100",
     "status": "ACTIVE", "department": {"id": "11569020334", "name": "Operations"}},
]

# Who approves orders in MobProc's own workflow (when the simulator is told to use it):
# Avery Approver and Sam Supervisor.
ORDER_APPROVERS = ["28691780", "28691782"]

# Orders placed in the MobProc portal that wait for approval when the workflow is on.
PORTAL_ORDERS: list[dict[str, Any]] = [
    {"requested_by": "28691778", "request": {
        "externalOrderNumber": "PORTAL-20261120-0001", "transactionType": "SUSPEND",
        "serviceId": "38382555", "properties": [{"groupId": "MISCELLANEOUS", "fields": [
            {"id": "SERVICE_NUMBER", "type": "TEXT", "text": "2125550123"},
            {"id": "CONTACT_NUMBER", "type": "TEXT", "text": "2125550100"},
            {"id": "Reason", "type": "CHOICE", "choice": {"id": "3"}}]}]}},
]

SERVICE_ACCOUNT: dict[str, Any] = {
    "id": "1", "companyEmployeeId": "mobproc-bot", "firstName": "MobProc", "lastName": "Bot",
    "email": None, "status": "ACTIVE"}


def _device(device_id: str, maker: str, model: str, imei: str) -> dict[str, Any]:
    return {"id": device_id,
            "manufacturer": {"id": maker, "name": maker},
            "model": {"id": f"m{device_id}", "name": model},
            "simId": f"8991101200003{device_id}", "accessMethod": "GSM",
            "serialNumber": {"type": "IMEI", "value": imei},
            "orderActions": ["UPGRADE", "ORDER_ACCESSORIES", "SWAP_DEVICES"]}


SERVICES: list[dict[str, Any]] = [
    {"id": "38382335", "serviceNumber": "4155550199", "status": "ACTIVE", "vendor": "verizon",
     "employee": "28691777", "plan": "Verizon Business Unlimited",
     "device": _device("35362361", "Apple", "iPhone 15 (128GB) - Blue", "353918100000001"),
     "orderActions": ACTIVE_ACTIONS},
    {"id": "38382336", "serviceNumber": "4155550142", "status": "SUSPENDED", "vendor": "att",
     "employee": "28673732", "plan": "AT&T Business Unlimited Performance",
     "device": _device("35362362", "Samsung", "Galaxy S24 (256GB) - Onyx", "353918100000002"),
     "orderActions": SUSPENDED_ACTIONS},
    {"id": "99034551", "serviceNumber": "4045553104", "status": "ACTIVE", "vendor": "verizon",
     "employee": "123456781", "plan": "Verizon Nationwide for Business Talk Share 450",
     "device": _device("770288091", "Apple", "iPhone 6 (16GB) - Space Gray", "012345678901234"),
     "orderActions": ["UPGRADE", "PORT_NUMBER", "UPDATE_FEATURES", "SUSPEND", "UNSUSPEND",
                      "DEACTIVATE"]},
    {"id": "38382555", "serviceNumber": "2125550123", "status": "ACTIVE", "vendor": "tmobile",
     "employee": "28691778", "plan": "T-Mobile Business Essentials",
     "device": _device("37948999", "Google", "Pixel 8 (128GB) - Obsidian", "353918100000003"),
     "orderActions": ACTIVE_ACTIONS},
    {"id": "38382777", "serviceNumber": "6465550100", "status": "DEACTIVATED", "vendor": "att",
     "employee": "28691779", "plan": "AT&T Business Unlimited Starter",
     "device": _device("37948777", "Apple", "iPhone 12 (64GB) - White", "353918100000004"),
     "orderActions": []},
    # The same national digits in two countries. serviceNumber follows the assumed rule
    # (bot/mobproc/assumed.py): a US line (the tenant's region) as its national digits, a
    # line abroad as country code and national digits.
    {"id": "38382207", "serviceNumber": "2079460958", "status": "ACTIVE", "vendor": "verizon",
     "employee": "28691783", "plan": "Verizon Business Unlimited",
     "device": _device("37948207", "Apple", "iPhone 15 (128GB) - Pink", "353918100000207"),
     "orderActions": ACTIVE_ACTIONS},
    {"id": "38382044", "serviceNumber": "442079460958", "status": "ACTIVE", "vendor": "att",
     "employee": "28691784", "plan": "AT&T International Business Unlimited",
     "device": _device("37948044", "Apple", "iPhone 15 (128GB) - Black", "353918100000044"),
     "orderActions": ACTIVE_ACTIONS},
    # Lena Leaver's lines: an active one on a vendor that allows transfers, a suspended one,
    # and an active one whose vendor refuses transfers.
    {"id": "41000101", "serviceNumber": "3125550101", "status": "ACTIVE", "vendor": "verizon",
     "employee": "28691790", "plan": "Verizon Business Unlimited",
     "device": _device("41100101", "Apple", "iPhone 14 (128GB) - Midnight", "353918100000101"),
     "orderActions": ACTIVE_ACTIONS},
    {"id": "41000102", "serviceNumber": "3125550102", "status": "SUSPENDED", "vendor": "att",
     "employee": "28691790", "plan": "AT&T Business Unlimited Performance",
     "device": _device("41100102", "Apple", "iPad Air (64GB) - Gray", "353918100000102"),
     "orderActions": SUSPENDED_ACTIONS},
    {"id": "41000103", "serviceNumber": "3125550103", "status": "ACTIVE", "vendor": "tmobile",
     "employee": "28691790", "plan": "T-Mobile Business Essentials",
     "device": _device("41100103", "Google", "Pixel 7 (128GB) - Snow", "353918100000103"),
     "orderActions": ACTIVE_ACTIONS},
    # Morgan Many holds more lines than one page of MobProc's answer or one modal shows.
    *({"id": str(42000200 + n), "serviceNumber": f"617555{200 + n:04d}",
       "status": "SUSPENDED" if n % 5 == 4 else "ACTIVE", "vendor": ("verizon", "att")[n % 2],
       "employee": "28691791", "plan": "Fleet Data 5GB",
       "device": _device(str(42100200 + n), "Samsung", f"Galaxy A15 #{n + 1}",
                         f"3539181002{n:05d}"),
       "orderActions": SUSPENDED_ACTIONS if n % 5 == 4 else ACTIVE_ACTIONS}
      for n in range(32)),
]

BENCH_MAX_PEOPLE = 1000


def bench_email(n: int) -> str:
    return f"bench.person{n}@acme.com"


def bench_number(n: int) -> str:
    """Person ``n``'s line: (628) 555-1000 onwards, clear of the hand-made lines above."""
    return f"628555{1000 + n:04d}"


def bench_employees(count: int) -> list[dict[str, Any]]:
    """``count`` more employees, each with their own line (see ``bench_services``)."""
    if not 0 <= count <= BENCH_MAX_PEOPLE:
        raise ValueError(f"bench people must be between 0 and {BENCH_MAX_PEOPLE}")
    return [{"id": f"7700{n:04d}", "companyEmployeeId": f"bench.person{n}.acme",
             "firstName": "Bench", "lastName": f"Person {n}", "email": bench_email(n),
             "officePhone": bench_number(n), "status": "ACTIVE",
             "department": {"id": "11569020399", "name": "Field Sales"}}
            for n in range(count)]


def bench_services(count: int) -> list[dict[str, Any]]:
    return [{"id": f"8800{n:04d}", "serviceNumber": bench_number(n), "status": "ACTIVE",
             "vendor": "verizon", "employee": f"7700{n:04d}",
             "plan": "Verizon Business Unlimited",
             "device": _device(f"9900{n:04d}", "Apple", "iPhone 15 (128GB) - Blue",
                               f"35391820{n:07d}"),
             "orderActions": ACTIVE_ACTIONS}
            for n in range(count)]


# What each order type leaves the line as, once complete.
AFTER_COMPLETION: dict[str, tuple[str, list[str]]] = {
    "SUSPEND": ("SUSPENDED", SUSPENDED_ACTIONS),
    "UNSUSPEND": ("ACTIVE", ACTIVE_ACTIONS),
    "DEACTIVATE": ("DEACTIVATED", []),
    "XFER_SERVICE_OUT": ("DEACTIVATED", []),
}

CONTACT_NUMBER_REGEX = r"^\+?[0-9 ().-]{10,20}$"
EMAIL_REGEX = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"


def _common(service_number: str, office_phone: str | None) -> list[dict[str, Any]]:
    contact: dict[str, Any] = {
        "id": "CONTACT_NUMBER", "label": "Contact Phone Number", "type": "TEXT",
        "validation": "REQUIRED", "minLength": 10, "maxLength": 20,
        "regEx": CONTACT_NUMBER_REGEX, "pattern": "digits, e.g. 2035559999"}
    if office_phone:
        contact["text"] = office_phone
    return [
        {"id": "SERVICE_NUMBER", "label": "Service Number", "type": "TEXT",
         "validation": "REQUIRED", "minLength": 10, "maxLength": 15, "text": service_number},
        contact,
        {"id": "ADDITIONAL_INSTRUCTIONS", "label": "Additional Instructions", "type": "TEXT",
         "validation": "OPTIONAL", "minLength": 0, "maxLength": 4000},
    ]


def _choices(*labels: str, other: bool = True) -> list[dict[str, Any]]:
    items = [{"id": str(n), "label": label, "isOther": False}
             for n, label in enumerate(labels, 1)]
    if other:
        items.append({"id": "99", "label": "Other", "isOther": True})
    return items


COST_CENTERS = [f"CC-{1000 + n} {dept}" for n, dept in enumerate(
    ["Finance", "Sales", "Operations", "Development", "Support"] * 30)]


def property_definitions(transaction_type: str, service_number: str,
                         office_phone: str | None) -> list[dict[str, Any]]:
    """The MISCELLANEOUS group MobProc asks for, per order type."""
    fields = _common(service_number, office_phone)
    if transaction_type == TransactionType.SUSPEND:
        fields += [
            {"id": "PREFERRED_SUSPENSION_DATE", "label": "Preferred Suspension Date",
             "type": "DATE", "validation": "REQUIRED", "pattern": "mm/dd/yyyy"},
            {"id": "HOLD_SERVICE", "label": "Hold Service", "type": "CHOICE",
             "validation": "REQUIRED",
             "choices": _choices("Hold number for 90 days", "Hold number for 180 days",
                                 other=False)},
            {"id": "Reason", "label": "Reason", "type": "CHOICE", "validation": "REQUIRED",
             "choices": _choices("Lost device", "Stolen device", "Leave of absence")},
        ]
    elif transaction_type == TransactionType.UNSUSPEND:
        fields += [
            {"id": "PREFERRED_UNSUSPEND_DATE", "label": "Preferred Unsuspend Date",
             "type": "DATE", "validation": "REQUIRED", "pattern": "mm/dd/yyyy"},
            {"id": "Reason", "label": "Reason", "type": "CHOICE", "validation": "OPTIONAL",
             "choices": _choices("Device found", "Returned from leave")},
        ]
    elif transaction_type == TransactionType.DEACTIVATE:
        fields += [
            {"id": "PREFERRED_DEACTIVATION_DATE", "label": "Preferred Deactivation Date",
             "type": "DATE", "validation": "REQUIRED", "pattern": "mm/dd/yyyy"},
            {"id": "Reason", "label": "Reason", "type": "CHOICE", "validation": "REQUIRED",
             "choices": _choices("Employee left the company", "Line no longer needed",
                                 "Lost device")},
            {"id": "COST_CENTER", "label": "Cost Center", "type": "CHOICE",
             "validation": "OPTIONAL",
             "choices": [{"id": f"CC{1000 + n}", "label": label, "isOther": False}
                         for n, label in enumerate(COST_CENTERS)]},
        ]
    elif transaction_type == TransactionType.XFER_SERVICE_OUT:
        fields += [
            {"id": "PERSONAL_EMAIL", "label": "Personal E-mail Address", "type": "TEXT",
             "validation": "REQUIRED", "maxLength": 254, "regEx": EMAIL_REGEX,
             "pattern": "name@example.com"},
        ]
    return fields


INFOBLOCKS: list[dict[str, Any]] = [
    {"header": "Family & Shared Minute Plans", "paragraphs": [
        {"text": "PLEASE READ: In order to transfer a personally-liable account to a "
                 "corporate-liable account, the user may be required to have service with the "
                 "corporate carrier currently."},
        {"text": "Before transferring your number, please contact your current carrier to "
                 "resolve an outstanding balance, if required."}]},
    {"header": "Authorization of Transfer", "paragraphs": [
        {"text": "PLEASE READ: By transferring your number to the company, you agree to give "
                 "up all rights to that number. Depending upon the company's policy, the number "
                 "may not be transferrable back to you."}]},
    {"header": "Termination Fee Notice", "paragraphs": [
        {"text": "PLEASE READ: You may be required to pay a termination fee when moving your "
                 "service number to a new carrier. Please contact your cellular provider to "
                 "determine if a termination fee will be charged."}]},
]

ACKNOWLEDGEMENTS: list[dict[str, Any]] = [
    {"id": "FAMILY_SHARED_MINUTE_PLAN", "label": "I verify that the service number to be "
     "transferred is no longer on a family shared plan. This has been confirmed with my "
     "current carrier.", "type": "BOOLEAN", "validation": "REQUIRED"},
    {"id": "AUTHORIZATION_OF_TRANSFER", "label": "I authorize the transfer of liability for "
     "this service number to the company.", "type": "BOOLEAN", "validation": "REQUIRED"},
    {"id": "TERMINATION_FEES", "label": "I authorize this port of service to the new carrier. "
     "I accept personal responsibility for any termination fees or other charges incurred.",
     "type": "BOOLEAN", "validation": "REQUIRED"},
]
