"""The build cache of `byok generate` and `byok diff` (issue 29): `.build/byok/`, beside the inputs.

- `replay`: the last successful `generate` (write/cache.py: its fingerprint, the digest of the
  tree it wrote, what it printed), replayed while nothing changed;
- `index`: what earlier runs computed for each input piece (an app with its vendor file and
  the settings: incremental/).

Each is JSON sealed with an HMAC-SHA256 (of its name and contents) under this user's key
(`$XDG_CACHE_HOME/byok/cache-key`, else `~/.cache/byok/cache-key`: 32 random bytes made on first
use, readable by the user only). A file that cannot be verified is ignored: damaged, of another
byok or Python, or made with another key (copied from another machine, committed to git,
restored by CI from another job's cache, written by hand). It can only make a run slower, never
change what it says.

Everything here is best effort: a cache that cannot be read or written costs its shortcut only.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import os
import secrets
import sys
from pathlib import Path
from typing import Any

STORE_DIR = ".build/byok"
MAGIC = b"byok-cache/3\n"
_KEY_BYTES = 32
# what an entry holds is this interpreter's reading of the inputs: another Python reads none
_PYTHON = f"{sys.implementation.cache_tag}".encode()


def _key_file() -> Path | None:
    base = os.environ.get("XDG_CACHE_HOME")
    if not base:
        try:
            home = Path.home()
        except RuntimeError:  # no home directory: no key, so no cache
            return None
        base = str(home / ".cache")
    return Path(base) / "byok" / "cache-key"


def _write_new(path: Path, data: bytes) -> None:
    """Create `path` holding `data` unless it exists (another process may race us: the first
    one's file wins, whole)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    try:
        os.link(tmp, path)  # fails if it exists: never replaces another process's key
    except FileExistsError:
        pass
    finally:
        tmp.unlink()


def user_key() -> bytes | None:
    """This user's cache key, made on first use; None where it cannot be read or made."""
    path = _key_file()
    if path is None:
        return None
    try:
        if not path.exists():
            _write_new(path, secrets.token_bytes(_KEY_BYTES))
        key = path.read_bytes()
    except OSError:
        return None
    return key if len(key) == _KEY_BYTES else None


class Store:
    """`.build/byok/` of one project, sealed with this user's key (no key: no cache)."""

    def __init__(self, root: Path, key: bytes | None = None) -> None:
        self.dir = root / STORE_DIR
        self.key = key if key is not None else user_key()

    def _mac(self, name: str, data: bytes) -> bytes:
        assert self.key is not None
        what = MAGIC + _PYTHON + b"\0" + name.encode() + b"\0" + data
        return hmac.new(self.key, what, hashlib.sha256).digest()

    def read(self, name: str = "index") -> Any:
        """The JSON document `name` as last written by this user with this Python, or None."""
        if self.key is None:
            return None
        try:
            raw = (self.dir / name).read_bytes()
        except OSError:
            return None
        n = len(MAGIC)
        head, mac, data = raw[:n], raw[n : n + 32], raw[n + 32 :]
        if head != MAGIC or not hmac.compare_digest(mac, self._mac(name, data)):
            return None
        try:
            return json.loads(data)
        except ValueError:
            return None

    def write(self, doc: Any, name: str = "index") -> None:
        """Seal and write `doc` (JSON) as `name`; best effort."""
        if self.key is None:
            return
        with contextlib.suppress(OSError, ValueError, TypeError):
            data = json.dumps(doc, separators=(",", ":")).encode()
            self._replace(self.dir / name, MAGIC + self._mac(name, data) + data)

    def _replace(self, path: Path, data: bytes) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}")
        tmp.write_bytes(data)
        tmp.replace(path)
