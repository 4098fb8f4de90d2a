"""Crypto-shredding: destroy the data keys of the personal data, keep what must survive.

Every encrypted value is under one of the key file's data keys. `shred` re-encrypts the values
of the columns named as kept (report figures, finalised reports, staff credentials) under a new
key, then forgets every old data key and the blind-index key: what was under them can no longer
be decrypted by anyone, and reads as `crypto.SHREDDED` (the key file names the destroyed ids).
Rows, event structure and kept values stay. Like `datakeys.rotate` it holds the lock on the key
file's directory and refuses (nothing changed) unless the key file's keys are this database's.
"""

import fcntl
import os
from pathlib import Path

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import delete
from sqlalchemy.engine import Engine

from console import settings
from console.store import crypto, datakeys
from console.store.crypto import Keyring
from console.store.db import transaction
from console.store.models import DataKey


def shred(engine: Engine, keep: frozenset[str]) -> list[str]:
    """Destroy every data key but a new one that holds the values of the `keep` contexts;
    returns the ids of the keys destroyed."""
    if settings.DATA_KEYS:
        raise crypto.KeyError_(
            "DATA_KEYS で鍵を渡している場合は、暗号鍵の破棄(廃棄)を手作業で行ってください。"
            " / with DATA_KEYS, shred by hand"
        )
    path = Path(settings.DATA_KEY_FILE)
    crypto.load()  # no key file: refuse before touching anything
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        fcntl.flock(directory, fcntl.LOCK_EX)
        return _shred(engine, path, keep)
    finally:
        os.close(directory)


def _shred(engine: Engine, path: Path, keep: frozenset[str]) -> list[str]:
    old = crypto.load()
    datakeys.check(engine, old, adopt_empty=False)
    kid = crypto.new_key_id()
    new_key = AESGCM.generate_key(256)
    both = Keyring(kid, {**old.keys, kid: new_key}, old.index, old.shredded)
    crypto.write_key_file(path, both)
    with transaction(engine) as db:
        datakeys.add(db, both, {kid})
    while datakeys.reencrypt(engine, both, kid, only=keep):
        pass  # a server may have written a kept value under an old key meanwhile: go again
    destroyed = list(old.keys)
    kept = Keyring(kid, {kid: new_key}, crypto.new_index_key(), (*old.shredded, *destroyed))
    with transaction(engine) as db:
        db.execute(delete(DataKey).where(DataKey.key_id != kid))
        datakeys.add(db, kept, {kid})
    crypto.write_key_file(path, kept)
    return destroyed
