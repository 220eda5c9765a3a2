"""Every approval the bot knows, as rows for a spreadsheet or a program: what `approvals-bot export`
prints and what `/approval-admin export` uploads. Read from disk, read-only, so it is safe beside a
running `serve`."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from bot.codec import snapshot_from_dict
from bot.model import Node
from bot.store import ApprovalsReader

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
EXPORT_COLUMNS = ["number", "provider", "template", "applicant", "status", "nodes", "applied", "updated"]
EXPORT_FORMATS = ("json", "csv")


def export_rows(approvals: ApprovalsReader) -> list[dict[str, Any]]:
    """One row per approval the reader knows (the CLI's includes callbacks acknowledged but not applied)."""
    rows = []
    for doc in approvals.all_approvals():
        snap = snapshot_from_dict(doc["snapshot"])
        rows.append(
            {
                "number": snap.number,
                "provider": snap.provider,
                "template": snap.template_name,
                "applicant": snap.applicant,
                "status": snap.status.name.lower(),
                "nodes": [
                    {
                        "type": node.type.name.lower(),
                        "mode": node.mode.name.lower(),
                        "status": node.status.name.lower(),
                        "members": [
                            {
                                "user": m.user_id,
                                "status": m.status.name.lower(),
                                "time": m.time,
                                "speech": m.speech,
                            }
                            for m in node.members
                        ],
                        **_ruled(node),
                    }
                    for node in snap.nodes
                ],
                "applied": snap.apply_time,
                "updated": int(doc.get("updated", 0)),
            }
        )
    return sorted(rows, key=lambda r: (r["applied"], r["number"]))


def render_export(rows: list[dict[str, Any]], fmt: str) -> str:
    """The rows as JSON (nested nodes) or CSV (one line per approval, nodes in one cell)."""
    if fmt == "json":
        return json.dumps(rows, ensure_ascii=False, indent=2) + "\n"
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=EXPORT_COLUMNS)
    writer.writeheader()
    for row in rows:
        cells = {**row, "nodes": _nodes_text(row["nodes"])}
        writer.writerow({column: csv_cell(value) for column, value in cells.items()})
    return out.getvalue()


def csv_cell(value: Any) -> str:
    """A cell a spreadsheet shows as text: one starting like a formula gets a leading ' (OWASP CSV
    injection), since template names and user ids come from outside the bot."""
    text = str(value)
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def _ruled(node: Node) -> dict[str, Any]:
    """A step an auto_approve rule approved says which rule, and when (its people were not asked)."""
    return {"approved_by_rule": node.rule, "ruled_at": node.ruled_at} if node.ruled_at else {}


def _nodes_text(nodes: list[dict[str, Any]]) -> str:
    """Nodes in one CSV cell: 'approver/all: alice=approved, bob=pending | cc/all: carol=pending'; a step a
    rule approved: 'approver/all, approved by rule small purchases: alice=pending'."""
    return " | ".join(
        f"{n['type']}/{n['mode']}"
        + (f", approved by rule {n['approved_by_rule']}" if "approved_by_rule" in n else "")
        + ": "
        + ", ".join(f"{m['user']}={m['status']}" for m in n["members"])
        for n in nodes
    )
