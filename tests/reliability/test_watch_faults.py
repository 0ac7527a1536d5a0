"""`batchdeck watch` over 20 live batches under the suite's 20% fault mix: the same end states and the
same saved results as the API holds, each outage said once."""

from __future__ import annotations

import filecmp
from pathlib import Path

import anthropic
import httpx2
import pytest

from batchdeck.core.results.download import results_path
from batchdeck.core.workspace import Workspace
from batchdeck.emulator import Emulator
from tests.conftest import API_KEY
from tests.core.conftest import run_cli
from tests.core.test_watch import Sleeper, create, events, sleeper  # noqa: F401  (the watch's clock hook, a fixture)
from tests.reliability.conftest import faulted_share, faults

LIVE_BATCHES = 20


def test_watch_of_20_live_batches_under_faults(
    sleeper: Sleeper,  # noqa: F811  (the fixture imported above)
    client: anthropic.Anthropic,
    emulator: Emulator,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    ids = [create(client, emulator, 3 + i, error_rate=0.2 * (i % 3 == 0)) for i in range(LIVE_BATCHES)]
    emulator.faults.configure(faults(seed=21))
    code, out, err = run_cli(capsys, "watch", "--all-live", "--json", "--download", "--interval", "15")
    bad, total = faulted_share(emulator)
    emulator.faults.clear()
    docs = events(out)
    kinds = [d["event"] for d in docs]
    outages = [k for k in kinds if k in ("error", "recovered")]
    assert outages == ["error", "recovered"] * (len(outages) // 2), outages  # each said once
    truth = {i: client.messages.batches.retrieve(i) for i in ids}
    ended = {d["batch"]["id"]: d["batch"]["request_counts"] for d in docs if d["event"] == "ended"}
    assert set(ended) == set(ids)
    assert ended == {i: {k: getattr(b.request_counts, k) for k in ended[i]} for i, b in truth.items()}
    assert code == (3 if any(b.request_counts.errored for b in truth.values()) else 0), err
    headers = {"x-api-key": API_KEY, "anthropic-version": "2023-06-01"}
    with Workspace.open() as ws:
        for batch_id in ids:  # saved byte for byte as the API serves them, whatever was faulted on the way
            saved = results_path(ws, batch_id)
            body = httpx2.get(f"{emulator.base_url}/v1/messages/batches/{batch_id}/results", headers=headers).content
            reference = tmp_path / f"{batch_id}.jsonl"
            reference.write_bytes(body)
            assert saved.exists() and filecmp.cmp(saved, reference, shallow=False), batch_id
    assert bad > 0, (bad, total)
    print(
        f"watch: {LIVE_BATCHES} live batches, {bad}/{total} requests faulted, "
        f"{outages.count('error')} outages; json lines {len(docs)}"
    )
