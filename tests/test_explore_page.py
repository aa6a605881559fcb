"""`make explore` serves the model explorer page with voila: HTTP 200, with the widget in it.

The page is fetched once (voila runs notebooks/explorer/explorer.ipynb in a new kernel,
about 10 s); the browser-level checks (clicking Fit in the page) belong to a browser test.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request

import pytest

from sqlib import config

ROOT = config.PROJECT_ROOT
STAMP = ".venv/.sqlib-installed"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def fetch(url: str, seconds: float) -> tuple[int, str]:
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(url, timeout=120) as response:
                return response.status, response.read().decode("utf-8", errors="replace")
        except (urllib.error.URLError, ConnectionError):
            if time.monotonic() > deadline:
                raise
            time.sleep(1)


def test_make_explore_serves_the_explorer_page(tmp_path):
    if shutil.which("make") is None or not (ROOT / ".venv" / "bin" / "voila").exists():
        pytest.skip("needs make and voila in .venv (make setup)")
    port = free_port()
    log = (tmp_path / "voila.log").open("w")
    # -o: take the installed .venv as it is (no reinstall inside a test)
    server = subprocess.Popen(["make", "-s", "-o", STAMP, "explore", f"PORT={port}"], cwd=ROOT, stdout=log,
                              stderr=subprocess.STDOUT, start_new_session=True)
    try:
        status, page = fetch(f"http://127.0.0.1:{port}/", seconds=180)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(60)
        log.close()
    assert status == 200
    assert "sqlib model explorer" in page
    assert "application/vnd.jupyter.widget-view+json" in page, (tmp_path / "voila.log").read_text()[-2000:]
    assert "Traceback" not in page
