"""Many MTA log lines pasted at once (Postfix, Exim, Sendmail): one record per recipient.

`bot.core.replytext.parse_records` reads each line (``to=<…> … status=``, ``dsn=``,
Exim's ``**``/``==``/``=>``); `latest_per_recipient` then keeps, for each recipient, the
line that comes last in the paste (a log runs forward in time: ``status=deferred`` and
then ``status=bounced`` is a bounce, then ``status=sent`` a delivery). Lines for
delivered mail (``status=sent``, ``stat=Sent``, Exim ``=>``) are counted, not
explained. A paste of a single log line is left as it is: someone asking about one line
gets it explained, whatever it says.
"""

from __future__ import annotations

from bot.core.replytext import Record


def latest_per_recipient(records: list[Record]) -> tuple[list[Record], int]:
    """The records to explain and the number of log lines for delivered mail."""
    logged = sum(1 for r in records if r.structured and r.recipient)
    if logged < 2:
        return records, 0
    delivered = 0
    kept: dict[str, Record] = {}
    others: list[Record] = []
    for record in records:
        if not (record.structured and record.recipient):
            others.append(record)
            continue
        if record.action == "delivered":
            delivered += 1
        kept[record.recipient.lower()] = record
    failures = [r for r in kept.values() if r.action != "delivered"]
    return others + failures, delivered
