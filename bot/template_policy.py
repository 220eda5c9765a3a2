"""What a team decided about one template's requests beyond its form and flow: who hears when a step
waits too long, when a request expires, which channel shows it, and which requests a rule approves.

Every provider reads the same keys from beside its own template declaration (the embedded engine
inline in [[local.templates]], WeCom in [wecom.policies.<alias>], FXiaoKe in
[fxiaoke.policies."<approvalFormId>"]) and declares the result keyed by (provider, template id), so
the use cases look a policy up by a snapshot and never name a provider.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, fields, replace
from typing import Any

from bot.model import Snapshot

log = logging.getLogger(__name__)


class PolicyConfigError(ValueError):
    """A policy key that cannot work, explained in plain words."""


@dataclass(frozen=True)
class TemplatePolicy:
    # hours the current step may wait before `escalate_to` is told, with the card
    escalate_after_hours: float | None = None
    escalate_to: str = ""  # a Slack user id or a channel id
    # hours after filing when the request ends as expired (embedded) or is marked overdue (elsewhere)
    expire_after_hours: float | None = None
    # a channel (an id, C…/G…, or "#name", resolved when the card is first sent) the request card is
    # posted to and kept up to date in
    channel: str = ""
    direct_messages: bool = True  # false: with a channel, the cards are not also sent as DMs
    auto_approve: tuple[Mapping[str, Any], ...] = ()  # rule tables, read by the rules module


POLICY_KEYS = frozenset(f.name for f in fields(TemplatePolicy))
NO_POLICY = TemplatePolicy()
# what admins may change from Slack (`/approval-admin policy`), over what the config says
ADMIN_KEYS = ("escalate_after_hours", "escalate_to", "expire_after_hours")
# a person (U…/W…) or a channel (C…/G…): whoever is told when a step waits too long
_ESCALATION_TARGET = re.compile(r"[UWCG][A-Z0-9]{2,}")
_CLEARED = frozenset({"off", "none", "-"})
# What a `channel` may be: a channel id, or a channel's name as Slack allows it (lower case, at most 80).
# Only the shape is checked offline; whether the channel exists and the bot is in it shows at delivery.
CHANNEL_ID = re.compile(r"[CG][A-Z0-9]{2,}")
CHANNEL_NAME = re.compile(r"#[a-z0-9][a-z0-9._-]{0,79}")


def policy_from_config(raw: Mapping[str, Any], where: str) -> TemplatePolicy:
    """The policy keys of one template's table (other keys are left to the caller); a value of the
    wrong type raises `PolicyConfigError`."""
    values: dict[str, Any] = {}
    for key in POLICY_KEYS & raw.keys():
        values[key] = _checked(key, raw[key], f"{where}: {key}")
    return _coherent(TemplatePolicy(**values), where)


def _coherent(policy: TemplatePolicy, where: str) -> TemplatePolicy:
    """Escalation needs both its keys: a time without anyone to tell (Slack gives the bot no manager to
    fall back on), or someone to tell without a time, would silently do nothing."""
    if policy.escalate_after_hours is not None and not policy.escalate_to:
        raise PolicyConfigError(
            f"{where}: escalate_after_hours needs escalate_to (a Slack user or channel id)"
        )
    if policy.escalate_to and policy.escalate_after_hours is None:
        raise PolicyConfigError(f"{where}: escalate_to needs escalate_after_hours (how long a step may wait)")
    if not policy.direct_messages and not policy.channel:
        raise PolicyConfigError(
            f"{where}: direct_messages = false needs a channel: without one nobody would be told"
        )
    return policy


def _checked(key: str, value: Any, where: str) -> Any:
    if key.endswith("_hours"):
        if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
            raise PolicyConfigError(f"{where} must be a number of hours above 0, got {value!r}")
        return float(value)
    if key == "direct_messages":
        if not isinstance(value, bool):
            raise PolicyConfigError(f"{where} must be true or false, got {value!r}")
        return value
    if key == "auto_approve":
        if not isinstance(value, list) or not all(isinstance(rule, Mapping) for rule in value):
            raise PolicyConfigError(f"{where} must be a list of rule tables")
        return tuple(value)
    if not isinstance(value, str):
        raise PolicyConfigError(f"{where} must be a string, got {value!r}")
    if key == "escalate_to" and not _ESCALATION_TARGET.fullmatch(value.strip()):
        raise PolicyConfigError(
            f"{where} must be a Slack user id (U012ABC) or channel id (C012ABC), got {value!r}"
            " (a #name is not looked up: use the channel's id, shown in its details)"
        )
    if key == "channel":
        return _channel(value.strip(), where)
    return value.strip()


def _channel(value: str, where: str) -> str:
    """A channel id or "#name" (only its shape: whether Slack has it is known when the card is sent)."""
    if value and not (CHANNEL_ID.fullmatch(value) or CHANNEL_NAME.fullmatch(value)):
        raise PolicyConfigError(
            f'{where} must be a channel id (C… or G…) or a channel name like "#finance-approvals", '
            f"got {value!r}"
        )
    return value


def overridden(policy: TemplatePolicy, values: Mapping[str, Any], where: str) -> TemplatePolicy:
    """`policy` with an admin's stored `values` on top; raises `PolicyConfigError` when a value or the
    result cannot work, as for the config."""
    changes: dict[str, Any] = {}
    for key, value in values.items():
        if key not in ADMIN_KEYS:
            raise PolicyConfigError(
                f"{where}: {key!r} cannot be changed here; known are {', '.join(ADMIN_KEYS)}"
            )
        changes[key] = _checked(key, value, f"{where}: {key}")
    return _coherent(replace(policy, **changes), where)


def parse_overrides(words: Iterable[str]) -> dict[str, Any]:
    """`key=value` words as an admin types them: hours as numbers, `off` (None) for the config's value. Raises
    `PolicyConfigError` for a word that is no such pair or a value that is no number of hours."""
    values: dict[str, Any] = {}
    for word in words:
        key, sep, raw = word.partition("=")
        if not sep or key not in ADMIN_KEYS or not raw:
            raise PolicyConfigError(f"{word!r} is not one of {', '.join(k + '=…' for k in ADMIN_KEYS)}")
        if raw.lower() in _CLEARED:
            values[key] = None
        elif key.endswith("_hours"):
            try:
                values[key] = float(raw)
            except ValueError:
                raise PolicyConfigError(f"{key} must be a number of hours, got {raw!r}") from None
        else:
            values[key] = raw
    return values


class Policies:
    """Every template's policy, by (provider, template id); templates without one get `NO_POLICY`."""

    def __init__(self, by_template: Mapping[tuple[str, str], TemplatePolicy] | None = None) -> None:
        self._by_template = dict(by_template or {})

    def of(self, provider: str, template_id: str) -> TemplatePolicy:
        return self._by_template.get((provider, template_id), NO_POLICY)

    def for_snapshot(self, snap: Snapshot) -> TemplatePolicy:
        return self.of(snap.provider, snap.template_id)

    def __iter__(self) -> Iterator[tuple[tuple[str, str], TemplatePolicy]]:
        return iter(self._by_template.items())

    def with_overrides(self, stored: Iterable[Mapping[str, Any]]) -> Policies:
        """These policies with what admins stored on top (`/approval-admin policy`), which wins over the
        config. A stored override that no longer fits (the config changed beneath it) is skipped, with a
        warning saying why: the config's policy holds."""
        by_template = dict(self._by_template)
        for doc in stored:
            template = (doc["provider"], doc["template_id"])
            try:
                by_template[template] = overridden(self.of(*template), doc["values"], doc["template"])
            except PolicyConfigError as exc:
                log.warning(
                    "stored policy override skipped", extra={"template": doc["template"], "why": str(exc)}
                )
        return Policies(by_template)


def policies_by_template(
    section: str, tables: Mapping[str, Any], templates: Mapping[str, tuple[str, str]]
) -> dict[tuple[str, str], TemplatePolicy]:
    """A provider's `[<section>.<name>]` policy tables, keyed by the (provider, template id) that
    `templates` maps each name to; an unknown name or key raises `PolicyConfigError`."""
    policies = {}
    for name, raw in tables.items():
        where = f"[{section}.{name}]"
        if name not in templates:
            raise PolicyConfigError(f"{where} names no template this provider offers")
        if not isinstance(raw, Mapping):
            raise PolicyConfigError(f"{where} must be a table")
        if unknown := sorted(raw.keys() - POLICY_KEYS):
            raise PolicyConfigError(f"{where}: unknown key {unknown[0]!r}")
        if "auto_approve" in raw:  # the bot approves only where it runs the flow itself
            raise PolicyConfigError(
                f"{where}: auto_approve works only for embedded-engine templates ([[local.templates]])"
            )
        policies[templates[name]] = policy_from_config(raw, where)
    return policies
