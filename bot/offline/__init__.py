"""The offline world: stand-ins for Slack and WeCom, the demo and its console.

They drive the very bot `serve` runs (the same bolt app, service and routes) over loopback, the way
Errbot's text backend does; nothing on the production path imports this package.
"""
