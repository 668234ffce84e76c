"""The scan router's decisions without Qt (`domain.scan_stream`): what is a scan, where
it begins, what is stripped, where it may go. Key times are given, not measured."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cart_chain.domain.errors import InvalidValue
from cart_chain.domain.scan_stream import (
    BURST_GAP_MS,
    RUN_GAP_MS,
    SCAN_MEAN_GAP_MS,
    SCAN_MIN_KEYS,
    TRAIL_MS,
    Decision,
    Framing,
    KeyStream,
    check_frame,
    route,
)

CODE_CHARS = st.characters(min_codepoint=0x21, max_codepoint=0x7E)
FIELD, OTHER = object(), object()


def feed(
    stream: KeyStream, text: str, gaps_ms: list[float], start: float = 100.0, target=FIELD
) -> tuple[list[Decision], float]:
    """Send ``text`` (gaps_ms[i] before character i), then an Enter after gaps_ms[-1]."""
    at, out = start, []
    for ch, gap in zip(text, gaps_ms, strict=False):
        at += gap / 1000
        out.append(stream.key(target, at, ch, False))
    at += gaps_ms[-1] / 1000
    out.append(stream.key(target, at, "", True))
    return out, at


@given(
    text=st.text(CODE_CHARS, min_size=SCAN_MIN_KEYS, max_size=40),
    gap=st.floats(min_value=0.0, max_value=SCAN_MEAN_GAP_MS * 0.9),
)
def test_a_fast_burst_ended_by_enter_is_a_scan_whatever_it_holds(text: str, gap: float) -> None:
    decisions, _ = feed(KeyStream(), text, [gap] * (len(text) + 1))
    assert all(d.action == "type" for d in decisions[:-1])
    assert [d.at for d in decisions[:-1]] == list(range(len(text)))
    assert decisions[-1] == Decision("scan", text, 0)


@given(
    text=st.text(CODE_CHARS, min_size=1, max_size=30).filter(lambda t: not t.startswith("]")),
    gaps=st.lists(st.floats(min_value=SCAN_MEAN_GAP_MS + 1, max_value=400.0), min_size=31),
)
def test_a_persons_typing_is_never_a_scan(text: str, gaps: list[float]) -> None:
    """Any rhythm slower than the threshold, a pause or not, no prefix: typed."""
    decisions, _ = feed(KeyStream(), text, gaps[: len(text) + 1])
    assert decisions[-1].action == "type"


def test_too_short_to_tell_is_typing_and_the_threshold_itself_is_typing() -> None:
    assert feed(KeyStream(), "AB1", [1.0] * 4)[0][-1].action == "type"
    assert feed(KeyStream(), "ABCDEFGH", [SCAN_MEAN_GAP_MS] * 9)[0][-1].action == "type"


@given(
    typed=st.text(CODE_CHARS, min_size=1, max_size=8).filter(lambda t: "]" not in t),
    code=st.text(st.sampled_from("ABCDEFGHJK0123456789"), min_size=SCAN_MIN_KEYS, max_size=25),
)
def test_a_scan_right_after_a_persons_keys_begins_at_its_fast_run(typed: str, code: str) -> None:
    """The person's last key came under `BURST_GAP_MS` before the scan: same burst
    (its character 0; the person's earlier keys, 150 ms apart, were bursts of their
    own), but the scan starts after the pause, so only the scan is taken back."""
    pause = (RUN_GAP_MS + BURST_GAP_MS) / 2
    gaps = [150.0] * len(typed) + [pause] + [2.0] * len(code)
    decisions, _ = feed(KeyStream(), typed + code, gaps)
    assert decisions[-1] == Decision("scan", code, 1)


@given(
    code=st.text(st.sampled_from("ABCDEFGHJK0123456789"), min_size=SCAN_MIN_KEYS + 4, max_size=25),
    where=st.integers(min_value=2, max_value=SCAN_MIN_KEYS + 2),
    stall=st.floats(min_value=RUN_GAP_MS + 1, max_value=BURST_GAP_MS),
)
def test_a_stall_in_the_middle_of_a_scan_does_not_cut_it(
    code: str, where: int, stall: float
) -> None:
    """The GUI thread busy for a moment mid-scan: the code is still read whole."""
    gaps = [1.0] * (len(code) + 1)
    gaps[where] = stall
    decisions, _ = feed(KeyStream(), code, gaps)
    assert decisions[-1] == Decision("scan", code, 0)


def test_a_slow_scanner_is_recognised_by_its_prefix_and_suffix_which_are_stripped() -> None:
    slow = [40.0] * 30  # over the speed threshold, under the burst gap
    framed = KeyStream(Framing(prefix="%%", suffix="#"))
    decisions, _ = feed(framed, "%%CHA999926000001U012#", slow)
    # The suffix ends the scan on its own; the scanner's Enter after it is used up too.
    assert decisions[-2] == Decision("scan", "CHA999926000001U012", 0)
    assert decisions[-1].action == "swallow"
    by_prefix = KeyStream(Framing(prefix="%%"))
    assert feed(by_prefix, "%%CHA999926000001U012", slow)[0][-1] == Decision(
        "scan", "CHA999926000001U012", 0
    )
    assert feed(KeyStream(), "CHA999926000001U012", slow)[0][-1].action == "type"


def test_an_aim_identifier_counts_as_a_prefix_and_is_kept() -> None:
    slow = [40.0] * 30
    decisions, _ = feed(KeyStream(), "]Q1CC1CHA999926000001U0100A7", slow)
    assert decisions[-1] == Decision("scan", "]Q1CC1CHA999926000001U0100A7", 0)
    # a ']' with no symbology cart-chain reads is no prefix
    assert feed(KeyStream(), "]X9CHA999926000001U012", slow)[0][-1].action == "type"
    # typed slowly (a person's pace), ']Q1' starts no burst long enough to be framed
    assert feed(KeyStream(), "]Q1abcdef", [BURST_GAP_MS + 20] * 10)[0][-1].action == "type"


def test_enter_keys_right_after_a_scan_are_used_up_with_it() -> None:
    stream = KeyStream()
    decisions, at = feed(stream, "CHA999926000001U012", [2.0] * 20)
    assert decisions[-1].action == "scan"
    lf = stream.key(FIELD, at + 0.005, "", True)  # CR+LF: the LF
    assert lf.action == "swallow"
    assert stream.key(FIELD, at + 0.005 + TRAIL_MS / 1000 / 2, "", True).action == "swallow"
    later = at + 1.0
    assert stream.key(FIELD, later, "", True).action == "type"  # a person's Enter, later


def test_another_widget_or_a_pause_starts_a_new_burst() -> None:
    stream = KeyStream()
    for i, ch in enumerate("CHA99992600"):
        stream.key(OTHER, 1.0 + i * 0.002, ch, False)
    # the rest of the keys go elsewhere: each widget's burst is judged on its own
    decisions, _ = feed(stream, "ABC", [2.0] * 4, start=1.03)
    assert decisions[0].at == 0 and decisions[-1].action == "type"  # 3 keys: too short
    stream = KeyStream()
    stream.key(FIELD, 1.0, "A", False)
    assert stream.key(FIELD, 1.0 + (BURST_GAP_MS + 1) / 1000, "B", False).at == 0


def test_arrows_and_other_keys_break_a_burst() -> None:
    stream = KeyStream()
    for i, ch in enumerate("CHA99"):
        stream.key(FIELD, 1.0 + i * 0.002, ch, False)
    stream.key(FIELD, 1.012, "", False)  # an arrow key
    assert stream.key(FIELD, 1.014, "", True).action == "type"


def test_where_a_scan_goes() -> None:
    assert route(secret=True, takes_scans=True) == "refuse_secret"
    assert route(secret=True, takes_scans=False) == "refuse_secret"
    assert route(secret=False, takes_scans=True) == "scan_check"
    assert route(secret=False, takes_scans=False) == "refuse_here"


@pytest.mark.parametrize(
    ("what", "value", "why"),
    [
        ("prefix", "a b", "no spaces"),
        ("suffix", "\t", "no spaces"),
        ("prefix", "é", "printable ASCII"),
        ("suffix", "123456789", "at most 8"),
        ("prefix", "]C0", "AIM"),
    ],
)
def test_a_prefix_or_suffix_that_could_not_be_told_apart_is_refused(
    what: str, value: str, why: str
) -> None:
    with pytest.raises(InvalidValue, match=why):
        check_frame(what, value)
    with pytest.raises(InvalidValue):
        Framing(**{what: value})
    assert check_frame("suffix", "]") == "]"
