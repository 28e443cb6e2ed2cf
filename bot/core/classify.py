"""Evidence -> Verdict: one recipient's facts in, our judgement out.

Reason, in this order (the first that decides wins):

1. a reason the report format itself settles (``evidence.reason``: vacation, feedback …);
2. a provider's own rule for this wording or code (`bot.core.providers`);
3. an enhanced status code that names its cause outright (``status_first`` in
   ``reasons.toml``: 5.2.2 mailbox full, 5.1.6 moved, 5.1.7 bad sender …): the words
   around it explain, they do not overrule it;
4. a *strong* phrase of `bot.core.reasons` in the server's words;
5. a *specific* enhanced status code's reason (5.1.1, 5.2.1 …);
6. the SMTP command the reply answered (a refused MAIL FROM means the sender was rejected);
7. a delayed DSN action: the message is still expiring in the queue (a weak word or a
   generic status such as 4.4.0 on a delayed report says no more than that);
8. a *weak* phrase (``does not exist``, ``blocked`` …);
9. a *generic* enhanced status code's reason (X.Y.0, X.7.1);
10. a reply code that names a protocol error by itself (500-504: ``syntaxerror``);
11. a 2xx reply: delivered.

**When** a refusal happened matters for an unknown-user reply. It is ``userunknown`` when
the status code says so (an X.1.x addressing status such as 5.1.1) or the reply answered
RCPT TO; an unknown-user reply after the content was sent (DATA) with no such status is a
filter's verdict on the message (``filtered``, Sisimai's convention). Before RCPT TO (a
reply to CONN, HELO, EHLO or MAIL FROM) no recipient had been named, so "user unknown" or
"host not found" speaks of the sending host or the sender: those words count as weak
there and the command's reason decides (HELO -> ``blocked``, MAIL -> ``rejected``). In
a whole bounce report (``whole_report=True``) the parser has looked for the SMTP stage,
so a report that does not tie the refusal to RCPT TO is read like one after DATA; a
pasted line alone keeps the plain reading.

Otherwise the reason stays None for a pasted reply (a bare ``550`` does not say why); for
a recipient of a whole bounce report it is ``onhold`` (the report has the server's words
but they settle nothing) or ``undefined`` (it has none).

**Class** (what happened to the message), the first that applies:

1. a report that says the sending server gave up (DSN ``Action: failed``, or "permanent
   error", "not going to try again", "stopped trying", "retry timeout exceeded", "message
   expired" … in its words) is ``permanent``, even when the last attempt's code is 4.x.x;
2. a delay warning (``Action: delayed``, "will be retried", "warning message only" …) is
   ``transient``: the message is still queued; a DSN action of delivered, relayed or
   expanded is ``success``;
3. otherwise the 3-digit reply code decides (RFC 5321: it is what the sending server acts
   on), and without one the enhanced status code's first digit;
4. with no code at all, the words (``deferred``, ``timed out`` … versus ``permanently``),
   else the cause's usual class.

Whatever disagreed is said in the explanation: the two codes' classes, the report's
decision against the code, the code's class against the words (``550 5.2.2 … try again
later``), or a specific enhanced code's cause against the words.

**Retry** is true only when sending the same message again later, unchanged, is expected
to succeed with nobody changing anything: greylisting, a busy or full receiving server, a
pure rate or volume throttle, a timeout or network failure (``retry`` of the cause in
``reasons.toml``), when the failure is temporary; and a permanent rate-limit refusal whose
words name a time window (a daily quota). It is false where someone must fix something
first (TLS required, authentication, PTR, reputation, content, the address, a full
mailbox), whatever the class, and for a message the sending server gave up on. A bare
code with no cause follows its class. A success has no retry (None).

**Hardbounce** follows Sisimai's definition: the address itself should be suppressed.
True for ``userunknown``, ``hostunknown`` and ``hasmoved``, and for ``notaccept`` when its
code (enhanced status, else reply code) is 5.x.x or, without a code, the words do not say
the failure is temporary; false for every other reason; None when no reason is known.

The answer's closing sentence and the outcome line (`outcome`) follow from class, retry
and the cause, never from the class alone (see `_closing`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

from bot.core import reasons
from bot.core.codes import ReplyCode, StatusCode, reply_code, status_code
from bot.core.data import load
from bot.core.model import DeliveryClass, Evidence, Verdict
from bot.core.providers import (
    Provider,
    ProviderRule,
    bare_code_rule,
    detect_provider,
    provider_rule,
)
from bot.core.reasons import Cause

__all__ = [
    "action_topics", "classify", "find_replycode", "find_status", "merge_actions", "outcome",
]

#: An enhanced status code (RFC 3463) standing on its own, not part of an IP or version.
STATUS_RE = re.compile(r"([245])(?<![\w.][245])\.(\d{1,3})\.(\d{1,3})(?!\w|\.\d)")
#: A three-digit reply code (RFC 5321: first digit 2/4/5, second 0-5) standing on its own.
REPLY_RE = re.compile(r"([245](?<![\w.\-+/@#$%=][245])[0-5]\d)(?!\w|\.\d|-\d\d|/\d)")

#: Most of a diagnostic we read for words; servers put the reason near the start.
MAX_DIAGNOSTIC = 8_000

_CLASS_OF_DIGIT: dict[str, DeliveryClass] = {
    "2": "success",
    "4": "transient",
    "5": "permanent",
}
_CLASS_WORD = {"success": "success", "transient": "temporary", "permanent": "permanent"}
_ACTION_CLASS: dict[str, DeliveryClass] = {
    "delivered": "success",
    "relayed": "success",
    "expanded": "success",
    "delayed": "transient",
    "failed": "permanent",
}
_MAX_ACTIONS = 5
#: Reasons whose words speak of a recipient's address (``recipient_words`` in reasons.toml).
_RECIPIENT_WORDS = frozenset(load("reasons").get("recipient_words", ()))
_NOT_WORD = re.compile(r"[\W_]+")


def _words(text: str) -> str:
    """Lowercase words of `text`, space-separated and space-padded (for whole-word tests)."""
    return f" {_NOT_WORD.sub(' ', text.lower()).strip()} "


#: Topic -> cue phrases in `_words` form (``action_topics`` in reasons.toml).
_TOPIC_CUES: dict[str, tuple[str, ...]] = {
    topic: tuple(_words(cue) for cue in cues)
    for topic, cues in load("reasons").get("action_topics", {}).items()
}
_MAX_REFERENCES = 4


def find_status(text: str) -> str | None:
    """The first enhanced status code in `text` (``#5.1.1`` in qmail style counts)."""
    m = STATUS_RE.search(text, 0, MAX_DIAGNOSTIC)
    return m.group(0) if m else None


def find_replycode(text: str, status: str | None = None) -> str | None:
    """The first reply code in `text`; one of the enhanced status's class if there is one."""
    first: str | None = None
    for n, m in enumerate(REPLY_RE.finditer(text, 0, MAX_DIAGNOSTIC)):
        code = m.group(1)
        if status is None or code[0] == status[0]:
            return code
        if first is None:
            first = code
        if n >= 4:
            break
    return first


def _is_generic(status: str) -> bool:
    """X.Y.0 and X.7.1 say little; they must not beat the server's words."""
    _, subject, detail = status.split(".")
    return detail == "0" or (subject == "7" and detail == "1")


@lru_cache(maxsize=4096)
def _action_key(action: str) -> tuple[str, frozenset[str]]:
    """An action's wording in `_words` form and the pieces of advice it gives.

    Cached: actions come from the data files, a bounded set of strings (the bound only
    guards against the unexpected).
    """
    words = _words(action)
    topics = frozenset(
        topic for topic, cues in _TOPIC_CUES.items() if any(cue in words for cue in cues)
    )
    return words, topics


def action_topics(action: str) -> frozenset[str]:
    """The pieces of advice an action gives (``action_topics`` in reasons.toml)."""
    return _action_key(action)[1]


def merge_actions(actions: Iterable[str], limit: int = 5) -> list[str]:
    """Next steps from several sources, most specific first, without repeated advice.

    An action is dropped when its wording equals a kept one (case and punctuation aside) or
    when every topic it has is already covered by the actions kept before it: the first,
    most specific wording of each piece of advice stays, and an action that adds advice
    (a topic not yet covered) is kept.
    """
    out: list[str] = []
    seen: set[str] = set()
    covered: set[str] = set()
    for action in actions:
        key, topics = _action_key(action)
        if key in seen or (topics and topics <= covered):
            continue
        out.append(action)
        seen.add(key)
        covered |= topics
        if len(out) >= limit:
            break
    return out


def _dedup(items: Iterable[str | None], limit: int, *, urls_only: bool = False) -> list[str]:
    out: list[str] = []
    for item in items:
        if item and item not in out and (not urls_only or item.startswith("http")):
            out.append(item)
            if len(out) >= limit:
                break
    return out


def classify(
    evidence: Evidence,
    *,
    phrases: reasons.MatchResult | None = None,
    whole_report: bool = False,
) -> Verdict:
    """Judge one recipient's evidence (see the module docstring for the decision order).

    `phrases` is `reasons.match` of the diagnostic, when the caller already computed it.
    `whole_report` says the evidence comes from a whole bounce report, whose parser looked
    for the SMTP stage of the refusal (see the module docstring).
    """
    diagnostic = evidence.diagnostic or ""
    window = diagnostic[:MAX_DIAGNOSTIC]
    status = evidence.status or (find_status(window) if window else None)
    replycode = evidence.replycode or (find_replycode(window, status) if window else None)
    command = evidence.command.upper() if evidence.command else None

    st = status_code(status) if status else None

    provider: Provider | None = None
    rule: ProviderRule | None = None
    if window or evidence.remote_mta:
        provider = detect_provider(window, evidence.remote_mta)
        rule = provider_rule(provider, window, replycode, status, command=command)
        if rule is not None and provider is None:
            provider = rule.provider
    elif status:
        # A code asked alone: a provider's own code (5.7.606) is answered as that provider's.
        rule = bare_code_rule(status)
        provider = rule.provider if rule is not None else None

    low = reasons.prepare(window) if window else ""
    cause, reason, words = _decide(evidence, rule, low, status, st, replycode, command, phrases)
    if reason == "userunknown" and whole_report and evidence.reason is None:
        cause, reason = _by_stage(cause, rule, st, command)

    stage = _stage(evidence.action, low)
    klass, note = _delivery_class(status, replycode, stage, low, cause)
    notes = [
        note,
        _words_versus_status(words, reason, st, status),
        _words_versus_class(
            low, klass, status, replycode, reason, cause, evidence.reason, stage
        ),
    ]
    if reason is None and klass == "success" and evidence.reason is None:
        reason, cause = "delivered", reasons.by_reason("delivered")
    if reason is None and whole_report:
        # A recipient the report failed with no cause we can name: say so in the
        # vocabulary (undecided with the server's words at hand, or without any).
        reason = "onhold" if window.strip() else "undefined"
        cause = reasons.by_reason(reason)
    cause = _wording_cause(cause, klass, stage)
    retry = _retry(klass, cause, stage, low)

    title, body, actions, references = _wording(
        provider,
        rule,
        cause.key if cause is not None else None,
        reason,
        status,
        replycode,
        klass,
        retry,
        " ".join(n for n in notes if n) or None,
        stage,
        _consumer(provider, evidence.recipient),
    )
    lead = _lead(evidence.recipient, provider, klass, stage)
    explanation = f"{lead} {body}" if lead and body else lead or body or _NOTHING_TO_SAY
    return Verdict(
        title=title,
        explanation=explanation,
        recipient=evidence.recipient,
        replycode=replycode,
        status=status,
        delivery_class=klass,
        reason=reason,
        retry=retry,
        provider=provider.name if provider is not None else None,
        actions=list(actions),
        diagnostic=evidence.diagnostic,
        references=list(references),
        remote_mta=evidence.remote_mta,
        action=evidence.action,
        feedback_type=evidence.feedback_type,
        hardbounce=_hardbounce(reason, status, replycode, low),
    )


def _decide(
    evidence: Evidence,
    rule: ProviderRule | None,
    low: str,
    status: str | None,
    st: StatusCode | None,
    replycode: str | None,
    command: str | None,
    phrases: reasons.MatchResult | None,
) -> tuple[Cause | None, str | None, Cause | None]:
    """The cause (for wording), the vocabulary reason, by the module's decision order, and
    the cause the server's words alone name strongly (None when they were not weighed:
    the parser or a provider rule decided)."""
    if evidence.reason:
        return reasons.by_reason(evidence.reason), evidence.reason, None
    if rule is not None and rule.reason:
        return reasons.by_reason(rule.reason), rule.reason, None
    if phrases is not None:
        found = phrases
    else:
        found = reasons.match(low) if low else reasons.MatchResult(None, None)
    by_command = reasons.command_reason(command)
    strong, weak = found.strong, found.weak
    if strong is not None and by_command and strong.reason in _RECIPIENT_WORDS:
        # Before RCPT TO no recipient was named: "unknown" speaks of the sending host or
        # the sender, so the words count as weak and the command's reason can decide.
        weak, strong = strong, None
    status_reason = st.reason if st is not None else None
    if status_reason is not None and reasons.status_decides(status_reason):
        return reasons.by_reason(status_reason), status_reason, strong
    if strong is not None:
        if strong.reason == "userunknown" and command == "DATA" and not _names_address(status):
            # Refused only once the content was seen: a filter, not a missing mailbox
            # (unless the status code itself, X.1.x, says the address is bad).
            return reasons.cause("latefilter"), "filtered", strong
        return strong, strong.reason, strong
    generic = status is not None and _is_generic(status)
    if status_reason and not generic:
        return reasons.by_reason(status_reason), status_reason, None
    if by_command and (replycode or status or low):
        return reasons.by_reason(by_command), by_command, None
    if evidence.action == "delayed":
        return reasons.cause("delayed"), "expired", None
    if weak is not None:
        return weak, weak.reason, None
    if status_reason:
        # A generic code (X.Y.0, X.7.1) names a reason only loosely: keep it for the
        # vocabulary, but let the code's own meaning word the answer (a bare 5.7.1 is
        # "delivery not authorized", not "authentication required").
        wording = None if generic else reasons.by_reason(status_reason)
        return wording, status_reason, None
    by_reply = reasons.reply_reason(replycode)
    if by_reply:
        return reasons.by_reason(by_reply), by_reply, None
    return None, None, None


def _words_versus_status(
    words: Cause | None, reason: str | None, st: StatusCode | None, status: str | None
) -> str | None:
    """When the server's words and a specific enhanced status name different causes, a
    sentence saying which one we followed (a generic X.Y.0 or X.7.1 names none)."""
    if words is None or st is None or status is None or not st.reason or _is_generic(status):
        return None
    if words.reason == st.reason or reason not in (words.reason, st.reason):
        return None  # they agree, or neither decided (the SMTP stage did)
    if reason == st.reason:
        if not reasons.status_decides(reason):
            return None  # the code's reason won by the decision order, not over the words
        return (
            f'The server\'s words suggest "{words.title}", but the enhanced code {status} '
            f'("{st.title}") names the cause outright; we follow the code.'
        )
    return (
        f'The enhanced code {status} means "{st.title}", but the server\'s words say '
        f'"{words.title}"; we follow the words, the more precise of the two here.'
    )


def _words_versus_class(
    low: str,
    klass: DeliveryClass | None,
    status: str | None,
    replycode: str | None,
    reason: str | None,
    cause: Cause | None,
    parsed: str | None,
    stage: str | None,
) -> str | None:
    """When the codes set the class and the words say otherwise, a sentence saying so.

    The sending server acts on the code (RFC 5321: a 5yz reply is not retried, a 4yz one
    is), so the class follows the code; the words can still tell the user more. When the
    report's own decision (gave up, still trying) set the class, `_delivery_class` said so.
    """
    if klass is None or (status is None and replycode is None) or parsed is not None:
        return None
    if stage is not None:
        return None
    which = f"enhanced code {status}" if status is not None else f"reply code {replycode}"
    if klass == "success":
        if reason is None or reason == "delivered" or cause is None:
            return None
        return (
            f"The {which} says the message was accepted, but the server's words speak of "
            f'a failure ("{cause.title}"); we follow the code.'
        )
    hint = reasons.urgency_against(low, klass) if low else None
    if hint is None:
        return None
    return (
        f"The {which} says {_CLASS_WORD[klass]} but the server's words say "
        f"{_CLASS_WORD[hint]}; we follow the code."
    )


def _names_address(status: str | None) -> bool:
    """An X.1.x status (RFC 3463 "addressing status"): the code blames an address itself."""
    return status is not None and status.split(".")[1] == "1"


def _addressing(st: StatusCode) -> bool:
    """A status that blames an address: an X.1.x addressing status (RFC 3463: 5.1.1,
    5.1.2, a vendor's own 5.1.351 …) or one whose reason is an unknown user."""
    return st.reason == "userunknown" or st.code.split(".")[1] == "1"


#: Commands sent before the message content: a refusal there never judged the content.
_BEFORE_DATA = frozenset({"CONN", "HELO", "EHLO", "STARTTLS", "AUTH", "MAIL", "XFORWARD"})


def _by_stage(
    cause: Cause | None, rule: ProviderRule | None, st: StatusCode | None, command: str | None
) -> tuple[Cause | None, str | None]:
    """An unknown-user verdict from the words alone, checked against the SMTP stage.

    It stands when a provider rule or the status code (5.1.1) says so, or when the reply
    answered RCPT TO. Refused at or after DATA, or with the report not naming RCPT TO,
    the receiving side had the message in hand: a filter turned it away (``filtered``).
    Refused before RCPT (MAIL FROM, HELO …), the command's own reason applies.
    """
    if rule is not None and rule.reason == "userunknown":
        return cause, "userunknown"
    if command == "RCPT" or (st is not None and _addressing(st)):
        return cause, "userunknown"
    if command in _BEFORE_DATA:
        by_command = reasons.command_reason(command)
        if by_command:
            return reasons.by_reason(by_command), by_command
        return cause, "userunknown"
    return reasons.cause("latefilter"), "filtered"


#: What a sending server's report decided about the message, beyond any code.
_GAVE_UP, _DELAYED, _DONE = "gave_up", "delayed", "done"
_DONE_ACTIONS = frozenset({"delivered", "relayed", "expanded", "deliverable"})
_STAGE_CLASS: dict[str, DeliveryClass] = {
    _GAVE_UP: "permanent",
    _DELAYED: "transient",
    _DONE: "success",
}


def _stage(action: str | None, low: str) -> str | None:
    """The sending server's decision: gave up, still trying, done, or None (not said).

    A DSN action settles it; without one, the report's words (``reasons.toml``:
    ``gave_up``, ``delay_warning``). A reply line alone says neither.
    """
    if action:
        act = action.lower()
        if act == "failed":
            return _GAVE_UP
        if act == "delayed":
            return _DELAYED
        if act in _DONE_ACTIONS:
            return _DONE
    if low:
        if reasons.gave_up(low):
            return _GAVE_UP
        if reasons.delay_warning(low):
            return _DELAYED
    return None


def _delivery_class(
    status: str | None,
    replycode: str | None,
    stage: str | None,
    low: str,
    cause: Cause | None,
) -> tuple[DeliveryClass | None, str | None]:
    """Class by the module docstring's order and, when the evidence disagreed, a sentence
    saying which one we followed."""
    by_code = replycode or status
    said = _CLASS_OF_DIGIT.get(by_code[0]) if by_code else None
    if stage is not None:
        klass = _STAGE_CLASS[stage]
        if said is not None and said != klass and said != "success":
            which = f"reply code {replycode}" if replycode else f"enhanced code {status}"
            decided = {
                _GAVE_UP: "the sending server gave up on the message, so the failure is final",
                _DELAYED: "the message is still queued and the sending server keeps trying",
                _DONE: "the message was delivered",
            }[stage]
            return klass, (
                f"The last attempt's {which} is {_CLASS_WORD[said]}, but the report says "
                f"{decided}."
            )
        return klass, None
    if replycode is not None:
        by_reply = _CLASS_OF_DIGIT.get(replycode[0])
        if status is not None and status[0] != replycode[0] and by_reply is not None:
            other = _CLASS_OF_DIGIT.get(status[0])
            if other is not None:
                return by_reply, (
                    f"The reply code {replycode} says {_CLASS_WORD[by_reply]} but the enhanced "
                    f"code {status} says {_CLASS_WORD[other]}; the reply code decides what "
                    "the sending server does (RFC 5321), so we follow it."
                )
        if by_reply is not None:
            return by_reply, None
    if status is not None:
        return _CLASS_OF_DIGIT.get(status[0]), None
    if low:
        hint = reasons.urgency_hint(low)
        if hint is not None and cause is not None:
            return hint, None
    return (cause.klass if cause is not None else None), None


def _wording_cause(
    cause: Cause | None, klass: DeliveryClass | None, stage: str | None
) -> Cause | None:
    """The cause whose words fit the class: an expiry that is still being retried is a
    delay (``delayed``), a timeout the sending server gave up on is an expiry."""
    if cause is None:
        return None
    if cause.key == "expired" and (stage == _DELAYED or (klass == "transient" and stage is None)):
        return reasons.cause("delayed")
    if cause.key == "timeout" and stage == _GAVE_UP:
        return reasons.cause("expired")
    if cause.key == "delayed" and klass == "permanent":
        return reasons.cause("expired")
    return cause


def _retry(
    klass: DeliveryClass | None, cause: Cause | None, stage: str | None, low: str
) -> bool | None:
    """Would the same message pass later, unchanged, with nobody changing anything?"""
    if klass == "success":
        return None
    if stage == _GAVE_UP:
        return False  # returned to the sender: nothing retries it any more
    if cause is None:
        return None if klass is None else klass == "transient"
    if klass == "permanent":
        return cause.reason == "ratelimited" and reasons.time_window(low)
    return cause.retry


def _hardbounce(
    reason: str | None, status: str | None, replycode: str | None, low: str
) -> bool | None:
    """Should the address itself be suppressed? (Sisimai's definition, module docstring.)"""
    if reason is None:
        return None
    if reason in _HARD_REASONS:
        return True
    if reason != "notaccept":
        return False
    code = status or replycode
    if code:
        return code[0] == "5"
    return reasons.urgency_hint(low) != "transient" if low else True


_HARD_REASONS = frozenset({"userunknown", "hostunknown", "hasmoved"})


def outcome(verdict: Verdict) -> str | None:
    """The one-line outcome of a verdict, from its class, retry and reason."""
    klass = verdict.delivery_class
    if klass == "success":
        return "success"
    if klass == "transient":
        if verdict.action == "delayed" or verdict.reason == "expired":
            return "delayed: still queued, the sending server keeps trying"
        if verdict.retry:
            return "temporary failure (a later retry can pass unchanged)"
        return "temporary failure (retries pass only once the cause is fixed)"
    if klass == "permanent":
        if verdict.reason == "expired":
            return "failed: returned after the retry period"
        if verdict.retry:
            return "permanent refusal (the limit resets; resending later can pass)"
        return "permanent failure (fix the cause before resending)"
    return None


#: Provider key -> the free-mail domains it hosts (``domains`` in providers.toml).
_CONSUMER_DOMAINS: dict[str, frozenset[str]] = {
    item["key"]: frozenset(d.lower() for d in item.get("domains", ()))
    for item in load("providers")["provider"]
}


def _consumer(provider: Provider | None, recipient: str | None) -> bool:
    """Might the mailbox be a consumer one, with no administrator the sender could ask?

    Only a provider that hosts free-mail domains can be one; it is, unless the recipient's
    domain is known and is not one of them (a business domain hosted there).
    """
    if provider is None:
        return False
    domains = _CONSUMER_DOMAINS.get(provider.key)
    if not domains:
        return False
    if recipient and "@" in recipient:
        return recipient.rsplit("@", 1)[1].lower().rstrip(">") in domains
    return True


def _lead(
    recipient: str | None,
    provider: Provider | None,
    klass: DeliveryClass | None,
    stage: str | None = None,
) -> str:
    if recipient:
        if stage == _DELAYED and klass == "transient":
            outcome_words = "is delayed: the message is still queued."
        else:
            outcome_words = {
                "permanent": "failed permanently.",
                "transient": "failed for now; the failure is temporary.",
                "success": "succeeded: the message was accepted.",
            }.get(klass or "", "did not succeed.")
        sentence = f"delivery to {recipient} {outcome_words}"
        # "Google reports that ...", not "delivery at Google": the provider that said it may
        # be the recipient's host or a relay on the sending side (a DNS error from Gmail).
        if provider is not None:
            return f"{provider.name} reports that {sentence}"
        return sentence[0].upper() + sentence[1:]
    if provider is not None and klass is not None:
        kind = {"permanent": "a permanent failure", "transient": "a temporary failure"}.get(
            klass, "a success"
        )
        return f"This is {kind} reported by {provider.name}."
    return ""


#: The explanation when neither the lead nor the codes' or cause's wording says anything.
_NOTHING_TO_SAY = "The input holds an SMTP code we could not say more about."
#: Topics of generic advice that contradict a rate limit (it is not a listing).
_NOT_FOR_RATE_LIMITS = frozenset({"blocklist", "fix_listing_cause"})


@lru_cache(maxsize=2048)
def _wording(
    provider: Provider | None,
    rule: ProviderRule | None,
    cause_key: str | None,
    reason: str | None,
    status: str | None,
    replycode: str | None,
    klass: DeliveryClass | None,
    retry: bool | None,
    note: str | None,
    stage: str | None = None,
    consumer: bool = False,
) -> tuple[str, str, tuple[str, ...], tuple[str, ...]]:
    """Title, explanation after the lead, next steps and references of a verdict.

    They follow from these values alone (the cause's and codes' entries are looked up
    again by key; providers and rules are frozen values) and few combinations recur:
    cached, a verdict costs one lookup instead of assembling its wording and merging its
    advice anew. Only the lead (`_lead`), which names the recipient, is built per verdict.
    The caller copies the tuples into the verdict's own lists.

    Next steps: a provider rule's own steps replace the cause's generic ones; generic
    steps never give delisting advice on a rate limit, nor "ask the recipient's
    administrator" for a consumer mailbox, nor say it heals by itself when retry is not
    true. References: the page that explains this case
    (the rule's, then the provider's), the cause's own pages, then the definitions of the
    codes as they are used here (a code the provider uses in its own meaning is not
    glossed or referenced with the registry's).
    """
    cause = reasons.cause(cause_key)
    st = status_code(status) if status else None
    rc = reply_code(replycode) if replycode else None
    own_meaning = _provider_meaning(rule, st)
    title = (
        (rule.title if rule is not None and rule.reason == reason else None)
        or (cause.title if cause is not None else None)
        or (st.title if st is not None else None)
        or (rc.title if rc is not None else None)
        or "SMTP reply"
    )
    if cause is None and rule is None and st is not None and status is not None:
        title = st.title  # a bare code: the registry's own meaning
    body = _explain(rule, cause, st, rc, status, replycode, klass, retry, note, stage,
                    own_meaning)
    rule_actions = tuple(rule.actions) if rule is not None else ()
    if rule_actions:
        generic: tuple[str, ...] = ()
    elif cause is not None:
        generic = cause.actions
    elif st is not None:
        generic = st.actions
    elif rc is not None:
        generic = rc.actions
    else:
        generic = ()
    rate_limit = reason == "ratelimited" or (cause is not None and cause.reason == "ratelimited")
    kept = [
        action
        for action in generic
        if not (rate_limit and action_topics(action) & _NOT_FOR_RATE_LIMITS)
        and not (consumer and "recipient_admin" in action_topics(action))
        and not (retry is not True and "heals" in action_topics(action))
    ]
    actions = merge_actions([*rule_actions, *kept], _MAX_ACTIONS)
    references = _dedup(
        [
            rule.reference if rule is not None else None,
            *(rule.see if rule is not None else ()),
            provider.docs if provider is not None else None,
            *(cause.references if cause is not None and rule is None else ()),
            *(_definition(st.references) if st is not None and own_meaning is None else ()),
            *(_definition(rc.references) if rc is not None and _defines(rc, cause) else ()),
        ],
        _MAX_REFERENCES,
        urls_only=True,
    )
    return title, body, tuple(actions), tuple(references)


def _definition(references: tuple[str, ...]) -> tuple[str, ...]:
    """The first link of a code's references: the document that defines it."""
    for item in references:
        if item.startswith("http"):
            return (item,)
    return ()


_BASE_SPEC = "rfc5321"


def _defines(rc: ReplyCode, cause: Cause | None) -> bool:
    """Cite the reply code's definition? Always for RFC 5321's own codes; a code only an
    extension defines (530 for STARTTLS or AUTH) is cited only when nothing more specific
    explains the case, since the extension may not be the one meant here."""
    first = _definition(rc.references)
    if first and _BASE_SPEC in first[0]:
        return True
    return cause is None or not cause.references


def _provider_meaning(rule: ProviderRule | None, st: StatusCode | None) -> str | None:
    """How the matched provider rule glosses the enhanced code, when it uses the code in a
    meaning of its own: the rule's ``gloss`` if it gives one, else its title when the
    registry's reason for the code differs from the rule's (Microsoft's 5.4.1 is an
    unknown recipient, the registry's 5.4.1 is "no answer from host")."""
    if rule is None or st is None:
        return None
    if rule.gloss:
        return rule.gloss
    if not rule.reason or not rule.title:
        return None
    if st.reason and st.reason != rule.reason and not _same_family(st.reason, rule.reason):
        return f"{rule.provider.name}: {rule.title}"
    if not reasons.subject_fits(st.code, rule.reason):
        return f"{rule.provider.name}: {rule.title}"
    return None


#: Reasons close enough that the registry's gloss of one still describes the other.
_FAMILIES = (
    frozenset({"blocked", "badreputation", "spamdetected", "ratelimited", "policyviolation"}),
    frozenset({"userunknown", "filtered", "rejected"}),
    frozenset({"authfailure", "securityerror", "requireptr"}),
)


def _same_family(one: str, other: str) -> bool:
    return any(one in family and other in family for family in _FAMILIES)


def _explain(
    rule: ProviderRule | None,
    cause: Cause | None,
    st: StatusCode | None,
    rc: ReplyCode | None,
    status: str | None,
    replycode: str | None,
    klass: DeliveryClass | None,
    retry: bool | None,
    note: str | None,
    stage: str | None = None,
    own_meaning: str | None = None,
) -> str:
    """The explanation after the lead (`_lead`); empty when there is nothing to say."""
    parts: list[str] = []
    if rule is not None and rule.explanation:
        parts.append(rule.explanation)
    elif cause is not None:
        parts.append(cause.explanation)
    if cause is None and rule is None:
        # A bare code: the code tables carry the whole meaning.
        if st is not None and st.explanation:
            parts.append(st.explanation)
        if rc is not None and rc.explanation and (st is None or replycode is not None):
            parts.append(rc.explanation)
    else:
        named = []
        if replycode is not None:
            named.append(f"{replycode} ({rc.title})" if rc is not None else replycode)
        if status is not None:
            gloss = own_meaning or (st.title if st is not None else None)
            named.append(f"{status} ({gloss})" if gloss else status)
        if named:
            parts.append("Codes: " + ", ".join(named) + ".")
    if note:
        parts.append(note)
    closing = _closing(klass, retry, cause, stage, rule is not None)
    if closing:
        parts.append(closing)
    return " ".join(parts)


def _closing(
    klass: DeliveryClass | None,
    retry: bool | None,
    cause: Cause | None,
    stage: str | None,
    by_rule: bool = False,
) -> str | None:
    """The answer's last sentence: what happens next, from class, retry and the cause.

    After a provider rule's own explanation, the cause's generic remedy may not fit (a
    Gmail rate limit reported as ``blocked`` is not a blocklist listing): it says "the
    cause described above" instead.
    """
    if by_rule:
        fix = "the cause described above is fixed"
    else:
        fix = cause.fix if cause is not None else "the cause is fixed"
    if klass is None or klass == "success":
        return None
    if klass == "transient" and stage == _DELAYED:
        return (
            "This is a delay warning, not a bounce: the message is still queued and the "
            "sending server keeps trying on its own, so nothing needs resending now. Watch "
            "for a final failure report, which follows if it cannot get through before its "
            "retry period ends."
        )
    if klass == "permanent" and stage == _GAVE_UP and cause is not None and (
        cause.key in ("expired", "timeout") or cause.retry
    ):
        return (
            "The sending server gave up after its retry period and returned the message. "
            f"Resending it later makes sense only once {fix}; check that first."
        )
    if klass == "transient":
        if retry:
            return (
                "The refusal is temporary: the sending server retries on its own, and a later "
                "attempt can succeed without anyone changing anything."
            )
        return (
            "The refusal is temporary, so the sending server keeps retrying for a while, "
            f"but a retry passes only once {fix}."
        )
    if retry:
        return (
            "The sending server does not retry a permanent refusal, but this limit resets "
            "with time: sending the same message again later can succeed."
        )
    if cause is not None and cause.waits:
        return (
            "The sending server does not retry a permanent refusal; sending it again later "
            f"can work once {fix}."
        )
    return f"Sending it again unchanged will fail the same way; it can pass only once {fix}."
