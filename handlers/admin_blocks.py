"""Block Kit for `/approval-admin` answers: each a short, ephemeral message rendered from the plain data
`bot.admin` returns. Everything that came from outside (ids, names, provider errors) is escaped."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from bot.admin import (
    ExportFile,
    Health,
    Identity,
    OutboxReport,
    PolicyReport,
    Reminded,
    Stats,
    StatusReport,
    SyncResult,
    TemplateRow,
)
from bot.auto_approve import Rule
from bot.i18n import t
from bot.sweep import SweepReport
from bot.template_policy import ADMIN_KEYS, TemplatePolicy
from handlers.cards import (
    NO_WATCH,
    Venue,
    Watch,
    applicant_card,
    context,
    date_token,
    hours_text,
    mention,
    sections,
    target_text,
    user_text,
)

MAX_BLOCKS = 50  # Slack's limit for a message
ID_LIMIT = 80
NAME_LIMIT = 80
ERROR_LIMIT = 300
HELP_ORDER = (
    "help",
    "templates",
    "track",
    "untrack",
    "template",
    "map",
    "away",
    "back",
    "unmap",
    "whois",
    "status",
    "remind",
    "sweep",
    "outbox",
    "stats",
    "export",
    "health",
    "policy",
)

Message = dict[str, Any]


def message(lines: Sequence[str], *, note: str = "") -> Message:
    """Lines packed into as few sections as Slack allows, with an optional context note below."""
    blocks = sections(lines)[: MAX_BLOCKS - 1]
    if note:
        blocks.append(context(note))
    return {"text": blocks[0]["text"]["text"] if lines else note, "blocks": blocks}


def text(raw: Any, limit: int = ID_LIMIT) -> str:
    return user_text(str(raw), limit)


def help_message(lang: str) -> Message:
    return message(
        [t("admin.help_header", lang), *(f"• {t(f'admin.help.{sub}', lang)}" for sub in HELP_ORDER)]
    )


def usage(sub: str, lang: str) -> Message:
    return message([t("admin.usage", lang, usage=t(f"admin.help.{sub}", lang))])


def unknown(sub: str, lang: str) -> Message:
    return message([t("admin.unknown_sub", lang, sub=text(sub, 40))], note=t("admin.help.help", lang))


def refusal(key: str, params: dict[str, Any], lang: str) -> Message:
    """An `AdminRefused`, its parameters escaped (they quote the command and the providers)."""
    return message(
        [t(f"admin.{key}", lang, **{name: text(value, ERROR_LIMIT) for name, value in params.items()})]
    )


def plain(key: str, lang: str, **params: Any) -> Message:
    return message([t(key, lang, **{name: text(value, ERROR_LIMIT) for name, value in params.items()})])


def templates_message(
    rows: Sequence[TemplateRow], lang: str, failed: dict[str, str] | None = None
) -> Message:
    if not rows:
        return message([t("admin.templates_empty", lang)])
    lines = [t("admin.templates_header", lang, count=len(rows))]
    lines += [line for row in rows for line in (f"• {_template_row(row, lang)}", *_rules(row, lang))]
    lines += [
        t("admin.sync_failed", lang, alias=text(alias), error=text(why, ERROR_LIMIT))
        for alias, why in (failed or {}).items()
    ]
    return message(lines)


def sync_message(result: SyncResult, lang: str) -> Message:
    return templates_message(result.rows, lang, result.failed)


def _template_row(row: TemplateRow, lang: str) -> str:
    summary = policy_summary(row.policy, lang)
    return _template_facts(row, lang) + (f" · {summary}" if summary else "")


def policy_summary(policy: TemplatePolicy, lang: str) -> str:
    """A template's escalation and expiry in a few words, or "" when it has neither."""
    parts = []
    if policy.escalate_after_hours is not None:
        hours = hours_text(policy.escalate_after_hours)
        parts.append(t("admin.policy_escalate", lang, hours=hours, to=target_text(policy.escalate_to)))
    if policy.expire_after_hours is not None:
        parts.append(t("admin.policy_expire", lang, hours=hours_text(policy.expire_after_hours)))
    return t("admin.policy_summary", lang, summary=" · ".join(parts)) if parts else ""


def policy_message(report: PolicyReport, lang: str) -> Message:
    """Each key that can be changed here, its value and whether it comes from the config or an admin."""
    lines = [
        t(
            "admin.policy_header",
            lang,
            alias=text(report.alias),
            provider=text(report.provider),
            template_id=text(report.template_id),
        )
    ]
    for key in ADMIN_KEYS:
        value = getattr(report.policy, key)
        if value is None or value == "":
            shown = t("admin.policy_unset", lang)
        else:
            shown = target_text(value) if key == "escalate_to" else hours_text(value)
        source = t(f"admin.policy_source.{'admin' if key in report.overridden else 'config'}", lang)
        lines.append(t("admin.policy_row", lang, name=key, value=shown, source=source))
    return message(lines)


def _template_facts(row: TemplateRow, lang: str) -> str:
    return t(
        "admin.template_row",
        lang,
        alias=text(row.alias),
        name=text(row.name or "—", NAME_LIMIT),
        template_id=text(row.template_id),
        provider=text(row.provider),
        controls="?" if row.controls is None else row.controls,
        synced=date_token(row.synced or 0),
        source=t(f"admin.source.{row.source}", lang),
    )


def _rules(row: TemplateRow, lang: str) -> list[str]:
    """Each auto_approve rule of a template in words: what it approves, and when."""
    return [
        t(
            "admin.rule",
            lang,
            name=text(rule.name, NAME_LIMIT),
            steps=_steps(rule, lang),
            when=_when(rule, lang),
        )
        for rule in row.rules
    ]


def _steps(rule: Rule, lang: str) -> str:
    if not rule.steps:
        return t("admin.rule.first_step", lang)
    return t("admin.rule.steps", lang, steps=", ".join(map(str, rule.steps)))


def _when(rule: Rule, lang: str) -> str:
    parts = [
        t(
            "admin.rule.condition",
            lang,
            control=f"`{text(c.control)}`",
            op=_op(c.op, lang),
            value=_value(c.value),
        )
        for c in rule.when
    ]
    if rule.applicant_in:
        who = ", ".join(_who(who) for who in rule.applicant_in)
        parts.append(t("admin.rule.applicant_in", lang, who=who))
    return t("admin.rule.and", lang).join(parts)


_OP_SIGNS = {"<": "<", "<=": "≤", ">": ">", ">=": "≥", "==": "=", "!=": "≠"}


def _op(op: str, lang: str) -> str:
    return _OP_SIGNS.get(op) or t(f"admin.rule.op.{op}", lang)


def _value(value: object) -> str:
    if isinstance(value, tuple):
        return ", ".join(f"`{text(v)}`" for v in value)
    return f"`{text(value)}`"


def _who(user_or_group: str) -> str:
    """A live mention of a user (U…) or a user group (S…): the config's ids, shaped-checked at load."""
    if user_or_group.startswith("S"):
        return f"<!subteam^{user_or_group}>"
    return mention(user_or_group)


def tracked_message(row: TemplateRow, lang: str) -> Message:
    return message(
        [
            t(
                "admin.tracked",
                lang,
                alias=text(row.alias),
                name=text(row.name or row.template_id, NAME_LIMIT),
                template_id=text(row.template_id),
                provider=text(row.provider),
                controls="?" if row.controls is None else row.controls,
            )
        ]
    )


def mapped_message(found: Identity, lang: str, *, removed: bool = False) -> Message:
    key = "admin.unmapped" if removed else "admin.mapped"
    return message(
        [
            t(
                key,
                lang,
                user=found.slack_id,
                provider=text(found.provider),
                provider_id=text(found.provider_id),
            )
        ]
    )


def whois_message(user: str, found: Sequence[Identity], lang: str) -> Message:
    lines = [t("admin.whois_header", lang, user=user)]
    for identity in found:
        source = t(f"admin.whois_source.{identity.source}", lang)
        if identity.provider_id:
            lines.append(
                t(
                    "admin.whois_line",
                    lang,
                    provider=text(identity.provider),
                    provider_id=text(identity.provider_id),
                    source=source,
                )
            )
        else:
            lines.append(t("admin.whois_nobody", lang, provider=text(identity.provider), source=source))
    return message(lines)


def status_message(
    report: StatusReport,
    venue: Venue,
    live: Callable[[Message], Message],
    lang: str,
    watch: Watch = NO_WATCH,
) -> Message:
    """The approval as its applicant's card shows it (whole timeline, how long it waited), links live."""
    card = applicant_card(report.snapshot, report.names.get, lang, report.link, venue, watch=watch)
    return live({"text": card.text, "blocks": list(card.blocks)})


def reminded_message(reminded: Reminded, lang: str) -> Message:
    key = "admin.reminded" if reminded.nudged else "admin.reminded_nobody"
    return message([t(key, lang, number=text(reminded.number), count=reminded.nudged)])


def sweep_message(reports: Sequence[SweepReport], lang: str) -> Message:
    lines = []
    for report in reports:
        if report.error:
            lines.append(
                t("admin.sweep_error", lang, provider=text(report.provider), error=text(report.error))
            )
            continue
        line = t(
            "admin.sweep_line",
            lang,
            provider=text(report.provider),
            looked_at=report.looked_at,
            changed=report.changed,
            reads=report.reads,
        )
        lines.append(line + (t("admin.sweep_first", lang) if report.first else ""))
    return message(lines)


def outbox_message(report: OutboxReport, lang: str) -> Message:
    lines = [
        t(
            "admin.outbox_summary",
            lang,
            waiting=report.waiting,
            held=len(report.held),
            failed=len(report.failed),
        )
    ]
    lines += [
        t(
            "admin.outbox_held",
            lang,
            kind=text(item.kind),
            recipient=_recipient(item.recipient),
            since=date_token(int(item.created)),
            why=text(item.held),
        )
        for item in report.held[:10]
    ]
    if report.fix:
        lines.append(t("admin.outbox_fix", lang, fix=text(report.fix, ERROR_LIMIT)))
    lines += [
        t(
            "admin.outbox_failed",
            lang,
            kind=text(failure.get("kind", "")),
            recipient=_recipient(failure.get("recipient", "")),
            at=date_token(int(failure.get("at", 0))),
            reason=text(failure.get("reason", "")),
        )
        for failure in report.failed
    ]
    return message(lines, note=t("admin.outbox_retry_hint", lang) if report.held else "")


def _recipient(recipient: str) -> str:
    """A Slack user as a mention; anything else (a channel, a provider's user id) as escaped text."""
    return mention(recipient)


def stats_message(stats: Stats, lang: str) -> Message:
    lines = [t("admin.stats_header", lang, days=stats.days, total=stats.total)]
    for template, counts in stats.by_template.items():
        summary = ", ".join(f"{status} {count}" for status, count in sorted(counts.items()))
        lines.append(
            t("admin.stats_template", lang, template=text(template or "—", NAME_LIMIT), counts=summary)
        )
    if stats.median_decision_seconds is None:
        lines.append(t("admin.stats_no_decisions", lang))
    else:
        lines.append(t("admin.stats_median", lang, duration=duration(stats.median_decision_seconds)))
    if stats.slowest:
        lines.append(t("admin.stats_slowest", lang))
        lines += [
            t("admin.stats_slow_line", lang, who=_recipient(who), duration=duration(wait), count=count)
            for who, wait, count in stats.slowest
        ]
    lines.append(t("admin.stats_pending", lang))
    if not stats.pending:
        lines.append(t("admin.stats_nothing_pending", lang))
    now = stats.now
    lines += [
        t(
            "admin.stats_pending_line",
            lang,
            number=text(item.number),
            template=text(item.template, NAME_LIMIT),
            who=", ".join(_recipient(who) for who in item.waiting_on[:5]),
            duration=duration(now - item.since),
        )
        for item in stats.pending
    ]
    return message(lines)


def exported_message(file: ExportFile, lang: str) -> Message:
    return message([t("admin.exported", lang, rows=file.rows, filename=text(file.filename))])


def health_message(health: Health, lang: str) -> Message:
    lines = [t("admin.health_header", lang, version=text(health.version))]
    lines += [t("admin.health_problem", lang, problem=text(p, ERROR_LIMIT)) for p in health.problems]
    if not health.problems:
        lines.append(t("admin.health_ok", lang))
    lines.append(t("admin.health_providers", lang, providers=", ".join(text(p) for p in health.providers)))
    for provider, state in sorted(health.tokens.items()):
        token = state.get("token") if isinstance(state, dict) else state
        lines.append(t("admin.health_token", lang, provider=text(provider), state=text(_token_text(token))))
    for provider, report in sorted(health.sweeps.items()):
        if not report:
            lines.append(t("admin.health_never_swept", lang, provider=text(provider)))
            continue
        result = (
            text(report["error"], ERROR_LIMIT)
            if report.get("error")
            else t(
                "admin.sweep_line",
                lang,
                provider="",
                looked_at=report.get("looked_at", 0),
                changed=report.get("changed", 0),
                reads=report.get("reads", 0),
            ).lstrip(": ：")
        )
        lines.append(
            t(
                "admin.health_sweep",
                lang,
                provider=text(provider),
                at=date_token(report.get("at", 0)),
                result=result,
            )
        )
    lines.append(
        t(
            "admin.health_outbox",
            lang,
            backlog=health.outbox_backlog,
            held=health.outbox_held,
            failed=health.failed_deliveries,
        )
    )
    lines.append(t("admin.health_details", lang, count=health.details_wanted))
    lines.append(t("admin.health_store", lang, size=size_text(health.store_bytes)))
    return message(lines)


def _token_text(token: Any) -> str:
    """A provider's token state (never the token) in a few words: `held, 6912 s left`."""
    if isinstance(token, dict):
        return ", ".join(f"{key} {value}" for key, value in token.items())
    return str(token)


def duration(seconds: float) -> str:
    """Seconds as people say it: 3d 4h, 2h 5m, 12m, 40s."""
    seconds = int(max(0, seconds))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes}m"
    return f"{minutes}m" if minutes else f"{secs}s"


def size_text(size: int) -> str:
    for unit in ("B", "KB", "MB"):
        if size < 1024:
            return f"{size} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024  # type: ignore[assignment]
    return f"{size:.1f} GB"
