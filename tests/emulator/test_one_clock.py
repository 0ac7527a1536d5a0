"""One clock: `Date`, `created_at` and every other timestamp the emulator sends agree, at any speed."""

from __future__ import annotations

from datetime import datetime
from email.utils import parsedate_to_datetime

import anthropic
import pytest

from batchdeck.emulator import Emulator
from tests.conftest import API_KEY, START, request


def _stamps(raw: anthropic.APIResponse) -> tuple[datetime, datetime]:
    """(Date header, anthropic-ratelimit-requests-reset header) of a raw response."""
    date = parsedate_to_datetime(raw.headers["date"])
    reset = datetime.fromisoformat(raw.headers["anthropic-ratelimit-requests-reset"].replace("Z", "+00:00"))
    return date, reset


@pytest.mark.parametrize(("speed", "start"), [(600.0, None), (0.0, START + 0.5)])
def test_created_at_never_runs_ahead_of_date(speed: float, start: float | None) -> None:
    with (
        Emulator(speed=speed, start_time=start) as emu,
        anthropic.Anthropic(base_url=emu.base_url, api_key=API_KEY) as client,
    ):
        for i in range(15):
            raw = client.messages.batches.with_raw_response.create(requests=[request(f"r{i}")])
            batch = raw.parse()
            date, reset = _stamps(raw)
            assert batch.created_at <= date, (batch.created_at, date)
            assert (date - batch.created_at).total_seconds() < 60  # a moment earlier, on the same clock
            assert abs((reset - date).total_seconds() - 60) < 60  # the reset is a minute ahead on that clock
            listed = client.messages.batches.with_raw_response.list(limit=1)
            newest = listed.parse().data[0]
            assert newest.created_at <= _stamps(listed)[0]


def test_the_rate_limit_reset_follows_the_emulated_clock() -> None:
    with (
        Emulator(speed=0, start_time=START) as emu,
        anthropic.Anthropic(base_url=emu.base_url, api_key=API_KEY) as client,
    ):
        raw = client.messages.batches.with_raw_response.list()
        date, reset = _stamps(raw)
        assert date.timestamp() == START
        assert reset.timestamp() == START + 60
