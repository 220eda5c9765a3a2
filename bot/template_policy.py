"""What a team decided about one template's requests beyond its form and flow: who hears when a step
waits too long, when a request expires, which channel shows it, and which requests a rule approves.

Every provider reads the same keys from beside its own template declaration (the embedded engine
inline in [[local.templates]], WeCom in [wecom.policies.<alias>], FXiaoKe in
[fxiaoke.policies."<approvalFormId>"]) and declares the result keyed by (provider, template id), so
the use cases look a policy up by a snapshot and never name a provider.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, fields
from typing import Any

from bot.model import Snapshot


class PolicyConfigError(ValueError):
    """A policy key that cannot work, explained in plain words."""


@dataclass(frozen=True)
class TemplatePolicy:
    # hours the current step may wait before `escalate_to` is told, with the card
    escalate_after_hours: float | None = None
    escalate_to: str = ""  # a Slack user id or a channel id
    # hours after filing when the request ends as expired (embedded) or is marked overdue (elsewhere)
    expire_after_hours: float | None = None
    channel: str = ""  # a channel id the request card is posted to and kept up to date in
    direct_messages: bool = True  # false: with a channel, the cards are not also sent as DMs
    auto_approve: tuple[Mapping[str, Any], ...] = ()  # rule tables, read by the rules module


POLICY_KEYS = frozenset(f.name for f in fields(TemplatePolicy))
NO_POLICY = TemplatePolicy()


def policy_from_config(raw: Mapping[str, Any], where: str) -> TemplatePolicy:
    """The policy keys of one template's table (other keys are left to the caller); a value of the
    wrong type raises `PolicyConfigError`."""
    values: dict[str, Any] = {}
    for key in POLICY_KEYS & raw.keys():
        values[key] = _checked(key, raw[key], f"{where}: {key}")
    return TemplatePolicy(**values)


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
    return value.strip()


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
