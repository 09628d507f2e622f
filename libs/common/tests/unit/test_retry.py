"""Retrying (sme_common.retry): outages are waited out with capped, growing waits announced once
each; anything else fails at once; setting the stop event ends a wait at once."""

from __future__ import annotations

import asyncio
import time

import pytest

from sme_common.retry import Backoff, repeat_until_stopped, retry_until_done

FAST = Backoff(initial_s=0.01, max_s=0.04, jitter_ratio=0.0)


class Outage(Exception):
    pass


class Poison(Exception):
    pass


def is_outage(exc: BaseException) -> bool:
    return isinstance(exc, Outage)


async def test_an_outage_is_retried_with_growing_capped_waits_one_announcement_each() -> None:
    calls = 0
    waits: list[float] = []

    async def flaky() -> str:
        nonlocal calls
        calls += 1
        if calls <= 5:
            raise Outage(f"down {calls}")
        return "done"

    result = await retry_until_done(
        flaky,
        asyncio.Event(),
        retry_if=is_outage,
        backoff=FAST,
        on_retry=lambda _exc, wait_s: waits.append(wait_s),
    )
    assert result == "done" and calls == 6
    assert waits == [0.01, 0.02, 0.04, 0.04, 0.04]


async def test_a_failure_that_is_not_an_outage_is_raised_at_once_never_retried() -> None:
    calls: list[int] = []

    async def poison() -> None:
        calls.append(1)
        raise Poison("cannot be applied")

    with pytest.raises(Poison):
        await retry_until_done(
            poison,
            asyncio.Event(),
            retry_if=is_outage,
            backoff=FAST,
            on_retry=lambda *_: pytest.fail("a poison failure was retried"),
        )
    assert calls == [1]


async def test_setting_the_stop_event_ends_a_long_wait_at_once_and_raises_the_outage() -> None:
    stop = asyncio.Event()
    attempts = 0

    async def down() -> None:
        nonlocal attempts
        attempts += 1
        raise Outage("still down")

    asyncio.get_running_loop().call_later(0.1, stop.set)
    started = time.monotonic()
    with pytest.raises(Outage):
        await retry_until_done(
            down,
            stop,
            retry_if=is_outage,
            backoff=Backoff(initial_s=30.0, max_s=30.0),
            on_retry=lambda *_: None,
        )
    assert time.monotonic() - started < 5, "the 30 s wait did not end with the stop event"
    assert attempts == 2, "one attempt, the wait cut short, one last attempt"


async def test_repeated_steps_start_the_backoff_again_after_one_succeeds() -> None:
    stop = asyncio.Event()
    script = iter([Outage, Outage, Outage, None, Outage, None])
    waits: list[float] = []

    async def step() -> None:
        outcome = next(script, "end")
        if outcome == "end":
            stop.set()
        elif outcome is not None:
            raise outcome("down")

    await repeat_until_stopped(
        step, stop, backoff=FAST, on_retry=lambda _exc, wait_s: waits.append(wait_s)
    )
    assert waits == [0.01, 0.02, 0.04, 0.01]


async def test_a_step_failing_once_stop_is_set_ends_the_repetition_quietly() -> None:
    stop = asyncio.Event()

    async def fails_while_stopping() -> None:
        stop.set()
        raise Outage("connection closed by the shutdown")

    await asyncio.wait_for(
        repeat_until_stopped(
            fails_while_stopping, stop, backoff=FAST, on_retry=lambda *_: pytest.fail("retried")
        ),
        timeout=5,
    )


async def test_cancellation_is_never_retried() -> None:
    started = asyncio.Event()

    async def forever() -> None:
        started.set()
        await asyncio.sleep(3600)

    task = asyncio.create_task(
        repeat_until_stopped(
            forever, asyncio.Event(), backoff=FAST, on_retry=lambda *_: pytest.fail("retried")
        )
    )
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_a_lambda_returning_a_coroutine_is_awaited_and_retried() -> None:
    calls = 0

    async def flaky(value: int) -> int:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise Outage("down once")
        return value

    result = await retry_until_done(
        lambda: flaky(7),
        asyncio.Event(),
        retry_if=is_outage,
        backoff=FAST,
        on_retry=lambda *_: None,
    )
    assert (result, calls) == (7, 2)
