"""Pydantic models of MobProc's JSON, with the API's exact field names.

Documented shapes only; shapes the public docs never showed live in ``assumed.py``.
Every model ignores unknown fields (``extra="allow"``) so a tenant's richer answers parse.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class MobProcModel(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)


class TransactionType(StrEnum):
    SUSPEND = "SUSPEND"
    UNSUSPEND = "UNSUSPEND"
    DEACTIVATE = "DEACTIVATE"
    XFER_SERVICE_OUT = "XFER_SERVICE_OUT"


class Meta(MobProcModel):
    href: str | None = None
    hrefNext: str | None = None
    hrefHistory: str | None = None
    hrefShipments: str | None = None
    totalCount: int | None = None
    limit: int | None = None
    offset: int | None = None


# --- auth -------------------------------------------------------------------


class TokenResponse(MobProcModel):
    token_type: str
    expires_in: int
    access_token: str
    refresh_token: str | None = None


# --- errors -----------------------------------------------------------------


class ErrorBody(MobProcModel):
    status: int | str | None = None
    id: str | None = None
    errorCode: str | None = None
    message: str | None = None


# --- assets -------------------------------------------------------------------


class Named(MobProcModel):
    meta: Meta | None = Field(default=None, alias="_meta")
    id: str | None = None
    name: str | None = None
    logoUrl: str | None = None


class DeviceModel(MobProcModel):
    id: str | None = None
    name: str | None = None
    imageUrl: str | None = None


class SerialNumber(MobProcModel):
    type: str | None = None
    value: str | None = None


class Device(MobProcModel):
    meta: Meta | None = Field(default=None, alias="_meta")
    id: str | None = None
    manufacturer: Named | None = None
    # A service asset gives an object; an order confirmation gives a plain string.
    model: DeviceModel | str | None = None
    simId: str | None = None
    accessMethod: str | None = None
    macAddress: str | None = None
    companyAssetId: str | None = None
    serialNumber: SerialNumber | None = None
    orderActions: list[str] = Field(default_factory=list)

    @property
    def display_name(self) -> str:
        maker = self.manufacturer.name if self.manufacturer and self.manufacturer.name else ""
        if isinstance(self.model, str):
            model = self.model
        else:
            model = self.model.name if self.model and self.model.name else ""
        text = " ".join(part for part in (maker, model or "") if part)
        if model and maker and model.lower().startswith(maker.lower()):
            text = model
        return text or "Unknown device"


class ContractDates(MobProcModel):
    start: datetime | None = None
    end: datetime | None = None
    activated: datetime | None = None
    lastDeviceUpgrade: datetime | None = None


class Plan(MobProcModel):
    name: str | None = None


class Vendors(MobProcModel):
    billing: Named | None = None
    current: Named | None = None


class Department(MobProcModel):
    id: str | None = None
    name: str | None = None


class Employee(MobProcModel):
    meta: Meta | None = Field(default=None, alias="_meta")
    id: str | None = None
    companyEmployeeId: str | None = None
    firstName: str | None = None
    lastName: str | None = None
    email: str | None = None
    officePhone: str | None = None
    status: str | None = None
    department: Department | None = None

    @property
    def display_name(self) -> str:
        name = " ".join(p for p in (self.firstName, self.lastName) if p)
        return name or self.email or self.companyEmployeeId or "Unknown"


class ServiceAsset(MobProcModel):
    meta: Meta | None = Field(default=None, alias="_meta")
    id: str
    serviceNumber: str
    status: str | None = None
    contractDates: ContractDates | None = None
    plan: Plan | None = None
    vendor: Vendors | None = None
    device: Device | None = None
    employee: Employee | None = None
    orderActions: list[str] = Field(default_factory=list)

    @property
    def vendor_name(self) -> str | None:
        if self.vendor is None:
            return None
        for v in (self.vendor.current, self.vendor.billing):
            if v and v.name:
                return v.name
        return None

    @property
    def vendor_id(self) -> str | None:
        if self.vendor is None:
            return None
        for v in (self.vendor.current, self.vendor.billing):
            if v and v.id:
                return v.id
        return None


# --- order properties ------------------------------------------------------------


PropertyType = Literal["TEXT", "DATE", "CHOICE"]


class Choice(MobProcModel):
    id: str
    label: str | None = None
    isOther: bool = False


class ChoiceValue(MobProcModel):
    id: str
    otherText: str | None = None


class PropertyDefinition(MobProcModel):
    """One field MobProc wants for an order (``GET /orders/properties``)."""

    id: str
    label: str | None = None
    type: str
    validation: str | None = None  # REQUIRED | OPTIONAL
    maxLength: int | None = None
    minLength: int | None = None
    pattern: str | None = None
    regEx: str | None = None
    choices: list[Choice] = Field(default_factory=list)
    # Pre-filled values sit in the slot their type uses.
    text: str | None = None
    date: datetime | None = None
    choice: ChoiceValue | None = None

    @property
    def required(self) -> bool:
        return (self.validation or "").upper() == "REQUIRED"

    @property
    def display_label(self) -> str:
        return self.label or self.id


class PropertyGroup(MobProcModel):
    groupId: str
    fields: list[PropertyDefinition] = Field(default_factory=list)


class PropertiesCollection(MobProcModel):
    meta: Meta | None = Field(default=None, alias="_meta")
    items: list[PropertyGroup] = Field(default_factory=list)


class PropertiesResponse(MobProcModel):
    properties: PropertiesCollection


class PropertyValue(MobProcModel):
    """A property as sent in an order, and as echoed back (with ``label``) in answers."""

    id: str
    type: str
    label: str | None = None
    text: str | None = None
    date: datetime | None = None
    choice: ChoiceValue | None = None

    def to_request(self) -> dict[str, Any]:
        body: dict[str, Any] = {"id": self.id, "type": self.type}
        if self.type == "DATE" and self.date is not None:
            body["date"] = self.date.isoformat()
        elif self.type == "CHOICE" and self.choice is not None:
            body["choice"] = self.choice.model_dump(exclude_none=True)
        elif self.text is not None:
            body["text"] = self.text
        return body


class PropertyValueGroup(MobProcModel):
    groupId: str
    fields: list[PropertyValue] = Field(default_factory=list)


# --- acknowledgements ------------------------------------------------------------


class Paragraph(MobProcModel):
    text: str


class InfoBlock(MobProcModel):
    header: str | None = None
    paragraphs: list[Paragraph] = Field(default_factory=list)


class AcknowledgementDefinition(MobProcModel):
    id: str
    label: str
    type: str = "BOOLEAN"
    validation: str | None = None

    @property
    def required(self) -> bool:
        return (self.validation or "").upper() == "REQUIRED"


class AcknowledgementsResponse(MobProcModel):
    infoblocks: list[InfoBlock] = Field(default_factory=list)
    acknowledgements: list[AcknowledgementDefinition] = Field(default_factory=list)


class AcknowledgementValue(MobProcModel):
    id: str
    boolean: bool = True


# --- orders --------------------------------------------------------------------------


class OrderRequest(MobProcModel):
    externalOrderNumber: str
    transactionType: str
    serviceId: str
    properties: list[PropertyValueGroup] = Field(default_factory=list)
    acknowledgements: list[AcknowledgementValue] = Field(default_factory=list)

    def to_body(self) -> dict[str, Any]:
        """The JSON body for ``POST /orders``: ``{"orderRequest": {...}}``."""
        request: dict[str, Any] = {
            "externalOrderNumber": self.externalOrderNumber,
            "transactionType": self.transactionType,
            "serviceId": self.serviceId,
            "properties": [
                {"groupId": g.groupId, "fields": [f.to_request() for f in g.fields]}
                for g in self.properties
            ],
        }
        if self.acknowledgements:
            request["acknowledgements"] = [a.model_dump() for a in self.acknowledgements]
        return {"orderRequest": request}


class OrderRequestEnvelope(MobProcModel):
    orderRequest: OrderRequest


class ServiceSummary(MobProcModel):
    meta: Meta | None = Field(default=None, alias="_meta")
    id: str | None = None
    serviceNumber: str | None = None
    status: str | None = None
    contractDates: ContractDates | None = None


class OrderConfirmation(MobProcModel):
    transactionType: str
    externalOrderNumber: str | None = None
    accountHolder: Employee | None = None
    requestedBy: Employee | None = None
    device: Device | None = None
    service: ServiceSummary | None = None
    region: Named | None = None
    properties: list[PropertyValueGroup] = Field(default_factory=list)
    acknowledgements: list[AcknowledgementValue] = Field(default_factory=list)


class ConfirmationResponse(MobProcModel):
    orderConfirmation: OrderConfirmation
    status: str


class OrderSegment(MobProcModel):
    meta: Meta | None = Field(default=None, alias="_meta")
    orderSegmentId: str
    status: str | None = None
    vendor: Named | None = None


class OrderSegments(MobProcModel):
    items: list[OrderSegment] = Field(default_factory=list)


class Order(MobProcModel):
    meta: Meta | None = Field(default=None, alias="_meta")
    orderId: str
    status: str
    transactionType: str | None = None
    externalOrderNumber: str | None = None
    dateSubmitted: datetime | None = None
    updated: datetime | None = None
    serviceNumber: str | None = None
    accountHolder: Employee | None = None
    requestedBy: Employee | None = None
    orderSegments: OrderSegments | None = None
    properties: list[PropertyValueGroup] = Field(default_factory=list)

    @property
    def segments(self) -> list[OrderSegment]:
        return self.orderSegments.items if self.orderSegments else []


class OrderResponse(MobProcModel):
    order: Order
    status: str | None = None


class ApprovalRequest(MobProcModel):
    action: Literal["APPROVE", "REJECT"]
    reason: str | None = None


class ApprovalResponse(MobProcModel):
    status: str
