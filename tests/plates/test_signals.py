"""Loading the engine must leave the process's signal handling alone (Paddle installs aborting handlers)."""

import subprocess
import sys
import textwrap

import pytest

pytestmark = pytest.mark.slow

SCRIPT = textwrap.dedent(
    """
    import os, signal, sys, threading, time
    signal.signal(signal.SIGTERM, lambda *_: (print("handled", flush=True), sys.exit(0)))
    from plates.pipeline import Pipeline
    from tests.support.synth import plate_photo

    def load_and_run():
        Pipeline().recognize(plate_photo("AB12CDE"))  # Paddle installs its handlers on the first inference

    if sys.argv[1] == "thread":
        t = threading.Thread(target=load_and_run); t.start(); t.join()
    else:
        load_and_run()
    os.kill(os.getpid(), signal.SIGTERM)
    time.sleep(5)
    print("not handled", flush=True)
    """
)


@pytest.mark.parametrize("where", ["main", "thread"])
def test_sigterm_after_loading_the_engine(where):
    proc = subprocess.run([sys.executable, "-c", SCRIPT, where], capture_output=True, text=True, timeout=120)
    assert "FatalError" not in proc.stdout + proc.stderr
    if where == "main":
        # Our own handler runs: a Celery worker's warm shutdown stays warm.
        assert proc.stdout.strip().endswith("handled") and proc.returncode == 0
    else:
        # Loaded off the main thread, Python cannot re-install its handler; the default applies (no abort).
        assert proc.returncode in (0, -15), proc.stderr
