"""Benchmarks of approvals-bot, side by side with a common receiver: `python -m bench [--quick]`.

One module per benchmark (ingest, growth, sweep, delivery), the pieces they share in `common`, the
baseline receiver in `baseline`, the load generator in `senders` (a process of its own, so it does
not share a GIL with anything it measures), the table and the plot in `report`.
"""
