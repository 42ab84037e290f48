"""Async MobProc client (httpx): OAuth token handling, headers, and the calls the bot makes."""

from __future__ import annotations

import asyncio
import logging
import random
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar

import httpx
from pydantic import BaseModel, SecretStr, ValidationError

from bot.effects.fence import Fence, lease_seconds
from bot.mobproc import assumed
from bot.mobproc.errors import (
    MobProcAuthError,
    MobProcError,
    MobProcNotFound,
    MobProcOutcomeUnknown,
    MobProcRefused,
    MobProcUnavailable,
)
from bot.mobproc.limiter import MobProcLimiter
from bot.mobproc.metering import MeteredHttpClient
from bot.mobproc.models import (
    AcknowledgementsResponse,
    ApprovalRequest,
    ApprovalResponse,
    ConfirmationResponse,
    ErrorBody,
    Order,
    OrderConfirmation,
    OrderRequest,
    OrderResponse,
    PropertiesResponse,
    PropertyGroup,
    ServiceAsset,
    TokenResponse,
)
from bot.mobproc.transport import AiohttpTransport
from bot.ops.metrics import BotMetrics
from bot.phone import ServiceNumber

log = logging.getLogger(__name__)
M = TypeVar("M", bound=BaseModel)

# Renew this long before MobProc says the token expires, so no call races the expiry.
TOKEN_RENEW_MARGIN_SECONDS = 60.0
MAX_PAGES = 50
MAX_BACKOFF_SECONDS = 2.0


@dataclass(frozen=True)
class MobProcConfig:
    base_url: str
    token_url: str
    client_id: str
    client_secret: SecretStr
    username: str
    password: SecretStr
    tenant: str
    scope: str = "MOBPROC"
    timeout_seconds: float = 10.0
    retry_attempts: int = 3
    retry_base_seconds: float = 0.25
    max_rps: float = 10.0
    max_concurrency: int = 8

    @property
    def send_seconds(self) -> float:
        """The longest one call may take: the transport bounds the whole call by its four
        phases' timeouts (pool, connect, write, read: ``client_timeout``)."""
        return 4 * self.timeout_seconds

    @property
    def lease_seconds(self) -> float:
        """How long a claim on a MobProc effect lasts: one try waiting up to a timeout for its
        turn (limiter, 429 pause, backoff), then running as long as a call may. Later tries
        go only while they still fit; one that doesn't is dropped by its fence
        (``bot.effects.fence``)."""
        return lease_seconds(self.send_seconds, 1, self.timeout_seconds)


class TokenManager:
    """Holds one access token; concurrent callers share a single fetch.

    Hand-written on purpose: authlib's httpx OAuth2 client renews a password-grant token only
    through a refresh token, has no 401 renewal, reads the wall clock and would still need
    this error mapping, so it would not make this smaller (and brings cryptography along).
    """

    def __init__(self, config: MobProcConfig, http: httpx.AsyncClient,
                 clock: Callable[[], float] = time.monotonic,
                 limiter: MobProcLimiter | None = None) -> None:
        self._config = config
        self._http = http
        self._limiter = limiter or MobProcLimiter(config.max_rps, config.max_concurrency)
        self._clock = clock
        self._lock = asyncio.Lock()
        self._access: str | None = None
        self._refresh: str | None = None
        self._expires_at = 0.0

    async def token(self) -> str:
        if self._valid():
            assert self._access is not None
            return self._access
        async with self._lock:
            if not self._valid():  # another caller may have fetched it while we waited
                await self._fetch()
            assert self._access is not None
            return self._access

    async def renew(self, rejected: str) -> str:
        """Called after a 401 with the token that was refused: fetch a new one, once."""
        async with self._lock:
            if self._access == rejected:
                self._access = None
                self._expires_at = 0.0
                await self._fetch()
            assert self._access is not None
            return self._access

    def _valid(self) -> bool:
        return self._access is not None and self._clock() < self._expires_at

    async def _fetch(self) -> None:
        c = self._config
        common = {
            "client_id": c.client_id,
            "client_secret": c.client_secret.get_secret_value(),
            "scope": c.scope,
        }
        if self._refresh:
            try:
                await self._grant({**common, "grant_type": "refresh_token",
                                   "refresh_token": self._refresh})
                return
            except MobProcAuthError:
                log.info("MobProc refresh token refused; signing in again")
                self._refresh = None
        await self._grant({**common, "grant_type": "password", "username": c.username,
                           "password": c.password.get_secret_value()})

    async def _grant(self, form: dict[str, str]) -> None:
        try:
            async with self._limiter.slot():
                response = await self._http.post(self._config.token_url, data=form)
        except httpx.HTTPError as exc:
            raise MobProcUnavailable(
                f"Could not reach MobProc's sign-in service ({type(exc).__name__})."
            ) from None
        if response.status_code >= 500:
            raise MobProcUnavailable(
                f"MobProc's sign-in service answered {response.status_code}.",
                status=response.status_code,
            )
        if response.status_code != 200:
            raise MobProcAuthError(
                "MobProc refused the bot's credentials; check the MOBPROC_* settings.",
                status=response.status_code,
            )
        token = TokenResponse.model_validate(response.json())
        self._access = token.access_token
        self._refresh = token.refresh_token
        lifetime = max(float(token.expires_in) - TOKEN_RENEW_MARGIN_SECONDS,
                       float(token.expires_in) / 2)
        self._expires_at = self._clock() + lifetime
        log.debug("MobProc token obtained, valid for %ss", token.expires_in)


class MobProcClient:
    """The MobProc calls the bot makes. Every method raises a ``MobProcError`` subclass."""

    def __init__(self, config: MobProcConfig, *,
                 transport: httpx.AsyncBaseTransport | None = None,
                 clock: Callable[[], float] = time.monotonic,
                 metrics: BotMetrics | None = None) -> None:
        self.config = config
        # httpx as the API, aiohttp on the wire unless a transport is injected (tests):
        # half httpx's own CPU per call or less, errors mapped by phase (bot/mobproc/transport.py).
        if transport is None:
            transport = AiohttpTransport()
        self._http = httpx.AsyncClient(timeout=config.timeout_seconds, transport=transport) \
            if metrics is None else MeteredHttpClient(
                metrics, base_url=config.base_url, token_url=config.token_url,
                timeout=config.timeout_seconds, transport=transport)
        # One limiter for every call of this process, token fetches included.
        self.limiter = MobProcLimiter(config.max_rps, config.max_concurrency)
        self._tokens = TokenManager(config, self._http, clock, self.limiter)
        self._base = config.base_url.rstrip("/")

    async def aclose(self) -> None:
        await self._http.aclose()

    async def sign_in(self) -> None:
        """Fetch a token now (the pre-flight check); calls fetch one themselves."""
        await self._tokens.token()

    # --- lines ------------------------------------------------------------------

    async def find_service(self, number: ServiceNumber | str, *, region: str = "US"
                           ) -> ServiceAsset | None:
        """The line whose number is ``number``, or None when MobProc has no such line.

        ``number`` is a number as a person gave it (its own region says how MobProc writes
        it) or MobProc's own digits-only form for a ``region`` tenant. MobProc is asked for
        each candidate digit string, but an asset is accepted only when its ``serviceNumber``,
        read with the assumed rule (``bot/mobproc/assumed.py``), is the same E.164 number:
        digits alone never decide (2079460958 is a US line, 442079460958 a UK one)."""
        if isinstance(number, str):
            wanted = assumed.service_number_e164(number, region)
            if wanted is None:
                # Not a number at all: only MobProc's identical string can be meant.
                return await self._find_exact(_digits(number))
        else:
            wanted, region = number.e164, number.region
        for candidate in assumed.service_number_candidates(wanted, region):
            params = {assumed.SERVICE_NUMBER_FILTER: candidate}
            for page in await self._pages("/assets/services", params,
                                          assumed.ServicesCollection):
                for item in page.services.items:
                    if assumed.service_number_e164(item.serviceNumber, region) == wanted:
                        return item
        return None

    async def _find_exact(self, digits: str) -> ServiceAsset | None:
        params = {assumed.SERVICE_NUMBER_FILTER: digits}
        for page in await self._pages("/assets/services", params, assumed.ServicesCollection):
            for item in page.services.items:
                if digits and _digits(item.serviceNumber) == digits:
                    return item
        return None

    async def services_of_employee(self, company_employee_id: str) -> list[ServiceAsset]:
        """Every line MobProc has for this employee (documented filter), all pages."""
        params = {"companyEmployeeId": company_employee_id}
        pages = await self._pages("/assets/services", params, assumed.ServicesCollection)
        return [item for page in pages for item in page.services.items]

    async def get_service(self, service_id: str) -> ServiceAsset:
        data = await self._request("GET", f"/assets/services/{service_id}")
        return _parse(ServiceAsset, data)

    async def get_properties(self, transaction_type: str, service_id: str) -> list[PropertyGroup]:
        params = {"transactionType": transaction_type, "service": service_id}
        data = await self._request("GET", "/orders/properties", params=params)
        return _parse(PropertiesResponse, data).properties.items

    async def get_acknowledgements(self, transaction_type: str, vendor_id: str
                                   ) -> AcknowledgementsResponse:
        params = {"transactionType": transaction_type, "vendor": vendor_id}
        data = await self._request("GET", "/acknowledgements", params=params)
        return _parse(AcknowledgementsResponse, data)

    # --- orders ---------------------------------------------------------------

    async def confirm_order(self, order: OrderRequest, *, on_behalf_of: str | None
                            ) -> OrderConfirmation:
        """``POST /orders?confirm=true``: validated and expanded; nothing is ordered."""
        data = await self._request("POST", "/orders", params={"confirm": "true"},
                                   json=order.to_body(), on_behalf_of=on_behalf_of)
        return _parse(ConfirmationResponse, data).orderConfirmation

    async def submit_order(self, order: OrderRequest, *, on_behalf_of: str | None,
                           fence: Fence | None = None) -> Order:
        """``POST /orders``: places the order. Raises ``MobProcOutcomeUnknown`` when it was
        sent but no answer came, so the caller looks it up before sending again, and
        ``SendDropped`` when ``fence`` no longer lets it leave (nothing was sent)."""
        data = await self._request("POST", "/orders", json=order.to_body(),
                                   on_behalf_of=on_behalf_of, unsafe=True, fence=fence)
        return _parse(OrderResponse, data).order

    async def get_order(self, order_id: str) -> Order:
        data = await self._request("GET", f"/orders/{order_id}")
        return _parse(OrderResponse, data).order

    async def get_history(self, order_id: str, segment_id: str) -> list[assumed.HistoryEntry]:
        data = await self._request("GET", f"/orders/{order_id}/history",
                                   params={"orderSegment": segment_id})
        return _parse(assumed.HistoryResponse, data).history.items

    async def orders_updated_since(self, since: datetime
                                   ) -> AsyncIterator[list[assumed.FollowedOrder]]:
        """Every order MobProc updated at or after ``since``, with segments and history,
        a page at a time as it arrives (so each change can be told at once)."""
        params: dict[str, str] | None = {
            assumed.UPDATED_SINCE_FILTER: assumed.updated_since_value(since),
            "includeOrderSegments": "true", "includeOrderHistory": "true",
            "limit": str(assumed.UPDATED_PAGE_SIZE)}
        url: str | None = "/orders"
        while url:
            page = _parse(assumed.UpdatedOrdersCollection,
                          await self._request("GET", url, params=params)).orders
            yield page.items
            url = page.meta.hrefNext if page.meta is not None else None
            params = None  # hrefNext carries its own query

    async def find_orders_by_external_number(self, external_order_number: str) -> list[Order]:
        params = {assumed.EXTERNAL_ORDER_NUMBER_FILTER: external_order_number}
        orders: list[Order] = []
        for page in await self._pages("/orders", params, assumed.OrdersCollection):
            orders.extend(o for o in page.orders.items
                          if o.externalOrderNumber in (None, external_order_number))
        return orders

    # --- MobProc's own approvals ----------------------------------------------------

    async def orders_awaiting(self, company_employee_id: str) -> list[Order]:
        """Orders waiting for this person's decision in MobProc (every page)."""
        params = {assumed.ELIGIBLE_APPROVER_FILTER: company_employee_id}
        orders: list[Order] = []
        for page in await self._pages("/orders", params, assumed.OrdersCollection):
            orders.extend(page.orders.items)
        return orders

    async def answer_approval(self, order_id: str, answer: ApprovalRequest, *,
                              on_behalf_of: str, fence: Fence | None = None) -> str:
        """``POST /orders/{id}/approval`` for the person deciding; MobProc's status
        (APPROVAL_QUEUED, REJECTION_QUEUED, APPROVAL_NOT_NEEDED, NOT_READY_FOR_APPROVAL).
        A lost answer is ``MobProcOutcomeUnknown``: the decision may have been taken."""
        data = await self._request("POST", f"/orders/{order_id}/approval",
                                   json=answer.model_dump(exclude_none=True),
                                   on_behalf_of=on_behalf_of, unsafe=True, fence=fence)
        return _parse(ApprovalResponse, data).status

    # --- plumbing ------------------------------------------------------------------

    async def _pages(self, path: str, params: dict[str, str], model: type[M]) -> list[M]:
        pages: list[M] = []
        url: str | None = path
        query: dict[str, str] | None = params
        while url and len(pages) < MAX_PAGES:
            page = _parse(model, await self._request("GET", url, params=query))
            pages.append(page)
            collection = next(iter(page.__dict__.values()))
            meta = getattr(collection, "meta", None)
            url = meta.hrefNext if meta is not None else None
            query = None  # hrefNext carries its own query
        return pages

    async def _request(self, method: str, path: str, *, params: dict[str, str] | None = None,
                       json: dict[str, Any] | None = None, on_behalf_of: str | None = None,
                       unsafe: bool = False, fence: Fence | None = None) -> Any:
        """One call, retried with bounded, jittered backoff while MobProc is unavailable.

        ``unsafe`` calls (placing an order) are retried only when the request never reached
        MobProc; an answer lost after sending is ``MobProcOutcomeUnknown``, never a resend.
        A loop rather than tenacity: the same policy written with it came out no shorter.
        """
        attempts = max(self.config.retry_attempts, 1)
        for attempt in range(1, attempts + 1):
            try:
                return await self._send(method, path, params=params, json=json,
                                        on_behalf_of=on_behalf_of, unsafe=unsafe, fence=fence)
            except MobProcOutcomeUnknown:
                raise
            except MobProcUnavailable as exc:
                if attempt == attempts:
                    raise
                # After a 429 the limiter already holds every call back for Retry-After.
                delay = 0.0 if exc.status == 429 else random.uniform(
                    0, min(self.config.retry_base_seconds * 2 ** attempt, MAX_BACKOFF_SECONDS))
                log.info("MobProc %s %s unavailable (%s); retry %d in %.2fs", method, path,
                         exc.message, attempt, delay)
                await asyncio.sleep(delay)
        raise AssertionError("unreachable")

    async def _send(self, method: str, path: str, *, params: dict[str, str] | None,
                    json: dict[str, Any] | None, on_behalf_of: str | None, unsafe: bool,
                    fence: Fence | None = None) -> Any:
        url = path if path.startswith("http") else f"{self._base}{path}"
        token = await self._tokens.token()
        for attempt in (1, 2):
            headers = {
                "Authorization": f"Bearer {token}",
                "X-TNGO-TENANT": self.config.tenant,
                "client_id": self.config.client_id,
                "X-TNGO-CONTEXT-CORRELATIONID": uuid.uuid4().hex,
                "Accept": "application/json",
            }
            if on_behalf_of:
                headers["X-TNGO-CONTEXT-COMPANYEMPLOYEEID"] = on_behalf_of
            try:
                async with self.limiter.slot():
                    if fence is not None:  # last thing before it leaves: past every wait
                        await fence.before_send(self.config.send_seconds)
                    response = await self._http.request(method, url, params=params, json=json,
                                                        headers=headers)
            except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
                # Never reached MobProc: safe to report as plainly unavailable.
                raise MobProcUnavailable(
                    f"Could not reach MobProc ({type(exc).__name__})."
                ) from None
            except httpx.HTTPError as exc:
                if unsafe:
                    raise MobProcOutcomeUnknown(
                        "The order was sent but MobProc's answer was lost "
                        f"({type(exc).__name__})."
                    ) from None
                raise MobProcUnavailable(
                    f"MobProc did not answer in time ({type(exc).__name__})."
                ) from None
            if response.status_code == 401 and attempt == 1:
                log.info("MobProc answered 401; renewing the token once")
                token = await self._tokens.renew(token)
                continue
            if response.status_code == 429:
                # Not processed (so safe to send again, orders included), after the pause.
                wait = retry_after_seconds(response.headers.get("Retry-After"))
                self.limiter.pause(wait)
                log.warning("MobProc answered 429 to %s %s; pausing calls for %.1fs", method,
                            path, wait)
                raise MobProcUnavailable("MobProc asked the bot to slow down.", status=429)
            if unsafe and response.status_code >= 500:
                # A failing server may have placed the order before failing.
                raise MobProcOutcomeUnknown(
                    f"MobProc answered {response.status_code} to the order; it may or may not "
                    "have been placed.", status=response.status_code)
            return _answer(response, method, path)
        raise AssertionError("unreachable")


def retry_after_seconds(value: str | None, default: float = 1.0) -> float:
    """``Retry-After`` as seconds: a number of seconds or an HTTP date; ``default`` when
    absent or unreadable."""
    if not value:
        return default
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return default
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max((when - datetime.now(UTC)).total_seconds(), 0.0)


def _answer(response: httpx.Response, method: str, path: str) -> Any:
    try:
        body: Any = response.json()
    except ValueError:
        body = None
    status = response.status_code
    if status < 400:
        if body is None:
            raise MobProcUnavailable(f"MobProc sent an unreadable answer to {method} {path}.",
                                     status=status)
        if isinstance(body, dict) and body.get("status") == "ERROR":
            raise _refusal(body, status)
        return body
    if status >= 500:
        err = _error_body(body)
        log.warning("MobProc %s %s answered %s (error id %s)", method, path, status, err.id)
        raise MobProcUnavailable(
            err.message or f"MobProc had a problem ({status}). Please try again shortly.",
            status=status, error_code=err.errorCode, error_id=err.id)
    if status == 401:
        raise MobProcAuthError("MobProc refused the bot's token even after renewing it.",
                               status=status)
    if status == 404:
        err = _error_body(body)
        raise MobProcNotFound(err.message or "MobProc does not know it.", status=status,
                              error_code=err.errorCode, error_id=err.id)
    raise _refusal(body, status)


def _refusal(body: Any, status: int) -> MobProcRefused:
    messages = assumed.order_rejection_messages(body)
    err = _error_body(body)
    error_id = err.id
    if error_id is None and isinstance(body, dict):
        for item in body.get("errors") or []:
            if isinstance(item, dict) and item.get("id"):
                error_id = str(item["id"])
                break
    log.info("MobProc refused a request (%s, error id %s)", status, error_id)
    return MobProcRefused("; ".join(messages) or f"MobProc refused the request ({status}).",
                          status=status, error_code=err.errorCode, error_id=error_id)


def _error_body(body: Any) -> ErrorBody:
    if isinstance(body, dict):
        try:
            return ErrorBody.model_validate(body)
        except ValidationError:
            pass
    return ErrorBody()


def _parse(model: type[M], data: Any) -> M:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        log.warning("Unexpected MobProc answer for %s: %s", model.__name__, exc)
        raise MobProcError(
            "MobProc sent an answer the bot could not read; the tenant's API may differ "
            "from the documented one."
        ) from None


def _digits(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit())


__all__ = ["MobProcClient", "MobProcConfig", "TokenManager"]
