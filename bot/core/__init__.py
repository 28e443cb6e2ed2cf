"""The classifier core: text or email in, per-recipient verdicts out.

Knows nothing of Slack and does no I/O beyond the input it is handed.
"""

from bot.core.classify import classify
from bot.core.explain import explain
from bot.core.model import Evidence, OriginalMessage, Report, Verdict
from bot.core.scan import scan

__all__ = ["Evidence", "OriginalMessage", "Report", "Verdict", "classify", "explain", "scan"]
