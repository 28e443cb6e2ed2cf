"""Evidence -> Verdict. (Skeleton: being written.)"""

from __future__ import annotations

from bot.core.model import Evidence, Verdict


def classify(evidence: Evidence) -> Verdict:
    """Judge one recipient's evidence.

    Fills a missing reply code / enhanced status from ``evidence.diagnostic``, then
    decides class, reason, retry, provider, title, explanation, actions, references.
    """
    return Verdict(
        title="Unclassified",
        explanation="",
        recipient=evidence.recipient,
        replycode=evidence.replycode,
        status=evidence.status,
        diagnostic=evidence.diagnostic,
    )
