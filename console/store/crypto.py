"""Field encryption for personal data at rest: AES-256-GCM with rotatable keys.

A value is stored as `v1:<key id>:<base64(nonce | ciphertext+tag)>`; the column's name is the
associated data, so a ciphertext copied into another column does not decrypt. Keys come from
`DATA_KEYS` ("id:base64,id:base64", the first one current) or from the key file
`DATA_KEY_FILE` (JSON, mode 0600), which `python -m console init` (or `demo`) creates. A key
is named by its id and its `fingerprint` (a hash that reveals nothing of it); the database
records the fingerprints of its keys (`console.store.datakeys`, which also rotates them).

Values that must be found again (a participant's code, a login id being throttled) are
stored encrypted beside a *blind index*: HMAC-SHA256 under a separate index key, which
rotation keeps (the key file's `index`, or `DATA_INDEX_KEY` beside `DATA_KEYS`). A column
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
SHREDDED = "廃棄済み"  # what a value under a destroyed key reads as (`console.store.shred`)


class KeyError_(Exception):
    """The data key is missing or cannot decrypt a stored value."""


@dataclass(frozen=True)
class Keyring:
    current: str
    keys: dict[str, bytes]
    index: bytes = b""  # the blind-index key: kept across rotations
    shredded: tuple[str, ...] = ()  # ids of destroyed keys: their values read as SHREDDED

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
            if prefix == PREFIX and key_id in self.shredded:
                return SHREDDED
            raw = base64.b64decode(data)
            cipher = self._ciphers[key_id]
        except (ValueError, KeyError) as error:
            raise KeyError_(f"cannot decrypt a value for {context}") from error
        if prefix != PREFIX:
            raise KeyError_(f"unknown format for {context}")
        return cipher.decrypt(raw[:12], raw[12:], context.encode()).decode()

    def data_fingerprints(self) -> dict[str, str]:
        """Each data key's fingerprint, and its id."""
        return {fingerprint(key, kind="data"): key_id for key_id, key in self.keys.items()}

    @property
    def index_fingerprint(self) -> str:
        return fingerprint(self.index, kind="index")

    def to_json(self) -> str:
        keys = {k: base64.b64encode(v).decode() for k, v in self.keys.items()}
        index = base64.b64encode(self.index).decode()
        data = {"current": self.current, "keys": keys, "index": index}
        if self.shredded:
            data["shredded"] = list(self.shredded)
        return json.dumps(data, indent=2)

    @classmethod
    def from_json(cls, text: str) -> "Keyring":
        data = json.loads(text)
        return cls(
            current=data["current"],
            keys={k: base64.b64decode(v) for k, v in data["keys"].items()},
            index=base64.b64decode(data.get("index", "")),
            shredded=tuple(data.get("shredded", ())),
        )


def fingerprint(key: bytes, *, kind: str) -> str:
    """A key's public name: SHA-256 over a label and the key. It tells two keys apart and
    reveals nothing of either (a key is 32 random bytes)."""
    label = f"session-console {kind} key fingerprint\0".encode()
    return hashlib.sha256(label + key).hexdigest()[:32]


def source() -> str:
    """Where the keys come from, for messages."""
    return "DATA_KEYS" if settings.DATA_KEYS else str(settings.DATA_KEY_FILE)


def missing_key_message(path: Path) -> str:
    return (
        f"データ暗号鍵がありません: {path}(python -m console init で作成するか、DATA_KEY_FILE か"
        f" DATA_KEYS を設定してください) / no data key at {path}: run `python -m console init`"
        " or set DATA_KEY_FILE or DATA_KEYS"
    )


def new_key_id() -> str:
    return secrets.token_hex(4)


def write_key_file(path: Path, keyring: Keyring) -> None:
    """Replace the key file atomically and durably, mode 0600 from the first byte."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
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
    write_key_file(path, new_keyring())
    return True


def new_index_key() -> bytes:
    return secrets.token_bytes(32)


def load() -> Keyring:
    """The keys from DATA_KEYS or the key file; KeyError_ (one line, for the operator) when
    they are missing, readable by others or malformed."""
    if settings.DATA_KEYS:
        if not settings.DATA_INDEX_KEY:
            raise KeyError_(
                "DATA_KEYS を使う場合は DATA_INDEX_KEY(32バイトの鍵を base64 で)も設定してください。"
                " / DATA_KEYS needs DATA_INDEX_KEY too"
            )
        try:
            return parse_keys(str(settings.DATA_KEYS), str(settings.DATA_INDEX_KEY))
        except ValueError as error:
            raise KeyError_(
                "DATA_KEYS か DATA_INDEX_KEY の形式が正しくありません(id:base64,… と base64)。"
                " / DATA_KEYS or DATA_INDEX_KEY is malformed"
            ) from error
    path = Path(settings.DATA_KEY_FILE)
    if not path.exists():
        raise KeyError_(missing_key_message(path))
    if path.stat().st_mode & 0o077:
        raise KeyError_(
            f"データ暗号鍵のファイル {path} は所有者以外も読めます。chmod 600 にしてください。"
            f" / the key file {path} is readable by others: chmod 600 it"
        )
    try:
        ring = Keyring.from_json(path.read_text())
    except (ValueError, KeyError, TypeError) as error:
        raise KeyError_(
            f"データ暗号鍵のファイル {path} を読めません。 / the key file {path} is malformed"
        ) from error
    if not ring.index:  # a key file from before blind indexes: give it its index key once
        ring = Keyring(ring.current, ring.keys, new_index_key(), ring.shredded)
        write_key_file(path, ring)
    return ring


def parse_keys(data_keys: str, index_key: str) -> Keyring:
    """`id:base64,…` (the first current) and the index key's base64, as DATA_KEYS and
    DATA_INDEX_KEY give them; ValueError when malformed."""
    pairs = [item.strip().split(":", 1) for item in data_keys.split(",") if item.strip()]
    if not pairs or any(len(pair) != 2 or not pair[0] for pair in pairs):
        raise ValueError("expected id:base64,…")
    keys = {kid: base64.b64decode(value, validate=True) for kid, value in pairs}
    index = base64.b64decode(index_key, validate=True)
    if any(len(key) not in (16, 24, 32) for key in keys.values()) or len(index) < 16:
        raise ValueError("AES keys are 16, 24 or 32 bytes; the index key at least 16")
    return Keyring(current=pairs[0][0], keys=keys, index=index)


def environment_lines(ring: Keyring) -> list[str]:
    """`ring` as the DATA_KEYS and DATA_INDEX_KEY settings that `parse_keys` reads."""
    keys = ",".join(f"{kid}:{base64.b64encode(key).decode()}" for kid, key in ring.keys.items())
    return [f"DATA_KEYS={keys}", f"DATA_INDEX_KEY={base64.b64encode(ring.index).decode()}"]


def new_keyring() -> Keyring:
    kid = new_key_id()
    return Keyring(current=kid, keys={kid: AESGCM.generate_key(256)}, index=new_index_key())


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


@dataclass(frozen=True)
class _Context:
    """The associated data of a column's values: fixed, or the row's own (`row_sealed`)."""

    fixed: str
    columns: tuple[str, ...] = ()

    def __call__(self, *parts: str) -> str:
        return ":".join((self.fixed, *parts))


def sealed_columns() -> list:
    """Every encrypted column, with how to build each value's associated data."""
    from sqlmodel import SQLModel

    found = [(t, c, _Context(c.type.context)) for t, c in encrypted_columns()]
    for table in SQLModel.metadata.sorted_tables:
        for column in table.columns:
            if "row_sealed" in column.info:
                fixed, key_column = column.info["row_sealed"]
                found.append((table, column, _Context(fixed, (key_column,))))
    return found
