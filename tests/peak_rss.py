"""Peak RSS of one `batchdeck` run, measured honestly.

`ru_maxrss` of a child forked from pytest starts at pytest's own size (the pages it shares before
exec count), so a large test process would inflate it. The command runs instead as the child of a
small fresh interpreter, whose RUSAGE_CHILDREN then holds that command's peak alone.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass

_PROBE = """
import json, resource, subprocess, sys
run = subprocess.run([sys.executable, "-m", "batchdeck", *sys.argv[1:]], capture_output=True, text=True)
print(json.dumps({"code": run.returncode, "stdout": run.stdout, "stderr": run.stderr,
                  "peak_kib": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}))
"""


@dataclass(frozen=True)
class Measured:
    code: int
    stdout: str
    stderr: str
    peak_bytes: int


def run_batchdeck(*args: str, timeout: float = 120) -> Measured:
    """`batchdeck ARGS` (environment inherited) with its exit code, output and peak RSS."""
    probe = subprocess.run(
        [sys.executable, "-c", _PROBE, *args], capture_output=True, text=True, check=True, timeout=timeout
    )
    out = json.loads(probe.stdout)
    return Measured(out["code"], out["stdout"], out["stderr"], out["peak_kib"] * 1024)
