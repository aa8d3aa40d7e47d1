"""Where generated files go: the landing folder, file by file, and the truth folder."""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import BinaryIO

import pyarrow as pa

from lakehouse.landing import LandingZone
from lakehouse.synthetic import text as tx
from lakehouse.synthetic.records import Truth

Pieces = Iterable[bytes | memoryview]
CHUNK = 500_000


class Sink:
    """Where one generated file goes: ``open`` yields a binary stream; the file appears
    whole when the block ends, never half written."""

    def __init__(self) -> None:
        self.files: list[Path] = []  # local files written
        self.uris: list[str] = []  # every file written (paths or s3:// URIs)

    def open(self, feed: str, name: str) -> AbstractContextManager[BinaryIO]:
        raise NotImplementedError

    def put(self, feed: str, name: str, pieces: Pieces) -> None:
        with self.open(feed, name) as fh:
            fh.writelines(pieces)


class LocalSink(Sink):
    """Files under a folder (``<root>/<feed>/<name>``), streamed to disk."""

    def __init__(self, root: Path) -> None:
        super().__init__()
        self.root = root

    @contextmanager
    def open(self, feed: str, name: str) -> Iterator[BinaryIO]:
        path = self.root / feed / name
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{name}.tmp")  # hidden: the landing zone skips it
        with tmp.open("wb") as fh:
            yield fh
        tmp.replace(path)
        self.files.append(path)
        self.uris.append(str(path))


class ZoneSink(Sink):
    """Objects put through a landing zone (S3: one PUT per file, atomic for readers)."""

    def __init__(self, zone: LandingZone) -> None:
        super().__init__()
        self.zone = zone

    @contextmanager
    def open(self, feed: str, name: str) -> Iterator[BinaryIO]:
        buffer = io.BytesIO()
        yield buffer
        self.uris.append(self.zone.put(feed, name, buffer.getvalue()))


class TruthFiles:
    """``matches.csv`` and ``exceptions.csv`` (none when ``folder`` is None), appended."""

    def __init__(self, folder: Path | None) -> None:
        self.folder = folder
        self.matches = self.exceptions = 0
        if folder is not None:
            folder.mkdir(parents=True, exist_ok=True)
            (folder / "matches.csv").write_bytes(b"leg,left_ids,right_ids\r\n")
            (folder / "exceptions.csv").write_bytes(b"leg,item_id,reason_code\r\n")

    def add(self, truth: Truth) -> None:
        matches, exceptions = truth.tables()
        self.matches += matches.num_rows
        self.exceptions += exceptions.num_rows
        if self.folder is None:
            return
        for name, table in (("matches.csv", matches), ("exceptions.csv", exceptions)):
            with (self.folder / name).open("ab") as fh:
                fh.writelines(_csv_lines(table))


def _csv_lines(table: pa.Table) -> Pieces:
    for offset in range(0, table.num_rows, CHUNK):
        part = table.slice(offset, CHUNK)
        columns = [part.column(i).combine_chunks() for i in range(part.num_columns)]
        columns[-1] = tx.join([columns[-1], "\r\n"])
        yield tx.payload(tx.join(columns, ","))
