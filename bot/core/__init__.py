"""The classifier core: text or email in, per-recipient verdicts out.

Knows nothing of Slack and does no I/O beyond the input it is handed. The entry points
are `bot.core.explain.explain` (a paste), `bot.core.scan.scan` (one email) and
`bot.core.classify.classify` (one recipient's evidence); the result types live in
`bot.core.model`.
"""
