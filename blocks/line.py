"""How a line (service asset) is summarised in modals and messages."""

from __future__ import annotations

from blocks.text import escape_mrkdwn
from bot.domain import humanize_status
from bot.mobproc.models import ServiceAsset
from bot.phone import format_service_number


def line_number(service: ServiceAsset, region: str) -> str:
    """The line's number as people in ``region`` write it."""
    return format_service_number(service.serviceNumber, region)


def line_facts(service: ServiceAsset, region: str) -> list[tuple[str, str]]:
    holder = service.employee
    holder_text = "—"
    if holder is not None:
        holder_text = escape_mrkdwn(holder.display_name)
        if holder.email:
            holder_text += f" ({escape_mrkdwn(holder.email)})"
    return [
        ("Line", line_number(service, region)),
        ("Account holder", holder_text),
        ("Device", escape_mrkdwn(service.device.display_name) if service.device else "—"),
        ("Plan", escape_mrkdwn(service.plan.name) if service.plan and service.plan.name
         else "—"),
        ("Vendor", escape_mrkdwn(service.vendor_name or "—")),
        ("Status", humanize_status(service.status)),
    ]
