"""The old one-class face of the store, delegating to its repositories: gone once every caller moved."""

from __future__ import annotations

from typing import Any


class LegacyStoreMethods:
    # each repository is an attribute of the class that mixes this in

    def get_approval(self, *args: Any, **kwargs: Any) -> Any:
        return self.approvals.get(*args, **kwargs)  # type: ignore[attr-defined]

    def put_approval(self, *args: Any, **kwargs: Any) -> Any:
        return self.approvals.put(*args, **kwargs)  # type: ignore[attr-defined]

    def open_approvals(self, *args: Any, **kwargs: Any) -> Any:
        return self.approvals.open(*args, **kwargs)  # type: ignore[attr-defined]

    def recent_approvals(self, *args: Any, **kwargs: Any) -> Any:
        return self.approvals.recent(*args, **kwargs)  # type: ignore[attr-defined]

    def seen(self, *args: Any, **kwargs: Any) -> Any:
        return self.dedupe.seen(*args, **kwargs)  # type: ignore[attr-defined]

    def remember(self, *args: Any, **kwargs: Any) -> Any:
        return self.dedupe.remember(*args, **kwargs)  # type: ignore[attr-defined]

    def enqueue(self, *args: Any, **kwargs: Any) -> Any:
        return self.outbox.enqueue(*args, **kwargs)  # type: ignore[attr-defined]

    def outbox_items(self, *args: Any, **kwargs: Any) -> Any:
        return self.outbox.items(*args, **kwargs)  # type: ignore[attr-defined]

    def outbox_size(self, *args: Any, **kwargs: Any) -> Any:
        return self.outbox.size(*args, **kwargs)  # type: ignore[attr-defined]

    def update_outbox(self, *args: Any, **kwargs: Any) -> Any:
        return self.outbox.update(*args, **kwargs)  # type: ignore[attr-defined]

    def remove_outbox(self, *args: Any, **kwargs: Any) -> Any:
        return self.outbox.remove(*args, **kwargs)  # type: ignore[attr-defined]

    def hold_outbox(self, *args: Any, **kwargs: Any) -> Any:
        return self.outbox.hold(*args, **kwargs)  # type: ignore[attr-defined]

    def release_held(self, *args: Any, **kwargs: Any) -> Any:
        return self.outbox.release_held(*args, **kwargs)  # type: ignore[attr-defined]

    def held_outbox(self, *args: Any, **kwargs: Any) -> Any:
        return self.outbox.held(*args, **kwargs)  # type: ignore[attr-defined]

    def record_failure(self, *args: Any, **kwargs: Any) -> Any:
        return self.failures.record(*args, **kwargs)  # type: ignore[attr-defined]

    def failed_deliveries(self, *args: Any, **kwargs: Any) -> Any:
        return self.failures.latest(*args, **kwargs)  # type: ignore[attr-defined]

    def failure_count(self, *args: Any, **kwargs: Any) -> Any:
        return self.failures.count(*args, **kwargs)  # type: ignore[attr-defined]

    def card(self, *args: Any, **kwargs: Any) -> Any:
        return self.cards.get(*args, **kwargs)  # type: ignore[attr-defined]

    def set_card(self, *args: Any, **kwargs: Any) -> Any:
        return self.cards.set(*args, **kwargs)  # type: ignore[attr-defined]

    def cached_user(self, *args: Any, **kwargs: Any) -> Any:
        return self.people.cached_user(*args, **kwargs)  # type: ignore[attr-defined]

    def cache_user(self, *args: Any, **kwargs: Any) -> Any:
        return self.people.cache_user(*args, **kwargs)  # type: ignore[attr-defined]

    def forget_cached_users(self, *args: Any, **kwargs: Any) -> Any:
        return self.people.forget_cached_users(*args, **kwargs)  # type: ignore[attr-defined]

    def identity_mappings(self, *args: Any, **kwargs: Any) -> Any:
        return self.people.identity_mappings(*args, **kwargs)  # type: ignore[attr-defined]

    def mapped_provider_id(self, *args: Any, **kwargs: Any) -> Any:
        return self.people.mapped_provider_id(*args, **kwargs)  # type: ignore[attr-defined]

    def mapped_slack_id(self, *args: Any, **kwargs: Any) -> Any:
        return self.people.mapped_slack_id(*args, **kwargs)  # type: ignore[attr-defined]

    def put_identity(self, *args: Any, **kwargs: Any) -> Any:
        return self.people.put_identity(*args, **kwargs)  # type: ignore[attr-defined]

    def remove_identity(self, *args: Any, **kwargs: Any) -> Any:
        return self.people.remove_identity(*args, **kwargs)  # type: ignore[attr-defined]

    def get_draft(self, *args: Any, **kwargs: Any) -> Any:
        return self.drafts.get(*args, **kwargs)  # type: ignore[attr-defined]

    def draft_filed_as(self, *args: Any, **kwargs: Any) -> Any:
        return self.drafts.filed_as(*args, **kwargs)  # type: ignore[attr-defined]

    def put_draft(self, *args: Any, **kwargs: Any) -> Any:
        return self.drafts.put(*args, **kwargs)  # type: ignore[attr-defined]

    def secret(self, *args: Any, **kwargs: Any) -> Any:
        return self.meta.secret(*args, **kwargs)  # type: ignore[attr-defined]

    def set_meta(self, *args: Any, **kwargs: Any) -> Any:
        return self.meta.set(*args, **kwargs)  # type: ignore[attr-defined]

    def use_link(self, *args: Any, **kwargs: Any) -> Any:
        return self.link_uses.use(*args, **kwargs)  # type: ignore[attr-defined]

    def tracked_templates(self, *args: Any, **kwargs: Any) -> Any:
        return self.templates.tracked(*args, **kwargs)  # type: ignore[attr-defined]

    def put_tracked_template(self, *args: Any, **kwargs: Any) -> Any:
        return self.templates.put(*args, **kwargs)  # type: ignore[attr-defined]
