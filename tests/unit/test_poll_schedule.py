"""`core.watch.poll_schedule`: quick while live, slow when idle, doubling back-off on errors."""

from __future__ import annotations

from batchdeck.core.watch.poll_schedule import IDLE_SECONDS, LIVE_SECONDS, MAX_BACKOFF_SECONDS, PollSchedule


def test_live_and_idle_delays() -> None:
    schedule = PollSchedule()
    assert schedule.next_delay(live=3, ok=True) == LIVE_SECONDS == 5.0
    assert schedule.next_delay(live=0, ok=True) == IDLE_SECONDS == 60.0


def test_failures_double_up_to_the_cap_and_a_success_resets() -> None:
    schedule = PollSchedule(live_seconds=5)
    delays = [schedule.next_delay(live=1, ok=False) for _ in range(8)]
    assert delays == [10, 20, 40, 80, 160, 300, 300, 300] and MAX_BACKOFF_SECONDS == 300
    assert schedule.failures == 8
    assert schedule.next_delay(live=1, ok=True) == 5 and schedule.failures == 0
    assert schedule.next_delay(live=1, ok=False) == 10


def test_retry_after_wins_when_longer_than_the_backoff() -> None:
    schedule = PollSchedule(live_seconds=2, idle_seconds=30)
    assert schedule.next_delay(live=0, ok=False, retry_after=45) == 45
    assert schedule.next_delay(live=0, ok=False, retry_after=1) == 8  # 2 * 2**2
    assert schedule.next_delay(live=0, ok=True, retry_after=99) == 30  # only failures wait for it
