"""`classify` decision order: parser reason, provider rule, decisive status, strong phrase,
specific status, SMTP command, delayed action, weak phrase, generic status, bare reply
code, 2xx; the SMTP stage of an unknown-user reply (before RCPT, after DATA)."""

from __future__ import annotations

import pytest

from bot.core.classify import action_topics, classify, merge_actions
from bot.core.data import load
from bot.core.explain import explain
from bot.core.model import Evidence
from tests.conftest import CORPUS, read_jsonl


def test_parser_reason_wins_over_everything() -> None:
    verdict = classify(Evidence(reason="vacation", diagnostic="550 5.1.1 user unknown"))
    assert verdict.reason == "vacation"


def test_codes_are_filled_from_the_diagnostic() -> None:
    verdict = classify(
        Evidence(diagnostic="host mx.example.jp [192.0.2.1]: 550 5.1.1 <a@b.jp>... x")
    )
    assert (verdict.replycode, verdict.status) == ("550", "5.1.1")


def test_qmail_style_status_in_parentheses() -> None:
    verdict = classify(Evidence(diagnostic="Sorry, no mailbox here by that name. (#5.1.1)"))
    assert verdict.status == "5.1.1"
    assert verdict.reason == "userunknown"


def test_ip_addresses_and_dates_are_not_codes() -> None:
    verdict = classify(
        Evidence(diagnostic="connect to mx[203.0.113.25]:25 on 2024-05-05: No route to host")
    )
    assert verdict.replycode is None and verdict.status is None
    assert verdict.reason == "networkerror"


def test_reply_code_of_the_status_class_is_preferred() -> None:
    verdict = classify(Evidence(diagnostic="220-mx 421 4.2.1 Service refused, please try later"))
    assert verdict.replycode == "421"


def test_strong_phrase_beats_a_specific_status() -> None:
    verdict = classify(
        Evidence(
            diagnostic="550 5.1.1 <a@b.com> - 192.0.2.1 has sent to too many recipients this hour"
        )
    )
    assert verdict.reason == "ratelimited"


def test_specific_status_beats_a_weak_phrase() -> None:
    verdict = classify(Evidence(diagnostic="550 5.2.2 blocked"))
    assert verdict.reason == "mailboxfull"


def test_generic_status_does_not_beat_a_phrase() -> None:
    verdict = classify(Evidence(diagnostic="550 5.7.1 Relay access denied"))
    assert verdict.reason == "norelaying"


def test_mail_from_refusal_is_a_sender_rejection() -> None:
    verdict = classify(Evidence(diagnostic="550 5.7.1 Access denied", command="MAIL"))
    assert verdict.reason == "rejected"
    weak_only = classify(Evidence(diagnostic="550 5.7.1 Access denied"))
    assert weak_only.reason == "blocked"


def test_delayed_action_without_words_is_expiring() -> None:
    verdict = classify(Evidence(action="delayed"))
    assert verdict.reason == "expired"
    assert verdict.delivery_class == "transient"


def test_cause_beats_its_consequence() -> None:
    verdict = classify(Evidence(diagnostic="mailbox is full: retry timeout exceeded"))
    assert verdict.reason == "mailboxfull"


def test_words_in_addresses_and_links_are_no_evidence() -> None:
    verdict = classify(
        Evidence(diagnostic="550 <filtered@example.org> see https://x.example/#mailboxfull")
    )
    assert verdict.reason is None


def test_bare_reply_code_has_no_reason() -> None:
    verdict = classify(Evidence(replycode="550"))
    assert verdict.reason is None
    assert verdict.delivery_class == "permanent"
    assert verdict.retry is False
    assert verdict.title and verdict.explanation


def test_class_from_words_when_no_code() -> None:
    temporary = classify(Evidence(diagnostic="Deferred: Connection timed out with mx.example.com"))
    assert temporary.delivery_class == "transient"
    final = classify(Evidence(diagnostic="User unknown"))
    assert final.delivery_class == "permanent"


def test_action_gives_class_without_codes() -> None:
    assert classify(Evidence(action="delivered")).delivery_class == "success"


def test_reply_code_decides_the_class_and_the_disagreement_is_explained() -> None:
    verdict = classify(Evidence(diagnostic="550 4.2.2 Mailbox full, try again later"))
    assert verdict.delivery_class == "permanent"
    assert "550" in verdict.explanation and "4.2.2" in verdict.explanation
    assert "RFC 5321" in verdict.explanation


def test_a_report_that_gave_up_is_permanent_whatever_the_code() -> None:
    verdict = classify(
        Evidence(diagnostic="451 4.4.7 Message expired: unable to deliver in 840 minutes")
    )
    assert verdict.delivery_class == "permanent"
    assert verdict.retry is False
    assert "gave up" in verdict.explanation
    failed = classify(Evidence(diagnostic="421 4.4.2 Connection timed out", action="failed"))
    assert failed.delivery_class == "permanent"


def test_a_delay_warning_is_transient_and_says_the_message_is_queued() -> None:
    verdict = classify(
        Evidence(diagnostic="This is a warning message only. The message will be retried.")
    )
    assert verdict.delivery_class == "transient"
    assert "still queued" in verdict.explanation
    delayed = classify(Evidence(status="4.4.7", action="delayed"), whole_report=True)
    assert delayed.delivery_class == "transient" and delayed.reason == "expired"
    assert "still queued" in delayed.explanation


def test_mailbox_full_needs_the_recipient_whatever_the_class() -> None:
    # Someone (the recipient) must free space: not a retry that passes by itself.
    temporary = classify(Evidence(diagnostic="452 4.2.2 Mailbox full"))
    assert temporary.retry is False and temporary.delivery_class == "transient"
    final = classify(Evidence(diagnostic="552 5.2.2 Mailbox full"))
    assert final.retry is False
    assert "fail the same way" not in final.explanation  # it can pass once there is room


def test_throttles_and_greylisting_retry_tls_and_reputation_do_not() -> None:
    assert classify(Evidence(diagnostic="451 4.7.1 Greylisted, try again later")).retry
    assert classify(Evidence(diagnostic="421 4.7.0 Too many connections, slow down")).retry
    assert not classify(Evidence(diagnostic="451 4.7.1 TLS required for this domain")).retry
    assert not classify(
        Evidence(diagnostic="421 4.7.0 Deferred due to poor reputation of the sending IP")
    ).retry
    daily = classify(Evidence(diagnostic="550 5.4.5 Daily sending quota exceeded"))
    assert daily.delivery_class == "permanent" and daily.retry is True


@pytest.mark.parametrize(
    ("text", "hard"),
    [
        ("550 5.1.1 User unknown", True),
        ("450 4.1.1 User unknown", True),  # Sisimai: the reason decides, not the class
        ("550 5.1.2 Host unknown", True),
        ("550 5.1.6 User has moved", True),
        ("556 5.1.10 Domain does not accept mail (null MX)", True),
        ("451 4.1.10 Domain does not accept mail (null MX)", False),
        ("552 5.2.2 Mailbox full", False),
        ("550 5.7.1 Blocked using zen.spamhaus.org", False),
    ],
)
def test_hardbounce_follows_sisimai(text: str, hard: bool) -> None:
    assert classify(Evidence(diagnostic=text)).hardbounce is hard


def test_hardbounce_is_unknown_without_a_reason() -> None:
    assert classify(Evidence(replycode="550")).hardbounce is None


def test_temporary_unknown_user_is_not_retryable() -> None:
    assert (
        classify(
            Evidence(diagnostic="450 4.1.1 <a@b.org>: Recipient address rejected: User unknown")
        ).retry
        is False
    )


def test_recipient_and_provider_are_named() -> None:
    verdict = classify(
        Evidence(
            recipient="a@gmail.com",
            diagnostic="550-5.1.1 The email account that you tried to reach does not exist. gsmtp",
        )
    )
    assert verdict.provider
    assert "a@gmail.com" in verdict.explanation
    assert verdict.references and verdict.references[0].startswith("http")


def test_actions_are_deduplicated_and_bounded() -> None:
    verdict = classify(Evidence(diagnostic="550 5.7.1 blocked using zen.spamhaus.org"))
    assert len(verdict.actions) == len(set(verdict.actions)) <= 5


def test_unknown_user_after_data_is_a_filter() -> None:
    verdict = classify(Evidence(diagnostic="550 5.7.1 User unknown", command="DATA"))
    assert verdict.reason == "filtered"
    assert classify(Evidence(diagnostic="550 User unknown", command="DATA")).reason == (
        "filtered"
    )
    assert classify(Evidence(diagnostic="550 5.7.1 User unknown", command="RCPT")).reason == (
        "userunknown"
    )


def test_an_addressing_status_after_data_keeps_the_unknown_user() -> None:
    # X.1.x (RFC 3463 addressing status) blames the address itself, whatever the stage.
    for status in ("5.1.1", "5.1.0", "4.1.1"):
        text = f"550 {status} No such user here"
        assert classify(Evidence(diagnostic=text, command="DATA")).reason == "userunknown"
        assert _whole(diagnostic=text, command="DATA") == "userunknown"


def test_recipient_words_before_rcpt_yield_to_the_command() -> None:
    # No recipient is named before RCPT TO: the words speak of the host or the sender.
    helo = "450 4.7.1 <mx.example.invalid>: Helo command rejected: Host not found"
    assert classify(Evidence(diagnostic=helo, command="HELO")).reason == "blocked"
    assert classify(Evidence(diagnostic=helo, command="EHLO")).reason == "blocked"
    assert _whole(diagnostic="550 5.0.0 Invalid domain name", command="HELO") == "blocked"
    mail = "553 Sender address rejected: unknown user in local table"
    assert classify(Evidence(diagnostic=mail, command="MAIL")).reason == "rejected"
    assert classify(Evidence(diagnostic="550 Domain not found", command="MAIL")).reason == (
        "rejected"
    )
    # Other words keep their strength before RCPT, and a specific status still decides.
    assert classify(Evidence(diagnostic="421 Too many connections", command="CONN")).reason == (
        "ratelimited"
    )
    assert classify(Evidence(diagnostic="550 5.1.1 User unknown", command="MAIL")).reason == (
        "userunknown"
    )
    # At RCPT TO the words mean what they say.
    assert classify(Evidence(diagnostic="550 Domain not found", command="RCPT")).reason == (
        "hostunknown"
    )


def _whole(**fields: str) -> str | None:
    return classify(Evidence(**fields), whole_report=True).reason  # type: ignore[arg-type]


def test_unknown_user_at_rcpt_or_with_5_1_1_is_userunknown_in_a_report() -> None:
    assert _whole(diagnostic="550 User unknown", command="RCPT") == "userunknown"
    assert _whole(diagnostic="550 5.1.1 <a@b.example>... User unknown") == "userunknown"
    # A vendor's own addressing code (Exchange 5.1.351) says the same.
    assert _whole(diagnostic="550 5.1.351 Recipient not found") == "userunknown"


def test_unknown_user_after_data_or_at_an_unnamed_stage_is_filtered_in_a_report() -> None:
    assert _whole(diagnostic="550 User unknown", command="DATA") == "filtered"
    assert _whole(diagnostic="550 5.2.1 <a@b.example>... User Unknown") == "filtered"
    assert _whole(diagnostic="550 No such user") == "filtered"
    # Refused at MAIL FROM: the sender, not the recipient, was turned away.
    assert _whole(diagnostic="550 User unknown", command="MAIL") == "rejected"


def test_a_pasted_unknown_user_reply_keeps_the_plain_reading() -> None:
    assert classify(Evidence(diagnostic="550 No such user")).reason == "userunknown"
    assert classify(Evidence(diagnostic="550 User unknown", command="DATA")).reason == "filtered"


def test_a_decisive_status_code_beats_the_words_around_it() -> None:
    # 5.1.7: the *sender's* domain does not exist, not the recipient's.
    assert classify(Evidence(diagnostic="550 5.1.7 No such domain example.net")).reason == (
        "rejected"
    )
    assert classify(Evidence(diagnostic="552 5.2.2 user unknown, over quota")).reason == (
        "mailboxfull"
    )
    assert classify(Evidence(diagnostic="551 5.1.6 not our customer")).reason == "hasmoved"


def test_a_delayed_report_with_only_a_generic_status_is_expiring() -> None:
    evidence = Evidence(
        diagnostic="other or undefined network or routing status", status="4.4.0",
        action="delayed",
    )
    assert classify(evidence).reason == "expired"


def test_bare_protocol_error_codes_are_syntax_errors() -> None:
    assert classify(Evidence(diagnostic="503 Improper sequence of commands")).reason == (
        "syntaxerror"
    )
    assert classify(Evidence(diagnostic="550 Go away")).reason != "syntaxerror"


def test_a_reply_naming_a_missing_domain_is_hostunknown_but_a_dotted_user_is_not() -> None:
    assert classify(Evidence(diagnostic="553 mx.example.net does not exist")).reason == (
        "hostunknown"
    )
    assert classify(Evidence(diagnostic="550 User john.smith does not exist")).reason == (
        "userunknown"
    )


def test_undecided_report_recipients_are_onhold_or_undefined() -> None:
    assert _whole(diagnostic="550 Something odd happened") == "onhold"
    assert _whole(action="failed") == "undefined"
    assert classify(Evidence(diagnostic="550 Something odd happened")).reason is None


def test_providers_outside_the_corpus_have_their_own_codes_read() -> None:
    qq = classify(Evidence(diagnostic="550 Mailbox not found.", remote_mta="mx3.qq.com"))
    assert (qq.provider, qq.reason) == ("Tencent (QQ Mail / Exmail)", "userunknown")
    fb = classify(
        Evidence(diagnostic="550 5.1.1 RCP-P2 refused", remote_mta="msgin.t.facebook.com")
    )
    assert (fb.provider, fb.reason) == ("Facebook", "filtered")
    cf = classify(Evidence(diagnostic="554 found on one or more DNSBLs",
                           remote_mta="route1.mx.cloudflare.net"))
    assert cf.reason == "blocked"


def _repeats(actions: list[str]) -> list[str]:
    """Actions that repeat earlier advice by `merge_actions`' rule (same wording or topics)."""
    out: list[str] = []
    covered: set[str] = set()
    wordings: set[str] = set()
    for action in actions:
        topics = action_topics(action)
        wording = " ".join(action.lower().split())
        if wording in wordings or (topics and topics <= covered):
            out.append(action)
        covered |= topics
        wordings.add(wording)
    return out


def test_merged_actions_keep_the_first_wording_of_each_piece_of_advice() -> None:
    merged = merge_actions(
        [
            "Check the address.",  # a provider rule's, the most specific source: first
            "Check the address for typos.",
            "Remove it from your lists if it was valid before: the mailbox is gone.",
            "check the address.",
        ]
    )
    assert merged == [
        "Check the address.",
        "Remove it from your lists if it was valid before: the mailbox is gone.",
    ]
    # An action that adds advice (DMARC) stays although SPF and DKIM were covered.
    merged = merge_actions(
        ["Publish SPF and sign with DKIM.", "Sign with DKIM.", "Publish a DMARC record for SPF."]
    )
    assert merged == ["Publish SPF and sign with DKIM.", "Publish a DMARC record for SPF."]
    # Advice without a known topic is only dropped when worded the same.
    assert merge_actions(["Do this.", "Do that.", "Do this!"]) == ["Do this.", "Do that."]


def test_no_data_entry_repeats_its_own_advice() -> None:
    """Each cause's, status code's and reply code's actions are distinct pieces of advice,
    so merging never shortens one list on its own (a topic cue too broad would)."""
    lists = [e.get("actions", []) for e in load("reasons")["reason"].values()]
    lists += [e.get("actions", []) for e in load("status_codes")["codes"].values()]
    lists += [e.get("actions", []) for e in load("reply_codes")["codes"].values()]
    for actions in lists:
        assert not _repeats(actions), actions


def test_no_snippet_verdict_lists_the_same_advice_twice() -> None:
    for row in read_jsonl(CORPUS / "snippets.jsonl"):
        for verdict in explain(row["snippet"]).verdicts:
            assert not _repeats(verdict.actions), (row["snippet"][:80], verdict.actions)
            assert verdict.actions or verdict.reason in (None, "delivered"), row["snippet"]
