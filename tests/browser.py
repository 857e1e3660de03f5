"""A real headless Chromium (Debian's `chromium` and `chromium-driver`, installed by
scripts/install-chromium.sh, which `make test` runs first), driven over the W3C WebDriver
protocol that chromedriver serves on a loopback port: plain HTTP and JSON, so no client
library is needed. Every call is bounded in time; `Browser` stops what it starts.

The browser runs offline: every host name resolves to nothing (`--host-resolver-rules`), and
the background services that would call home are off, so a page that needs the network fails
to load its parts here instead of fetching them.
"""

from __future__ import annotations

import base64
import json
import os
import socket
import subprocess
import time
import urllib.request
from pathlib import Path
from typing import Any

CHROMIUM = os.environ.get("BYOK_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("BYOK_CHROMEDRIVER", "/usr/bin/chromedriver")
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--host-resolver-rules=MAP * ~NOTFOUND",
    "--window-size=1400,1000",
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Browser:
    """One chromedriver and one Chromium session, with a fresh empty profile."""

    def __init__(self, profile: Path, timeout: float = 60) -> None:
        self.timeout = timeout
        self.port = _free_port()
        self.driver = subprocess.Popen(
            [CHROMEDRIVER, f"--port={self.port}", "--allowed-ips=127.0.0.1"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            self._wait_ready()
            options = {"binary": CHROMIUM, "args": [*FLAGS, f"--user-data-dir={profile}"]}
            caps = {"browserName": "chrome", "goog:chromeOptions": options}
            caps["goog:loggingPrefs"] = {"browser": "ALL"}
            got = self._call("POST", "/session", {"capabilities": {"alwaysMatch": caps}})
            self.session = got["sessionId"]
        except BaseException:
            self.driver.kill()
            self.driver.wait(10)
            raise

    def _call(self, method: str, path: str, body: Any = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(
            f"http://127.0.0.1:{self.port}{path}", data=data, method=method
        )
        req.add_header("Content-Type", "application/json")
        with urllib.request.urlopen(req, timeout=self.timeout) as resp:
            return json.loads(resp.read())["value"]

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                if self._call("GET", "/status").get("ready"):
                    return
            except OSError:
                time.sleep(0.1)
        raise TimeoutError("chromedriver did not start")

    def _s(self, path: str) -> str:
        return f"/session/{self.session}{path}"

    def open(self, url: str) -> None:
        self._call("POST", self._s("/url"), {"url": url})

    def js(self, script: str, *args: Any) -> Any:
        return self._call("POST", self._s("/execute/sync"), {"script": script, "args": list(args)})

    def wait_for(self, script: str, timeout: float = 30) -> Any:
        """Poll `script` until it returns something truthy."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = self.js(script)
            if value:
                return value
            time.sleep(0.1)
        raise TimeoutError(f"never true: {script}")

    def console(self) -> list[dict[str, Any]]:
        """The browser's console and page errors since the last call (chromedriver's log)."""
        return list(self._call("POST", self._s("/se/log"), {"type": "browser"}))

    def screenshot(self, dest: Path) -> Path:
        png = base64.b64decode(self._call("GET", self._s("/screenshot")))
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_bytes(png)
        return dest

    def close(self) -> None:
        try:
            self._call("DELETE", self._s(""))
        finally:
            self.driver.terminate()
            try:
                self.driver.wait(10)
            except subprocess.TimeoutExpired:
                self.driver.kill()
                self.driver.wait(10)
