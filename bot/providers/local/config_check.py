"""The embedded engine's part of check-config: each [[local.templates]] entry must make a template.

The same `template_from_config` that `setup` builds the engine with judges the entries, so what
check-config accepts is what `serve` runs.
"""

from __future__ import annotations

from bot.config import Config
from bot.config_rules import Reach, Say
from bot.providers.local.engine import TemplateConfigError, template_from_config


def config_problems(config: Config, error: Say, warning: Say) -> None:
    """A broken [[local.templates]] entry is an error, in the engine's own words."""
    for entry in config.local_templates:
        try:
            template_from_config(entry)
        except TemplateConfigError as exc:
            error("local.templates", str(exc))


def reach(config: Config) -> Reach:
    """The engine files what [[local.templates]] lists, needs nothing outside the bot, is never swept."""
    return Reach(
        name="the embedded engine",
        key="local.templates",
        files=bool(config.local_templates),
        sweeps=False,
        templates=("[[local.templates]]",),
        start="[[local.templates]] (the embedded engine)",
        standalone=True,
    )
