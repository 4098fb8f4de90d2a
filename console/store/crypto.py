"""Field encryption for personal data at rest: AES-256-GCM with rotatable keys.

A value is stored as `v1:<key id>:<base64(nonce | ciphertext+tag)>`; the column's name is the
associated data, so a ciphertext copied into another column does not decrypt. Keys come from
`DATA_KEYS` ("id:base64,id:base64", the first one current) or from the key file
`DATA_KEY_FILE` (JSON, mode 0600), which `python -m console demo` creates when missing.
`rotate` re-encrypts every encrypted column under a new key and drops the old ones.

Values that must be found again (a participant's code, a login id being throttled) are
stored encrypted beside a *blind index*: HMAC-SHA256 under a separate index key, which
`rotate` keeps (the key file's `index`, or `DATA_INDEX_KEY` beside `DATA_KEYS`). A column
declared with `info={"blind_index_of": "<column>"}` holds the index of that column.
"""

import base64
import hashlib
import hmac
import json
import os
import secrets
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import Text, TypeDecorator

from console import settings

PREFIX = "v1"


class KeyError_(Exception):
    """The data key is missing or cannot decrypt a stored value."""


@dataclass(frozen=True)
class Keyring:
    current: str
    keys: dict[str, bytes]
    index: bytes = b""  # the blind-index key: kept across rotations

    def blind_index(self, value: str, *, context: str) -> str:
        """A keyed hash of `value` for lookups: equal values give equal indexes, and the
        index reveals nothing without the key."""
        if not self.index:
            raise KeyError_("ブラインドインデックス用の鍵がありません。")
        message = f"{context}\0{value}".encode()
        return hmac.new(self.index, message, hashlib.sha256).hexdigest()

    @cached_property
    def _ciphers(self) -> dict[str, AESGCM]:
        return {key_id: AESGCM(key) for key_id, key in self.keys.items()}

    def encrypt(self, plaintext: str, *, context: str) -> str:
        nonce = secrets.token_bytes(12)
        sealed = self._ciphers[self.current].encrypt(nonce, plaintext.encode(), context.encode())
        return f"{PREFIX}:{self.current}:{base64.b64encode(nonce + sealed).decode()}"

    def decrypt(self, token: str, *, context: str) -> str:
        try:
            prefix, key_id, data = token.split(":", 2)
            raw = base64.b64decode(data)
            cipher = self._ciphers[key_id]
        except (ValueError, KeyError) as error:
            raise KeyError_(f"cannot decrypt a value for {context}") from error
        if prefix != PREFIX:
            raise KeyError_(f"unknown format for {context}")
        return cipher.decrypt(raw[:12], raw[12:], context.encode()).decode()

    def to_json(self) -> str:
        keys = {k: base64.b64encode(v).decode() for k, v in self.keys.items()}
        index = base64.b64encode(self.index).decode()
        return json.dumps({"current": self.current, "keys": keys, "index": index}, indent=2)

    @classmethod
    def from_json(cls, text: str) -> "Keyring":
        data = json.loads(text)
        return cls(
            current=data["current"],
            keys={k: base64.b64decode(v) for k, v in data["keys"].items()},
            index=base64.b64decode(data.get("index", "")),
        )


def new_key_id() -> str:
    return secrets.token_hex(4)


def write_key_file(path: Path, keyring: Keyring) -> None:
    """Replace the key file atomically and durably, mode 0600 from the first byte."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.unlink(missing_ok=True)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(keyring.to_json())
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


def create_key_file(path: Path) -> bool:
    """Create a key file with one fresh key unless it exists. True when created."""
    if path.exists():
        return False
    kid = new_key_id()
    write_key_file(
        path, Keyring(current=kid, keys={kid: AESGCM.generate_key(256)}, index=new_index_key())
    )
    return True


def new_index_key() -> bytes:
    return secrets.token_bytes(32)


def load() -> Keyring:
    if settings.DATA_KEYS:
        pairs = [item.split(":", 1) for item in str(settings.DATA_KEYS).split(",") if item.strip()]
        keys = {kid.strip(): base64.b64decode(value) for kid, value in pairs}
        if not settings.DATA_INDEX_KEY:
            raise KeyError_(
                "DATA_KEYS を使う場合は DATA_INDEX_KEY(32バイトの鍵を base64 で)も設定してください。"
            )
        index = base64.b64decode(str(settings.DATA_INDEX_KEY))
        return Keyring(current=pairs[0][0].strip(), keys=keys, index=index)
    path = Path(settings.DATA_KEY_FILE)
    if not path.exists():
        raise KeyError_(
            f"データ暗号鍵がありません: {path}(DATA_KEYS か DATA_KEY_FILE を設定するか、"
            "python -m console demo で作成してください)"
        )
    if path.stat().st_mode & 0o077:
        raise KeyError_(
            f"データ暗号鍵のファイル {path} は所有者以外も読めます。chmod 600 にしてください。"
        )
    ring = Keyring.from_json(path.read_text())
    if not ring.index:  # a key file from before blind indexes: give it its index key once
        ring = Keyring(current=ring.current, keys=ring.keys, index=new_index_key())
        write_key_file(path, ring)
    return ring


_keyring: Keyring | None = None
_loaded_stamp: int | None = None  # the key file's mtime when it was read
_pinned = False


def _stamp() -> int | None:
    try:
        return Path(settings.DATA_KEY_FILE).stat().st_mtime_ns
    except OSError:
        return None


def keyring() -> Keyring:
    """The current keyring. A key file changed by `rotate-key` in another process is re-read,
    so a running server never writes under a key that has just been retired."""
    global _keyring, _loaded_stamp
    if _pinned and _keyring is not None:
        return _keyring
    stamp = None if settings.DATA_KEYS else _stamp()
    if _keyring is None or stamp != _loaded_stamp:
        _keyring, _loaded_stamp = load(), stamp
    return _keyring


def use(ring: Keyring | None) -> None:
    """Pin the process's keyring (a test reading a server's database); None unpins it."""
    global _keyring, _pinned, _loaded_stamp
    _keyring, _pinned, _loaded_stamp = ring, ring is not None, None


def blind_index(value: str, *, context: str) -> str:
    """The blind index of `value` under the current keyring (see the module docstring)."""
    return keyring().blind_index(value, context=context)


class Encrypted(TypeDecorator):
    """A text column stored encrypted; reads give the plaintext back."""

    impl = Text
    cache_ok = True

    def __init__(self, context: str) -> None:
        super().__init__()
        self.context = context

    def process_bind_param(self, value: str | None, dialect) -> str | None:
        return None if value is None else keyring().encrypt(value, context=self.context)

    def process_result_value(self, value: str | None, dialect) -> str | None:
        return None if value is None else keyring().decrypt(value, context=self.context)


def encrypted_columns() -> list:
    """Every (table, column) whose values are encrypted (of the tables registered: the
    composition root imports every domain's models)."""
    from sqlmodel import SQLModel

    return [
        (table, column)
        for table in SQLModel.metadata.sorted_tables
        for column in table.columns
        if isinstance(column.type, Encrypted)
    ]


def rotate(engine) -> str:
    """Re-encrypt every encrypted value under a new key, then forget the old keys.

    Safe to interrupt and to run beside live servers: the key file keeps old and new keys
    (servers re-read it) until a final pass finds no value left under an old key; a lock file
    keeps two rotations from running at once. Returns the new key id.
    """
    import fcntl

    if settings.DATA_KEYS:
        raise KeyError_("DATA_KEYS で鍵を渡している場合は、鍵の入れ替えを手作業で行ってください。")
    path = Path(settings.DATA_KEY_FILE)
    with open(path.with_suffix(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        old = load()
        kid = new_key_id()
        both = Keyring(
            current=kid, keys={**old.keys, kid: AESGCM.generate_key(256)}, index=old.index
        )
        write_key_file(path, both)
        while _reencrypt_stragglers(engine, both, kid):
            pass  # a server may have written under the old key meanwhile: go again
        write_key_file(path, Keyring(current=kid, keys={kid: both.keys[kid]}, index=old.index))
    return kid


@dataclass(frozen=True)
class _Context:
    """The associated data of a column's values: fixed, or the row's own (`row_sealed`)."""

    fixed: str
    columns: tuple[str, ...] = ()

    def __call__(self, *parts: str) -> str:
        return ":".join((self.fixed, *parts))


def _sealed_columns() -> list:
    """Every encrypted column, with how to build each value's associated data."""
    from sqlmodel import SQLModel

    found = [(t, c, _Context(c.type.context)) for t, c in encrypted_columns()]
    for table in SQLModel.metadata.sorted_tables:
        for column in table.columns:
            if "row_sealed" in column.info:
                fixed, key_column = column.info["row_sealed"]
                found.append((table, column, _Context(fixed, (key_column,))))
    return found


def _reencrypt_stragglers(engine, ring: Keyring, kid: str) -> int:
    """Re-encrypt every value not yet under `kid`; returns how many there were."""
    from sqlalchemy import String, select, type_coerce, update

    from console.store.db import transaction

    done = 0
    prefix = f"{PREFIX}:{kid}:"
    for table, column, context_of in _sealed_columns():
        raw = type_coerce(column, String)
        (key,) = table.primary_key.columns  # every table with encrypted values has a one-column key
        extra = [table.c[name] for name in context_of.columns]
        with transaction(engine) as db:
            rows = db.execute(
                select(key, raw, *extra).where(column.is_not(None), ~raw.startswith(prefix))
            ).all()
            for row_id, token, *parts in rows:
                context = context_of(*parts)
                sealed = ring.encrypt(ring.decrypt(token, context=context), context=context)
                db.execute(
                    update(table)
                    .where(key == row_id)
                    .values({column.name: type_coerce(sealed, String)})
                )
                done += 1
    return done
