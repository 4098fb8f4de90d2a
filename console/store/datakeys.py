"""Which keys a database was encrypted with, and rotating them.

The database records, in table `datakey`, the id and fingerprint (`crypto.fingerprint`, never
the key) of every data key whose values it may still hold, and of its blind-index key. Before
the console serves, and before `rotate-key` changes anything, `check` makes sure the key set
given holds every one of them; otherwise it refuses, naming both sides. So a wrong key file
(another database's, or one from before a rotation) stops the start instead of serving pages
that cannot decrypt, and `rotate-key` against the wrong database retires nothing.

A database without records (made before them) is adopted: for each encrypted column and each
key id of the key set, one value under that id is decrypted, a value under any other id is a
mismatch, and one blind index is recomputed; when all agree, the keys found are recorded.
"""

import fcntl
import os
from pathlib import Path

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import String, and_, delete, inspect, select, type_coerce, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, SQLModel

from console import settings
from console.store import crypto
from console.store.crypto import PREFIX, Encrypted, Keyring
from console.store.db import transaction
from console.store.models import DataKey

DATA, INDEX = "data", "index"


class KeyMismatch(crypto.KeyError_):
    """The key set given cannot read this database (or it is not this key set's database)."""


def check(engine: Engine, ring: Keyring, *, record: bool = True, adopt_empty: bool = True) -> None:
    """Refuse (KeyMismatch) unless `ring` holds every key the database records, or, with no
    records, decrypts what the database holds. Then record (unless `record` is false) the
    keys found and `ring`'s current key, which writes from now on. `adopt_empty=False` also
    refuses a database with neither records nor values: nothing ties it to `ring`."""
    if DataKey.__tablename__ not in inspect(engine).get_table_names():
        if not record:  # a backup from before the records: what it holds must decrypt
            with Session(engine) as db:
                _evidence(db, ring)
            return
        raise crypto.KeyError_(
            "データベースが初期化されていないか、スキーマが古いです(python -m console init か"
            " migrate を先に)。 / the database is not initialised or not migrated"
        )
    try:
        _check(engine, ring, record=record, adopt_empty=adopt_empty)
    except IntegrityError:  # another worker recorded the same key meanwhile
        _check(engine, ring, record=record, adopt_empty=adopt_empty)


def _check(engine: Engine, ring: Keyring, *, record: bool, adopt_empty: bool) -> None:
    with transaction(engine) as db:
        rows = list(db.execute(select(DataKey)).scalars())
        if rows:
            _compare(rows, ring)
            found: set[str] = set()
        else:
            found = _evidence(db, ring)
            if not found and not adopt_empty:
                raise KeyMismatch(
                    "このデータベースには鍵の記録も、渡された鍵"
                    f"({_names(ring.data_fingerprints())}、{crypto.source()})で暗号化したデータも"
                    "ありません。DATABASE_URL を確かめてください。 / nothing ties this database to"
                    f" the key set {_names(ring.data_fingerprints())}: check DATABASE_URL"
                )
        if record:
            add(db, ring, found | {ring.current}, rows)


def add(db: Session, ring: Keyring, key_ids: set[str], rows: list[DataKey] = ()) -> None:
    """Record `key_ids` of `ring` and its index key, unless recorded already."""
    known = {row.fingerprint for row in rows} | set(
        db.execute(select(DataKey.fingerprint)).scalars()
    )
    for fingerprint, key_id in ring.data_fingerprints().items():
        if key_id in key_ids and fingerprint not in known:
            db.add(DataKey(fingerprint=fingerprint, kind=DATA, key_id=key_id))
    if ring.index_fingerprint not in known:
        db.add(DataKey(fingerprint=ring.index_fingerprint, kind=INDEX, key_id=INDEX))


def _names(fingerprints: dict[str, str]) -> str:
    """`id(fingerprint…)` for each key."""
    return "、".join(f"{key_id}({fp[:12]})" for fp, key_id in fingerprints.items()) or "なし"


def _mismatch(what: str, english: str, recorded: str, given: str) -> str:
    return (
        f"{what}が一致しません。データベースの鍵: {recorded}、渡された鍵({crypto.source()}):"
        f" {given}。DATA_KEY_FILE か DATA_KEYS を確かめてください。 / {english} mismatch: the"
        f" database was encrypted with {recorded}, the key set ({crypto.source()}) has {given}"
    )


def _compare(rows: list[DataKey], ring: Keyring) -> None:
    recorded = {row.fingerprint: row.key_id for row in rows if row.kind == DATA}
    given = ring.data_fingerprints()
    if not set(recorded) <= set(given):
        raise KeyMismatch(_mismatch("データ暗号鍵", "data key", _names(recorded), _names(given)))
    index = {row.fingerprint: INDEX for row in rows if row.kind == INDEX}
    if index and ring.index_fingerprint not in index:
        given_index = _names({ring.index_fingerprint: INDEX})
        raise KeyMismatch(
            _mismatch("ブラインドインデックス鍵", "blind-index key", _names(index), given_index)
        )


def _evidence(db: Session, ring: Keyring) -> set[str]:
    """The key ids of `ring` that values of the database are encrypted under, each checked by
    decrypting one value; KeyMismatch when a value is under a key `ring` lacks or cannot
    decrypt, or a blind index does not match."""
    found: set[str] = set()
    given = ring.data_fingerprints()
    for _table, column in crypto.encrypted_columns():
        raw = type_coerce(column, String)
        for key_id in ring.keys:
            under = raw.startswith(f"{PREFIX}:{key_id}:", autoescape=True)
            token = db.execute(select(raw).where(under).limit(1)).scalar()
            if token is None:
                continue
            try:
                ring.decrypt(token, context=column.type.context)
            except Exception as error:  # noqa: BLE001 - wrong key material under this id
                recorded = f"{key_id}(同じIDの別の鍵 / another key of that id)"
                raise KeyMismatch(
                    _mismatch("データ暗号鍵", "data key", recorded, _names(given))
                ) from error
            found.add(key_id)
        others = [~raw.startswith(f"{PREFIX}:{k}:", autoescape=True) for k in ring.keys]
        stray = db.execute(
            select(raw).where(and_(raw.startswith(f"{PREFIX}:"), *others)).limit(1)
        ).scalar()
        if stray is not None:
            recorded = stray.split(":", 2)[1]
            raise KeyMismatch(_mismatch("データ暗号鍵", "data key", recorded, _names(given)))
    _check_blind_indexes(db, ring)
    return found


def _check_blind_indexes(db: Session, ring: Keyring) -> None:
    for table in SQLModel.metadata.sorted_tables:
        for column in table.columns:
            source_name = column.info.get("blind_index_of")
            if source_name is None:
                continue
            source = table.c[source_name]
            raw = type_coerce(source, String)
            row = db.execute(
                select(raw, column).where(column.is_not(None), source.is_not(None)).limit(1)
            ).first()
            if row is None:
                continue
            value, index = row
            if isinstance(source.type, Encrypted):
                if not value.startswith(f"{PREFIX}:"):
                    continue  # still in the clear: `migrate` seals it
                value = ring.decrypt(value, context=source.type.context)
            if ring.blind_index(value, context=f"{table.name}.{source_name}") != index:
                given = _names({ring.index_fingerprint: INDEX})
                raise KeyMismatch(
                    _mismatch(
                        "ブラインドインデックス鍵", "blind-index key", "(別の鍵 / another)", given
                    )
                )


def rotate(engine: Engine) -> str:
    """Re-encrypt every encrypted value under a new key, then forget the old keys. Refused
    (nothing changed) unless the key file's keys are this database's. Returns the new key id.

    Safe to interrupt and to run beside live servers: the key file keeps old and new keys
    (servers re-read it) until a final pass finds no value left under an old key; the records
    drop the old keys before the key file does; a lock on its directory keeps two rotations
    apart.
    """
    if settings.DATA_KEYS:
        raise crypto.KeyError_(
            "DATA_KEYS で鍵を渡している場合は、鍵の入れ替えを手作業で行ってください。"
            " / with DATA_KEYS, rotate by hand"
        )
    path = Path(settings.DATA_KEY_FILE)
    crypto.load()  # no key file: refuse before touching anything
    # Two rotations never run at once: each holds a lock on the key file's directory (the
    # key file itself is replaced, and a lock file would be left behind).
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        fcntl.flock(directory, fcntl.LOCK_EX)
        return _rotate(engine, path)
    finally:
        os.close(directory)


def _rotate(engine: Engine, path: Path) -> str:
    old = crypto.load()
    check(engine, old, adopt_empty=False)
    kid = crypto.new_key_id()
    new_key = AESGCM.generate_key(256)
    both = Keyring(current=kid, keys={**old.keys, kid: new_key}, index=old.index)
    crypto.write_key_file(path, both)
    with transaction(engine) as db:
        add(db, both, {kid})
    while reencrypt(engine, both, kid):
        pass  # a server may have written under the old key meanwhile: go again
    new_fingerprint = crypto.fingerprint(new_key, kind=DATA)
    with transaction(engine) as db:
        db.execute(
            delete(DataKey).where(DataKey.kind == DATA, DataKey.fingerprint != new_fingerprint)
        )
    crypto.write_key_file(path, Keyring(current=kid, keys={kid: new_key}, index=old.index))
    return kid


def reencrypt(engine: Engine, ring: Keyring, kid: str, only: frozenset[str] | None = None) -> int:
    """Re-encrypt every value not yet under `kid` (of the columns whose fixed context is in
    `only`, when given); returns how many there were."""
    done = 0
    prefix = f"{PREFIX}:{kid}:"
    for table, column, context_of in crypto.sealed_columns():
        if only is not None and context_of.fixed not in only:
            continue
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
