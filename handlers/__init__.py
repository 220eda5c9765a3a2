"""Slack listeners (one module per listener kind, wired by `handlers.listeners`), Block Kit
rendering, and the HTTP handlers for WeCom."""
