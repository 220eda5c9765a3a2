"""The embedded approval engine: approvals that live in this bot, no outside system."""
