"""Retrying with capped exponential backoff, for work that runs until a stop event is set.

Built on tenacity rather than stamina (which wraps tenacity): tenacity takes the coroutine it
sleeps with, so a backoff wait ends the moment ``stop`` is set, whereas stamina always sleeps
with ``asyncio.sleep`` and could only be interrupted by cancelling the task mid-transaction.

- ``retry_until_done``: one operation, retried while its failure is one a retry can cure (an
  outage), forever; any other failure (a poison event) is raised at once, never retried.
- ``repeat_until_stopped``: a step done again and again until ``stop``; a failed step is retried
  after a wait, and the wait starts small again after every step that succeeds.

Every wait is announced once, through ``on_retry(failure, wait_s)``: one log line per backoff
step, however many records wait behind it.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

import tenacity

T = TypeVar("T")
OnRetry = Callable[[BaseException, float], None]


@dataclass(frozen=True)
class Backoff:
    """Waits of ``initial_s``, twice that, four times … capped at ``max_s``, each plus a random
    share of up to ``jitter_ratio`` × ``initial_s`` so that the replicas of a service do not all
    come back to a recovering broker or database at the same instant."""

    initial_s: float = 0.5
    max_s: float = 10.0
    jitter_ratio: float = 0.5

    def wait(self) -> tenacity.wait.wait_base:
        return tenacity.wait_exponential_jitter(
            multiplier=self.initial_s, max=self.max_s, jitter=self.initial_s * self.jitter_ratio
        )


def any_exception(exc: BaseException) -> bool:
    """Every failure but cancellation (``KeyboardInterrupt``, ``CancelledError``) is retried."""
    return isinstance(exc, Exception)


async def sleep_or_stop(stop: asyncio.Event, seconds: float) -> None:
    """Sleep ``seconds``, or less if ``stop`` is set meanwhile."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)


async def retry_until_done(
    attempt: Callable[[], Awaitable[T]],
    stop: asyncio.Event,
    *,
    retry_if: Callable[[BaseException], bool],
    backoff: Backoff,
    on_retry: OnRetry,
) -> T:
    """``await attempt()`` until it succeeds. A failure ``retry_if`` accepts is retried after a
    backoff wait, for as long as it takes; any other failure, and any failure once ``stop`` is set,
    is raised. The wait ends early when ``stop`` is set (one last attempt follows)."""

    def announce(state: tenacity.RetryCallState) -> None:
        assert state.outcome is not None  # before_sleep follows a failed attempt
        failure = state.outcome.exception()
        assert failure is not None
        on_retry(failure, round(state.upcoming_sleep, 2))

    retrying = tenacity.AsyncRetrying(
        sleep=lambda seconds: sleep_or_stop(stop, seconds),
        stop=lambda _state: stop.is_set(),
        wait=backoff.wait(),
        retry=tenacity.retry_if_exception(retry_if),
        before_sleep=announce,
        reraise=True,
    )

    async def call() -> T:
        # tenacity awaits only what a coroutine function returns, and ``attempt`` is often a
        # lambda returning a coroutine.
        return await attempt()

    return await retrying(call)


async def repeat_until_stopped(
    step: Callable[[], Awaitable[None]],
    stop: asyncio.Event,
    *,
    backoff: Backoff,
    on_retry: OnRetry,
) -> None:
    """``await step()`` again and again until ``stop`` is set (a step may also last until then).

    A step that fails (any ``Exception``) is retried after a backoff wait; the waits grow while
    failures follow each other and start from ``backoff.initial_s`` again after a step succeeds.
    Returns, without raising, once ``stop`` is set.
    """

    async def unless_stopped() -> None:
        # The attempt after a wait that ``stop`` cut short: nothing more to do.
        if not stop.is_set():
            await step()

    while not stop.is_set():
        try:
            await retry_until_done(
                unless_stopped, stop, retry_if=any_exception, backoff=backoff, on_retry=on_retry
            )
        except Exception:
            if not stop.is_set():
                raise  # cannot happen: every Exception is retried until ``stop``
            # A failure while stopping (often caused by the shutdown itself) ends the work.
            return


__all__ = [
    "Backoff",
    "OnRetry",
    "any_exception",
    "repeat_until_stopped",
    "retry_until_done",
    "sleep_or_stop",
]
