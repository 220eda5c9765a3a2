"""The one seam every approval system sits behind."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from bot.model import Snapshot


class ProviderError(Exception):
    """A provider could not answer; the message is fit to show a user."""


class Provider(Protocol):
    name: str  # the Snapshot.provider values it owns, e.g. "wecom"
    identity: str  # whose user ids its snapshots carry: "wecom", "fxiaoke" or "slack"

    def fetch_details(self, snap: Snapshot) -> Snapshot:
        """The snapshot completed with form fields and summary; raises ProviderError."""

    def approval_link(self, snap: Snapshot, approver: str | None = None) -> str | None:
        """Where to act on this approval, if anywhere; `approver` (a provider user id) when the
        link is for one approver's card, so it can be made for them alone."""

    def email_of(self, user_id: str) -> str | None:
        """The user's email, for mapping to Slack; None when unknown."""


@dataclass(frozen=True)
class TemplateProblem:
    """One reason a template body would be refused, named beside the control it concerns."""

    where: str  # "template_name", a control id like "Text-01", or "control 3" when it has no usable id
    key: str  # i18n key suffix: the text is t(f"template.problem.{key}", lang, **params)
    params: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ControlChange:
    """How one control differs between a template's live body and the one about to be sent."""

    kind: str  # "added" | "removed" | "changed"
    control_id: str
    title: str
    details: tuple[str, ...] = ()  # what changed, e.g. ("title", "require", "config")


class TemplateManager(Protocol):
    """Creates and updates a provider's templates; callers run `problems()` first so the
    provider is never called with a body it would refuse."""

    provider: str

    def problems(
        self, body: Mapping[str, Any], known_names: Collection[str], *, updating: bool
    ) -> list[TemplateProblem]:
        """Everything wrong with `body`, each named beside its control; [] when it may be sent."""

    def create(self, body: Mapping[str, Any]) -> str:
        """The new template's id; raises ProviderError (plain words) when refused."""

    def update(self, body: Mapping[str, Any]) -> None:
        """Replaces the template `body["template_id"]`; raises ProviderError when refused."""

    def current_body(self, template_id: str) -> dict[str, Any]:
        """The live template as a create/update body, for diffs; raises ProviderError."""

    def diff(self, old: Mapping[str, Any], new: Mapping[str, Any]) -> list[ControlChange]:
        """The controls added, removed or changed from `old` to `new`, compared by id."""

    def control_kinds(self) -> list[str]:
        """The control kinds a template may hold, for the builder modal."""
