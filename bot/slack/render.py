"""Reports as Slack messages: Block Kit built with slack_sdk's models, always within Slack's limits.

Rendering knows nothing of how a report was made. Whatever the input, every message
has a fallback ``text``, at most 50 blocks, section texts of at most 3000 characters,
at most 10 fields of at most 2000, and a header of at most 150. All text that comes
from users or remote servers is escaped (``&``, ``<``, ``>``) so that a pasted
``<!channel>`` can never ping anyone, and shortened text always says so. What an input
limit left out of a report (`Report.notices`) is a context line of the answer.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
)

from bot.core.classify import outcome
from bot.core.limits import human_size
from bot.core.model import Report, Verdict

MAX_BLOCKS = 50
MAX_SECTION_TEXT = 3000
MAX_FIELDS = 10
MAX_FIELD_TEXT = 2000
MAX_HEADER = 150
MAX_FALLBACK = 3000
MAX_CONTEXT_TEXT = 3000
#: How much of the server's own words we quote; the rest is announced, not hidden.
MAX_QUOTE = 600
#: Recipients listed per group before "and N more".
MAX_RECIPIENTS_SHOWN = 10
#: Reason groups shown in one message (each takes a few blocks).
MAX_GROUPS = 10

SHARE_ACTION_ID = "share_in_channel"
#: Ends the fallback text of every report we post (notifications and emailed copies show
#: it): an email carrying it is our own answer coming back (see `bot.slack.forwarded`).
ANSWER_MARK = "— explained by smtpbot"

EMOJI = {
    "permanent": ":x:",
    "transient": ":hourglass_flowing_sand:",
    "success": ":white_check_mark:",
}
UNKNOWN_EMOJI = ":grey_question:"
CLASS_WORDS = {
    "permanent": "Permanent failure",
    "transient": "Temporary failure",
    "success": "Delivered / accepted",
}
_SEVERITY = {"permanent": 3, "transient": 2, "success": 1}
_WHITESPACE = re.compile(r"\s+")
_SAFE_URL = re.compile(r"https?://[^\s<>|]+")
_PARTIAL_ENTITY = re.compile(r"&[a-z]{0,3}$")

EXAMPLES = (
    "550 5.1.1 <user@example.com>: Recipient address rejected: User unknown",
    "451 4.7.1 Greylisted, please try again later",
    "5.7.26",
    "421",
)


@dataclass(slots=True)
class Rendered:
    """A message ready for chat.postMessage / respond: fallback text plus blocks."""

    text: str
    blocks: list[dict[str, Any]] = field(default_factory=list)


def escape(text: str) -> str:
    """Slack's three control characters as entities: no mention, link or command can form."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def clip(text: str, limit: int, *, escaped: bool = True) -> str:
    """`text` (escaped unless told otherwise) in at most `limit` characters.

    A cut is never silent: it ends with a note of how much was left out, and it never
    splits an entity such as ``&amp;``.
    """
    out = escape(text) if escaped else text
    if len(out) <= limit:
        return out
    kept: list[str] = []
    size = 0
    budget = limit - 40  # room for the note
    for char in text:
        piece = escape(char) if escaped else char
        if size + len(piece) > budget:
            break
        kept.append(piece)
        size += len(piece)
    dropped = len(text) - len(kept)
    head = "".join(kept)
    if not escaped:
        head = _PARTIAL_ENTITY.sub("", head)
    return head + f"… _({dropped:,} more characters)_"


def _one_line(text: str) -> str:
    return _WHITESPACE.sub(" ", text).strip()


def _code(text: str, limit: int) -> str:
    """Inline code for server words: backticks would end the span, so they become quotes."""
    return "`" + clip(_one_line(text).replace("`", "'"), limit - 2) + "`"


def _emoji(delivery_class: str | None) -> str:
    return EMOJI.get(delivery_class or "", UNKNOWN_EMOJI)


def _worst_class(verdicts: Sequence[Verdict]) -> str | None:
    classes = [v.delivery_class for v in verdicts if v.delivery_class]
    return max(classes, key=lambda c: _SEVERITY.get(c, 0)) if classes else None


def _header(text: str) -> HeaderBlock:
    return HeaderBlock(text=PlainTextObject(text=clip(_one_line(text), MAX_HEADER), emoji=True))


def _section(text: str) -> SectionBlock:
    """A mrkdwn section; `text` must already be escaped where it holds user text."""
    return SectionBlock(text=MarkdownTextObject(text=clip(text, MAX_SECTION_TEXT, escaped=False)))


def _context(text: str) -> ContextBlock:
    return ContextBlock(
        elements=[MarkdownTextObject(text=clip(text, MAX_CONTEXT_TEXT, escaped=False))]
    )


def _field(label: str, value: str) -> MarkdownTextObject:
    return MarkdownTextObject(text=clip(f"*{label}*\n{value}", MAX_FIELD_TEXT, escaped=False))


def _outcome_words(verdict: Verdict) -> str | None:
    """The core's outcome line (class and retry in one), else the class alone."""
    line = outcome(verdict)
    if line:
        return line[0].upper() + line[1:]
    return CLASS_WORDS.get(verdict.delivery_class or "")


def _suppress_words(hardbounce: bool | None) -> str | None:
    if hardbounce is None:
        return None
    return "Yes" if hardbounce else "No"


def _category_label(verdict: Verdict) -> str:
    return f"{verdict.reporter}'s category" if verdict.reporter else "Sender's category"


def _fields(verdict: Verdict) -> list[MarkdownTextObject]:
    pairs: list[tuple[str, str | None]] = [
        ("Reply code", verdict.replycode and _code(verdict.replycode, 100)),
        ("Status", verdict.status and _code(verdict.status, 100)),
        ("Reason", verdict.reason and _code(verdict.reason, 100)),
        ("Outcome", _outcome_words(verdict)),
        ("Recipient", verdict.recipient and clip(verdict.recipient, 500)),
        ("Provider", verdict.provider and clip(verdict.provider, 200)),
        ("Reported by", verdict.reporter and clip(verdict.reporter, 200)),
        (_category_label(verdict), verdict.esp_category and clip(verdict.esp_category, 500)),
        ("Suppress the address", _suppress_words(verdict.hardbounce)),
    ]
    return [_field(label, value) for label, value in pairs if value][:MAX_FIELDS]


def _steps(actions: Iterable[str], limit: int = 8) -> str:
    lines = [f"• {escape(_one_line(a))}" for a in actions if a.strip()][:limit]
    return "\n".join(lines)


def _links(references: Iterable[str], limit: int = 3) -> str:
    """Documentation links; only plain http(s) URLs, so nothing odd can reach the markup."""
    urls = [r for r in references if _SAFE_URL.fullmatch(r)][:limit]
    return " · ".join(f"<{u.replace('&', '&amp;')}|{escape(_short_url(u))}>" for u in urls)


def _short_url(url: str) -> str:
    return url.split("://", 1)[-1][:60]


def _quote(verdict: Verdict) -> str | None:
    if not verdict.diagnostic:
        return None
    return "Server said: " + _code(verdict.diagnostic, MAX_QUOTE)


def _fallback(text: str) -> str:
    return clip(_one_line(text), MAX_FALLBACK)


def _summary_line(verdict: Verdict) -> str:
    codes = " ".join(c for c in (verdict.replycode, verdict.status) if c)
    parts = [p for p in (codes, verdict.reason, verdict.title) if p]
    return " · ".join(parts)


def _single(verdict: Verdict) -> list[Block]:
    blocks: list[Block] = [_header(f"{_emoji(verdict.delivery_class)} {verdict.title}")]
    fields = _fields(verdict)
    if fields:
        blocks.append(SectionBlock(fields=fields))
    if verdict.explanation.strip():
        blocks.append(_section(escape(verdict.explanation)))
    steps = _steps(verdict.actions)
    if steps:
        blocks.append(_section(f"*Next steps*\n{steps}"))
    context = [c for c in (_links(verdict.references), _quote(verdict)) if c]
    if context:
        blocks.append(
            ContextBlock(
                elements=[MarkdownTextObject(text=clip(c, 1500, escaped=False)) for c in context]
            )
        )
    return blocks


def _group_key(verdict: Verdict) -> tuple[str, str]:
    return (verdict.reason or "undetermined", verdict.delivery_class or "")


def _group_facts(group: Sequence[Verdict]) -> str:
    """Outcome, reporter, the reporter's categories and suppression for a reason group."""
    first = group[0]
    facts: list[str] = []
    words = _outcome_words(first)
    if words:
        facts.append(escape(words))
    if first.reporter:
        facts.append(f"Reported by {escape(first.reporter)}")
    categories = sorted({v.esp_category for v in group if v.esp_category})
    if categories:
        shown = ", ".join(f"`{escape(_one_line(c))[:120]}`" for c in categories[:3])
        more = f" and {len(categories) - 3} more" if len(categories) > 3 else ""
        facts.append(f"{_category_label(first)}: {shown}{more}")
    suppress = {v.hardbounce for v in group} - {None}
    if len(suppress) == 1:
        facts.append(f"Suppress the address: {str(_suppress_words(suppress.pop())).lower()}")
    return " · ".join(facts)


def _grouped(verdicts: Sequence[Verdict]) -> list[Block]:
    groups: dict[tuple[str, str], list[Verdict]] = {}
    for verdict in verdicts:
        groups.setdefault(_group_key(verdict), []).append(verdict)
    ordered = sorted(
        groups.values(), key=lambda g: (-_SEVERITY.get(g[0].delivery_class or "", 0), -len(g))
    )
    worst = _worst_class(verdicts)
    blocks: list[Block] = [
        _header(
            f"{_emoji(worst)} {len(verdicts)} recipients, {len(groups)} "
            f"reason{'s' if len(groups) != 1 else ''}"
        )
    ]
    for group in ordered[:MAX_GROUPS]:
        first = group[0]
        reason = first.reason or "undetermined"
        lines = [
            f"{_emoji(first.delivery_class)} *{escape(_one_line(first.title))}* — "
            f"`{escape(reason)}` · {len(group)} recipient{'s' if len(group) != 1 else ''}",
        ]
        said = _group_facts(group)
        if said:
            lines.append(said)
        if first.explanation.strip():
            lines.append(escape(_one_line(first.explanation)))
        steps = _steps(first.actions, limit=3)
        if steps:
            lines.append(steps)
        shown = [escape(v.recipient or "(no address)") for v in group[:MAX_RECIPIENTS_SHOWN]]
        more = len(group) - len(shown)
        recipients = ", ".join(shown) + (f" and {more} more" if more > 0 else "")
        lines.append(f"*Recipients:* {recipients}")
        blocks.append(DividerBlock())
        blocks.append(_section("\n".join(lines)))
        context = [c for c in (_links(first.references, 2), _quote(first)) if c]
        if context:
            blocks.append(_context("  ".join(context)))
    hidden = ordered[MAX_GROUPS:]
    if hidden:
        count = sum(len(g) for g in hidden)
        blocks.append(
            _context(f"…and {len(hidden)} more reasons covering {count} more recipients.")
        )
    return blocks


def _share_button(value: str) -> ActionsBlock:
    return ActionsBlock(
        block_id="smtpbot_share",
        elements=[
            ButtonElement(text="Share in channel", action_id=SHARE_ACTION_ID, value=value[:2000])
        ],
    )


def _finish(text: str, blocks: list[Block], *, mark: bool = False) -> Rendered:
    """`mark`: end the fallback text with `ANSWER_MARK` (reports; see its comment)."""
    dicts = [b.to_dict() for b in blocks[:MAX_BLOCKS]]
    if not mark:
        return Rendered(text=_fallback(text), blocks=dicts)
    body = clip(_one_line(text), MAX_FALLBACK - len(ANSWER_MARK) - 1)
    return Rendered(text=f"{body} {ANSWER_MARK}", blocks=dicts)


def render_report(
    report: Report,
    *,
    share_value: str | None = None,
    footer: str | None = None,
) -> Rendered:
    """The answer for one report. `share_value` adds the "Share in channel" button.

    `footer` is our own (already escaped) context line, e.g. "Shared by <@U1>".
    """
    verdicts = report.verdicts
    if not verdicts:
        return render_no_smtp()
    if len(verdicts) == 1:
        blocks = _single(verdicts[0])
        text = _summary_line(verdicts[0])
    else:
        blocks = _grouped(verdicts)
        reasons = sorted({v.reason or "undetermined" for v in verdicts})
        text = f"{len(verdicts)} recipients: {', '.join(reasons)}"
    # Room for the limits' notices, the footer and the button, always within 50 blocks.
    tail: list[Block] = []
    if report.delivered:
        tail.append(_context(_delivered_words(report.delivered)))
    if report.notices:
        tail.append(_notices(report.notices))
    if footer:
        tail.append(_context(footer))
    if share_value is not None:
        tail.append(_share_button(share_value))
    blocks = blocks[: MAX_BLOCKS - len(tail)] + tail
    return _finish(_emoji(_worst_class(verdicts)) + " " + text, blocks, mark=True)


def _delivered_words(count: int) -> str:
    if count == 1:
        return ":white_check_mark: 1 line was for delivered mail, not explained."
    return f":white_check_mark: {count:,} lines were for delivered mail, not explained."


def _notices(notices: Sequence[str]) -> ContextBlock:
    """What a limit left out of the report (`Report.notices`), one line each."""
    return _context("\n".join(f":information_source: {escape(n)}" for n in notices))


def _examples() -> str:
    return "\n".join(f"• `/smtp {escape(e)}`" for e in EXAMPLES)


def render_usage() -> Rendered:
    """What `/smtp help` (or an empty `/smtp`) answers."""
    blocks: list[Block] = [
        _header(":envelope_with_arrow: smtpbot explains SMTP replies and bounces"),
        _section(
            "Paste an SMTP reply, an enhanced status code or a whole bounce and I say what "
            "happened, whether it is permanent or temporary, why, and what to do next.\n\n"
            "*Examples*\n" + _examples()
        ),
        _context(
            "Also: paste a bounce in a channel I am in and I answer in its thread; upload an "
            "`.eml`, a log or a sending service's `.json` events; email bounces to the "
            "channel's address; use the *Explain bounce* message shortcut; or "
            "`/smtp digest` for the counts of the last days."
        ),
    ]
    return _finish("Usage: /smtp <SMTP reply, status code or bounce text>", blocks)


def render_no_smtp() -> Rendered:
    """The friendly answer when the text holds no SMTP reply or delivery failure."""
    blocks: list[Block] = [
        _section(
            ":mag: I could not find an SMTP reply or a delivery failure in that text.\n"
            "Try a reply line, a status code or a whole bounce, for example:\n" + _examples()
        )
    ]
    return _finish("No SMTP reply or delivery failure found in that text.", blocks)


def render_notice(text: str) -> Rendered:
    """A one-section message of our own wording (`text` is escaped here)."""
    return _finish(text, [_section(escape(text))])


def render_file_too_large(name: str, size: int, limit: int) -> Rendered:
    return render_notice(
        f"Sorry, {name} is {size / (1024 * 1024):.1f} MB; I only read files up to "
        f"{human_size(limit)}. "
        "Please upload just the bounce (the .eml of the non-delivery report)."
    )


def render_home(counts: Sequence[tuple[str, int]], days: int = 7) -> dict[str, Any]:
    """The App Home view: what the bot does, how to use it, and recent counts by reason."""
    total = sum(n for _, n in counts)
    if counts:
        rows = "\n".join(f"`{escape(reason)}` — {n}" for reason, n in counts[:40])
        stats = f"*Explained bounces, last {days} days:* {total}\n{rows}"
    else:
        stats = f"*Explained bounces, last {days} days:* none yet."
    blocks: list[Block] = [
        _header(":envelope_with_arrow: smtpbot"),
        _section(
            "I explain SMTP replies and bounce emails: what happened, whether it is permanent "
            "or temporary, the reason, the provider, and what to do next."
        ),
        _section(
            "*How to use me*\n"
            "• `/smtp &lt;reply or code&gt;` answers only you, with a button to share.\n"
            "• Paste a bounce in a channel I am in (or DM me): I answer in its thread.\n"
            "• Upload a bounce (`.eml`), a log or ESP events (`.json`): one answer per recipient.\n"
            "• Email bounces to the channel's address: I answer the bounces among them.\n"
            "• On any message: ⋮ → *Explain bounce* answers only you."
        ),
        _section("*Examples*\n" + _examples()),
        DividerBlock(),
        _section(stats),
    ]
    return {"type": "home", "blocks": [b.to_dict() for b in blocks]}


class DigestCounts(Protocol):
    """What `render_digest` shows (`bot.slack.digest.Digest`)."""

    yesterday: str
    day_reasons: list[tuple[str, int]]
    week_reasons: list[tuple[str, int]]
    week_providers: list[tuple[str, int]]
    worst_domains: list[tuple[str, int]]
    new_reasons: list[str]
    new_providers: list[str]
    had_week_before: bool


def _ranking(rows: Sequence[tuple[str, int]], top: int, code: bool = True) -> str:
    if not rows:
        return "none"
    shown = [f"`{escape(k)}` {n}" if code else f"{escape(k)} {n}" for k, n in rows[:top]]
    more = len(rows) - top
    return ", ".join(shown) + (f" and {more} more" if more > 0 else "")


def render_digest(digest: DigestCounts, top: int = 5) -> Rendered:
    """The daily digest: counts by reason, provider and recipient domain; no text, no address."""
    day_total = sum(n for _, n in digest.day_reasons)
    week_total = sum(n for _, n in digest.week_reasons)
    blocks: list[Block] = [_header(f":bar_chart: Bounce digest for {digest.yesterday} (UTC)")]
    if not week_total:
        blocks.append(_section("I explained no bounces in the last 7 days."))
        return _finish(f"Bounce digest for {digest.yesterday}: nothing explained", blocks)
    blocks.append(_section(
        f"*Yesterday:* {day_total} explained — {_ranking(digest.day_reasons, top)}\n"
        f"*Last 7 days:* {week_total} explained — {_ranking(digest.week_reasons, top)}\n"
        f"*By provider (7 days):* {_ranking(digest.week_providers, top, code=False)}\n"
        f"*Worst recipient domains (failed recipients, 7 days):* "
        f"{_ranking(digest.worst_domains, top, code=False)}"
    ))
    if digest.had_week_before:
        new = [f"reason `{escape(r)}`" for r in digest.new_reasons]
        new += [f"provider {escape(p)}" for p in digest.new_providers]
        line = ", ".join(new) if new else "no reason or provider the week before did not have"
        blocks.append(_section(f":new: *New compared with the week before:* {line}"))
    else:
        blocks.append(_context("Nothing was counted the week before, so nothing is compared."))
    blocks.append(_context(
        "Counts of messages I explained (a message counts once per reason and provider); "
        "domains count failed recipients. No message text or address is kept."
    ))
    text = f"Bounce digest for {digest.yesterday}: {day_total} yesterday, {week_total} in 7 days"
    return _finish(text, blocks)
