"""The database as JSON lines: every row of every installed model, read in one transaction.

The file is a sequence of blocks, one per table in dependency order (a table after the
tables its foreign keys point to): a header line ``{"model": "app.model", "fields": [...]}``
and then one JSON array per row, read in primary-key order a batch at a time so that memory
stays flat however many rows there are. Values are written portably (ISO times, base64
bytes), so a dump taken from SQLite loads into MariaDB and the other way round.
"""

from __future__ import annotations

import base64
import datetime
import decimal
import gzip
import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from types import SimpleNamespace

from django.apps import apps
from django.core.management.color import no_style
from django.db import connections, router, transaction
from django.db.migrations.recorder import MigrationRecorder
from django.utils.duration import duration_iso_string

from .layout import BackupError

BATCH = 2000
# Fields whose JSON value is a string to be parsed back into the field's type on load.
PARSED_TYPES = {"DateTimeField", "DateField", "TimeField", "DurationField", "UUIDField", "DecimalField", "BinaryField"}


def models_in_order(alias: str = "default") -> list:
    """Every model with a table in the database (many-to-many tables included), parents before children."""
    # A model whose migration has not run has no table: nothing to back up, nothing to restore into.
    tables = set(connections[alias].introspection.table_names())
    candidates = [
        m
        for m in apps.get_models(include_auto_created=True)
        if m._meta.managed and not m._meta.proxy and m._meta.db_table in tables and router.allow_migrate_model(alias, m)
    ]
    candidates.sort(key=lambda m: m._meta.label_lower)
    wanted = set(candidates)
    deps = {
        m: {
            f.related_model
            for f in m._meta.local_concrete_fields
            if f.is_relation and f.related_model in wanted and f.related_model is not m
        }
        for m in candidates
    }
    ordered, done = [], set()
    while len(ordered) < len(candidates):
        ready = [m for m in candidates if m not in done and deps[m] <= done]
        if not ready:
            # A cycle of foreign keys: take the rest as they come; checks run once every row is in.
            ready = [m for m in candidates if m not in done][:1]
        for m in ready:
            ordered.append(m)
            done.add(m)
    return ordered


def stored_fields(model) -> list:
    return [f for f in model._meta.local_concrete_fields if not getattr(f, "generated", False)]


def applied_migrations(alias: str = "default") -> dict[str, list[str]]:
    recorder = MigrationRecorder(connections[alias])
    if not recorder.has_table():
        return {}
    applied: dict[str, list[str]] = {}
    for app_label, name in sorted(recorder.applied_migrations()):
        applied.setdefault(app_label, []).append(name)
    return applied


@contextmanager
def consistent_snapshot(alias: str = "default"):
    """Every read inside sees the database as it was when the block started.

    MariaDB/MySQL: a REPEATABLE READ transaction opened WITH CONSISTENT SNAPSHOT on the
    connection the ORM uses; SQLite: one read transaction (WAL lets writers go on meanwhile).
    A caller already inside a transaction (a test, an atomic block) keeps its own.
    """
    connection = connections[alias]
    if connection.in_atomic_block:
        yield
        return
    connection.ensure_connection()
    with connection.cursor() as cursor:
        if connection.vendor == "mysql":
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            cursor.execute("START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY")
        elif connection.vendor == "sqlite":
            cursor.execute("BEGIN")
            # The snapshot is taken by the first read, not by BEGIN.
            cursor.execute("SELECT count(*) FROM sqlite_master")
        else:
            raise BackupError(f"backups of a {connection.vendor} database are not supported")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("ROLLBACK")


def _encode(value):
    if isinstance(value, datetime.timedelta):
        return duration_iso_string(value)
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, bytes | memoryview | bytearray):
        return base64.b64encode(bytes(value)).decode("ascii")
    raise TypeError(f"cannot write {type(value).__name__} into a backup")


_encoder = json.JSONEncoder(default=_encode, separators=(",", ":"), ensure_ascii=False)


def rows_of(model, alias: str = "default") -> Iterator[list]:
    """Every row of ``model`` in primary-key order, one keyset batch at a time."""
    names = [f.attname for f in stored_fields(model)]
    pk_index = names.index(model._meta.pk.attname)
    query = model._base_manager.using(alias).order_by("pk").values_list(*names)
    last = None
    while True:
        batch = list((query if last is None else query.filter(pk__gt=last))[:BATCH])
        yield from batch
        if len(batch) < BATCH:
            return
        last = batch[-1][pk_index]


def dump(fh, alias: str = "default", progress=None) -> dict[str, int]:
    """Write every table to the binary file ``fh`` (gzip) and return the rows per table."""
    counts = {}
    with gzip.open(fh, "wt", encoding="utf-8", compresslevel=5) as out:
        for model in models_in_order(alias):
            label = model._meta.label_lower
            names = [f.attname for f in stored_fields(model)]
            out.write(_encoder.encode({"model": label, "fields": names}) + "\n")
            n = 0
            for row in rows_of(model, alias):
                out.write(_encoder.encode(row) + "\n")
                n += 1
            counts[label] = n
            if progress:
                progress(label, n)
    return counts


def _converters(fields):
    def parse(field):
        return lambda v: None if v is None else field.to_python(v)

    return [parse(f) if f.get_internal_type() in PARSED_TYPES else None for f in fields]


def _read_blocks(fh) -> Iterator[tuple[str, list[str], Iterator[list]]]:
    with gzip.open(fh, "rt", encoding="utf-8") as lines:
        header = None
        rows: list = []
        for line in lines:
            item = json.loads(line)
            if isinstance(item, dict):
                if header:
                    yield header["model"], header["fields"], rows
                header, rows = item, []
            else:
                rows.append(item)
                if len(rows) >= BATCH:
                    yield header["model"], header["fields"], rows
                    rows = []
        if header:
            yield header["model"], header["fields"], rows


def wipe(alias: str = "default") -> None:
    """Delete every row of every table the dump covers (inside the caller's transaction)."""
    connection = connections[alias]
    tables = [m._meta.db_table for m in reversed(models_in_order(alias))]
    statements = connection.ops.sql_flush(no_style(), tables, reset_sequences=False, allow_cascade=False)
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)


def load(fh, alias: str = "default", progress=None) -> dict[str, int]:
    """Replace the database's rows with those of a dump, in one transaction; rows per table.

    Rows go in as they were written (``raw``: no auto_now, no signals), with their primary
    keys; foreign keys are checked once everything is in, and sequences are moved past the
    highest key so new rows after a restore get fresh ones.
    """
    connection = connections[alias]
    known = {m._meta.label_lower: m for m in models_in_order(alias)}
    counts: dict[str, int] = {}
    try:
        with transaction.atomic(using=alias):
            wipe(alias)
            # After the wipe: MySQL's flush statements switch the checks back on at their end.
            with connection.constraint_checks_disabled():
                for label, names, rows in _read_blocks(fh):
                    model = known.get(label)
                    if model is None:
                        raise BackupError(
                            f"the backup has a table {label} this portal does not know (another version?)"
                        )
                    fields = stored_fields(model)
                    if names != [f.attname for f in fields]:
                        raise BackupError(
                            f"the columns of {label} differ between the backup and this portal (another version?)"
                        )
                    counts[label] = counts.get(label, 0) + _insert(model, fields, rows, alias)
                    if progress and rows:
                        progress(label, counts[label])
            connection.check_constraints(table_names=[m._meta.db_table for m in known.values()])
            sql = connection.ops.sequence_reset_sql(no_style(), list(known.values()))
            with connection.cursor() as cursor:
                for statement in sql:
                    cursor.execute(statement)
    except (EOFError, gzip.BadGzipFile, json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise BackupError(f"the database dump is damaged: {exc}") from None
    return counts


def _insert(model, fields, rows, alias) -> int:
    if not rows:
        return 0
    names = [f.attname for f in fields]
    converters = _converters(fields)
    objs = []
    for row in rows:
        if any(converters):
            row = [c(v) if c else v for c, v in zip(converters, row, strict=True)]
        objs.append(SimpleNamespace(**dict(zip(names, row, strict=True))))
    connection = connections[alias]
    size = max(1, min(BATCH, connection.ops.bulk_batch_size(fields, objs)))
    manager = model._base_manager.using(alias)
    for start in range(0, len(objs), size):
        manager._insert(objs[start : start + size], fields=fields, using=alias, raw=True)
    return len(objs)
