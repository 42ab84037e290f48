"""``python -m bot audit --since YYYY-MM-DD --format csv|jsonl``: the audit trail, exported."""

from __future__ import annotations

import csv
import json
import sys
from datetime import UTC, date, datetime
from typing import TextIO

from bot.settings import Settings
from bot.storage.database import create_engine, migrate
from bot.storage.requests import RequestRepository

COLUMNS = ["id", "at", "request_id", "actor", "event", "detail"]


async def export_audit(settings: Settings, since: date, fmt: str, out: TextIO = sys.stdout
                       ) -> int:
    engine = create_engine(settings.DATABASE_URL)
    try:
        await migrate(engine)
        rows = await RequestRepository(engine).audit_since(
            datetime(since.year, since.month, since.day, tzinfo=UTC))
    finally:
        await engine.dispose()
    records = [{"id": r.id, "at": r.at.isoformat(), "request_id": r.request_id,
                "actor": r.actor, "event": r.event, "detail": r.detail or {}} for r in rows]
    if fmt == "csv":
        writer = csv.DictWriter(out, fieldnames=COLUMNS)
        writer.writeheader()
        for record in records:
            writer.writerow({**record, "detail": json.dumps(record["detail"], sort_keys=True)})
    else:
        for record in records:
            out.write(json.dumps(record, sort_keys=True) + "\n")
    return len(records)
