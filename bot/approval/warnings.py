"""What an approver should know before approving: warnings about the line and the asker.

Computed by the core when the approval message is posted; ``blocks/approval/message.py`` shows them.
"""

from __future__ import annotations

from enum import StrEnum

from bot.domain import DomainModel, LineRequest, RequestState
from bot.mobproc.models import Employee
from bot.storage.requests import RequestRepository

# A request in one of these states may still change the line: a second order would race it.
OPEN_STATES = (RequestState.PENDING, RequestState.APPROVED, RequestState.SUBMITTING,
               RequestState.SUBMITTED)


class WarningKind(StrEnum):
    NOT_THE_HOLDER = "not_the_holder"
    OPEN_ORDER = "open_order"


class ApprovalWarning(DomainModel):
    kind: WarningKind
    holder: str | None = None  # NOT_THE_HOLDER: the line holder's name in MobProc
    other: LineRequest | None = None  # OPEN_ORDER: the bot's other open request on the line


def _holder(request: LineRequest) -> Employee | None:
    # MobProc's confirmation names the account holder as of the request; the line as found
    # when the form opened is the fallback.
    if request.confirmation is not None and request.confirmation.accountHolder is not None:
        return request.confirmation.accountHolder
    return request.service.employee


def is_holder(request: LineRequest, holder: Employee, for_whom: str | None = None) -> bool:
    """Whether the person the order is for (``for_whom``, else the requester) is the line's
    holder, by e-mail or employee id."""
    mine = (for_whom or request.requester_email or "").strip().lower()
    theirs = {(holder.email or "").strip().lower(),
              (holder.companyEmployeeId or "").strip().lower()} - {""}
    return bool(mine) and mine in theirs


async def approval_warnings(repo: RequestRepository, request: LineRequest, *,
                            for_whom: str | None = None) -> list[ApprovalWarning]:
    """``for_whom``: who the order is for when not its requester (a leaver's lines are
    ordered by a help-desk agent for the leaver: their e-mail or employee id)."""
    warnings: list[ApprovalWarning] = []
    holder = _holder(request)
    if holder is not None and not is_holder(request, holder, for_whom):
        warnings.append(ApprovalWarning(kind=WarningKind.NOT_THE_HOLDER,
                                        holder=holder.display_name))
    for other in await repo.open_for_line(request.service.serviceNumber, OPEN_STATES,
                                          excluding=request.id):
        warnings.append(ApprovalWarning(kind=WarningKind.OPEN_ORDER, other=other))
    return warnings
