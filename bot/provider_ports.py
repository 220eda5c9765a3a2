"""The seams every approval system sits behind: reading approvals (`Provider`), filing from Slack
(`Filer`), deciding in Slack (`Decider`), sweeping (`Sweepable`) and managing templates
(`TemplateManager`). They are declared here, below the use cases that call them, so a provider that
implements them imports downward only, and the Slack edge that calls them imports no provider."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from bot.forms import FilledForm, Template, UploadedFile
from bot.model import Snapshot


class ProviderError(Exception):
    """A provider could not answer; the message is fit to show a user."""


@dataclass(frozen=True)
class Capabilities:
    """What a kind of approval system can do, declared by its provider so that the Slack edge and the
    wiring ask these questions instead of naming providers. Whether a capability is in use also depends
    on the configuration (credentials, callbacks enabled): the setup registers only the parts it built."""

    files: bool = False  # accepts requests filed from Slack (a Filer)
    decides_in_slack: bool = False  # approvers decide with buttons in Slack; applicants urge and revoke there
    calls_back: bool = False  # tells the bot of changes as they happen (callbacks journaled to the inbox)
    sweeps: bool = False  # is read on a schedule for what changed (a Sweepable)
    # what it reports of a change lacks the form, read apart with `fetch_details` (queued, paced)
    reads_details: bool = False


class Provider(Protocol):
    name: str  # the Snapshot.provider values it owns, e.g. "wecom"
    identity: str  # whose user ids its snapshots carry: "wecom", "fxiaoke" or "slack"
    capabilities: Capabilities

    def display_name(self, lang: str) -> str:
        """What people call the system its approvals live in, in `lang` (shown on cards)."""

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


@dataclass(frozen=True)
class ControlSpec:
    """One control as a template editor asks for it, before the provider gives it an id and its shapes."""

    kind: str
    title: str
    placeholder: str = ""
    required: bool = False
    options: tuple[str, ...] = ()
    multiple: bool = False
    date_type: str = "day"
    contact_mode: str = "user"
    columns: tuple[tuple[str, str], ...] = ()  # (kind, title)
    attendance_type: int = 3
    span_unit: str = "halfday"
    tips: str = ""


@dataclass(frozen=True)
class KindField:
    """What an editor must ask for one kind of control, beyond title, placeholder and "required"."""

    name: str  # the ControlSpec field it fills: "options", "multiple", "span_unit", ...
    choices: Mapping[str, str] = field(default_factory=dict)  # value -> i18n key suffix; {} when typed


@dataclass(frozen=True)
class ControlOutline:
    """One control of a template body as an editor lists it, in plain text."""

    control_id: str  # "" when the body gives it none
    kind: str
    title: str


@dataclass(frozen=True)
class TemplateOutline:
    """A template body as an editor shows it: its name and its top-level controls, in plain text, so the
    Slack edge reads no provider's body shape ("" for what a pasted body lacks)."""

    name: str
    controls: tuple[ControlOutline, ...] = ()


class TemplateManager(Protocol):
    """Creates and updates a provider's templates; callers run `problems()` first so the
    provider is never called with a body it would refuse. A body is the provider's own shape: the
    editor builds it through `with_name`, `add_control` and `remove_control`, never by hand."""

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

    def outline(self, body: Mapping[str, Any]) -> TemplateOutline:
        """`body`'s name and controls in plain text, for the editor to list (any body: it may be pasted)."""

    def control_kinds(self) -> list[str]:
        """The control kinds a template may hold, for the builder modal."""

    def kind_fields(self, kind: str) -> tuple[KindField, ...]:
        """What the editor asks for a control of `kind`, in order."""

    def with_name(self, body: Mapping[str, Any], name: str) -> dict[str, Any]:
        """`body` named `name`."""

    def add_control(self, body: Mapping[str, Any], spec: ControlSpec) -> tuple[dict[str, Any], str]:
        """`body` with the spec's control appended under a new id, and that id."""

    def remove_control(self, body: Mapping[str, Any], control_id: str) -> dict[str, Any]:
        """`body` without the control `control_id`."""

    def control_ids(self, body: Mapping[str, Any]) -> set[str]:
        """Every control id in `body`, nested ones (a table's columns) included."""


# filing from Slack ---------------------------------------------------------------


class FilingRefused(Exception):
    """The provider understood the request and said no; the message is plain text fit for the applicant
    (escaped wherever it is shown as mrkdwn: it often quotes the provider)."""


class FilingUncertain(Exception):
    """No answer: the provider may or may not have filed the request."""


class Filer(Protocol):
    """What a provider implements to accept requests filed from Slack."""

    name: str
    identity: str

    def template(self, template_id: str, alias: str) -> Template:
        """The form for `alias` (`template_id` in the provider)."""

    def file(
        self,
        form: FilledForm,
        creator: str,
        people: Callable[[str], tuple[str, str]],
        fetch: Callable[[UploadedFile], bytes],
    ) -> str | Snapshot:
        """Files the request as `creator` (a provider user id); returns its number, or the whole new
        approval when the filer runs the flow itself (the embedded engine)."""

    def find_filed(
        self, form: FilledForm, creator: str, since: int, taken: Callable[[str], bool]
    ) -> str | None:
        """The number of a request like this one filed by `creator` since `since`, if any, and not
        `taken` (already another filing's: the same person may file twice in seconds)."""


@dataclass(frozen=True)
class CatalogEntry:
    alias: str
    provider: str
    template_id: str


def merge_catalog(
    defaults: Mapping[str, CatalogEntry], tracked: Iterable[Mapping[str, Any]], providers: Collection[str]
) -> dict[str, CatalogEntry]:
    """The config's entries as defaults, then what admins tracked (for `providers`) or untracked."""
    entries = dict(defaults)
    for doc in tracked:
        if doc.get("untracked"):
            entries.pop(doc["alias"], None)
        elif doc["provider"] in providers:
            entries[doc["alias"]] = CatalogEntry(doc["alias"], doc["provider"], doc["template_id"])
    return entries


# deciding in Slack ----------------------------------------------------------------


class DecisionRefused(Exception):
    """A decision was not applied; the subclass says why (shown to the person who asked)."""


class UnknownApproval(DecisionRefused):
    """No approval the decider runs has that key."""


class NotAllowed(DecisionRefused):
    """Someone asked for something the rules forbid; `reason` is a short key the edge words.

    `decided_by` / `decided_at` say who settled the step, and when, if the person came too late because of
    someone else (a colleague approved an 或签 step first)."""

    def __init__(self, reason: str, *, decided_by: str | None = None, decided_at: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.decided_by = decided_by
        self.decided_at = decided_at


class Decider(Protocol):
    """What a provider whose approvers decide in Slack (`Capabilities.decides_in_slack`) implements:
    the buttons and the approve page act through it, never through the engine behind it."""

    def current(self, key: str) -> Snapshot:
        """The approval `key` as it stands; raises UnknownApproval."""

    def act(self, key: str, actor: str, operation: str, **details: Any) -> Snapshot:
        """Applies one decision by `actor` (approve, reject, transfer, ...) and returns the new state;
        raises NotAllowed (with the reason) when they may not, UnknownApproval for an unknown key."""

    def expire(self, key: str) -> Snapshot:
        """Ends the approval as expired, by the system (its template's `expire_after_hours` passed);
        raises NotAllowed("final") when it has ended already, UnknownApproval for an unknown key."""


# sweeps --------------------------------------------------------------------------


@dataclass
class SweepResult:
    snapshots: list[Snapshot]  # the state of every approval the sweep looked at in detail
    state: dict[str, Any]  # what the provider wants back next time (watermark, rotation...)
    reads: int = 0  # detail reads spent


class Sweepable(Protocol):
    name: str  # the Snapshot.provider it sweeps

    def sweep(self, state: dict[str, Any] | None, tracked: list[Snapshot], now: int) -> SweepResult:
        """What changed since `state` (None on the first sweep), given the approvals still tracked."""
