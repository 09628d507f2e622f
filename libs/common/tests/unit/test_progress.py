"""Long commands show a live bar on a terminal and nothing but plain, throttled lines anywhere else
(issue 7, point 7)."""

from __future__ import annotations

import io

from rich.console import Console

from sme_common.progress import CommandProgress


def test_off_a_terminal_there_is_no_bar_only_a_plain_line_per_interval() -> None:
    out = io.StringIO()
    now = [0.0]
    with CommandProgress(
        "audit verify",
        unit="records",
        console=Console(file=out),
        plain_every_s=5.0,
        clock=lambda: now[0],
    ) as progress:
        assert not progress.live
        for done in range(0, 12_001, 1000):
            progress.update(done, 12_000, note=f"{done // 2} applied")
            now[0] += 1.0
    assert out.getvalue().splitlines() == [
        "audit verify: 5,000/12,000 records (2500 applied)",
        "audit verify: 10,000/12,000 records (5000 applied)",
    ]


def test_off_a_terminal_a_command_shorter_than_the_interval_prints_nothing() -> None:
    out = io.StringIO()
    with CommandProgress("outbox resend", unit="rows", console=Console(file=out)) as progress:
        progress.update(3, 3)
    assert out.getvalue() == ""


def test_a_caller_may_give_the_plain_line_itself() -> None:
    out = io.StringIO()
    now = [0.0]
    with CommandProgress(
        "rebuild", unit="records", console=Console(file=out), clock=lambda: now[0]
    ) as progress:
        now[0] = 10.0
        progress.update(21, None, line="rebuild: read 21 records")
    assert out.getvalue() == "rebuild: read 21 records\n"


def test_on_a_terminal_a_live_bar_shows_the_count_of_the_total() -> None:
    out = io.StringIO()
    console = Console(file=out, force_terminal=True, width=100)
    with CommandProgress("audit verify", unit="records", console=console) as progress:
        assert progress.live
        progress.update(3, 10)
        progress.update(10, 10, note="chain intact")
    shown = out.getvalue()
    assert "\x1b[" in shown, "drawn with escape codes"
    assert "audit verify" in shown and "10/10" in shown and "records" in shown
    assert "chain intact" in shown
