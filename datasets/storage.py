"""Content-addressed storage for uploaded and derived files.

Files are stored under their SHA-256, so identical uploads are stored once
and a version row in the database only needs the hash. ``BlobStore`` is the
interface the rest of the portal codes against; ``LocalBlobStore`` keeps
blobs on a local (or mounted) filesystem and can later be swapped for an
object-store implementation with the same methods.

Writes go to a temporary file on the same filesystem, are fsynced and then
renamed into place, so a crash or a rejected upload never leaves a partial
blob under a valid name. Reads through ``open`` re-hash the content and
raise ``BlobCorruptedError`` at the end if it no longer matches.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, Protocol, runtime_checkable

from .errors import BlobCorruptedError, BlobNotFoundError, FileChangedError, FileTooLargeError

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer

CHUNK = 1 << 20
_SHA256 = re.compile(r"[0-9a-f]{64}")


def check_sha256(sha256: str) -> str:
    """Accept only lowercase hex digests (they become file paths)."""
    if not isinstance(sha256, str) or not _SHA256.fullmatch(sha256):
        raise ValueError(f"not a SHA-256 hex digest: {sha256!r}")
    return sha256


@dataclass(frozen=True)
class BlobInfo:
    sha256: str
    size: int
    created: bool  # False when identical content was already stored

    def to_dict(self) -> dict[str, object]:
        return {"sha256": self.sha256, "size": self.size, "created": self.created}


@runtime_checkable
class BlobStore(Protocol):
    """What the portal needs from a blob store."""

    def put(
        self,
        stream: BinaryIO,
        *,
        max_bytes: int | None = None,
        sha256: str | None = None,
        trusted: bool = False,
    ) -> BlobInfo:
        """Store everything read from ``stream``; raise FileTooLargeError past max_bytes.

        ``sha256`` is the digest the content must have: bytes with another digest
        raise FileChangedError and nothing is stored. With ``trusted`` the caller has
        just hashed these very bytes, from a file nothing else writes, and the store
        takes the digest as is instead of hashing them again.
        """
        ...

    def open(self, sha256: str) -> BinaryIO:
        """A stream of the blob that verifies its checksum when read to the end."""
        ...

    def exists(self, sha256: str) -> bool: ...

    def size(self, sha256: str) -> int: ...

    def delete(self, sha256: str) -> bool:
        """Remove the blob; False if it was not there."""
        ...

    def local_path(self, sha256: str) -> Path | None:
        """A local file holding the blob, if the store has one (else None)."""
        ...


class VerifyingReader(io.RawIOBase):
    """Reads a blob sequentially and checks its SHA-256 at end of file."""

    def __init__(self, raw: BinaryIO, expected: str) -> None:
        self._raw = raw
        self._expected = expected
        self._digest = hashlib.sha256()
        self._checked = False

    def readable(self) -> bool:
        return True

    def readinto(self, b: WriteableBuffer) -> int:
        with memoryview(b) as view:
            data = self._raw.read(len(view))
            if not data:
                self._verify()
                return 0
            self._digest.update(data)
            view[: len(data)] = data
        return len(data)

    def _verify(self) -> None:
        if self._checked:
            return
        self._checked = True
        actual = self._digest.hexdigest()
        if actual != self._expected:
            raise BlobCorruptedError(
                f"Blob {self._expected} is corrupted: its content now hashes to {actual}."
            )

    def close(self) -> None:
        try:
            self._raw.close()
        finally:
            super().close()


class LocalBlobStore:
    """Blobs as read-only files under ``root/objects/ab/cd/<sha256>``."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)
        self.objects = self.root / "objects"
        self.tmp = self.root / "tmp"
        self.objects.mkdir(parents=True, exist_ok=True)
        self.tmp.mkdir(parents=True, exist_ok=True)

    def path_for(self, sha256: str) -> Path:
        check_sha256(sha256)
        return self.objects / sha256[:2] / sha256[2:4] / sha256

    def put(
        self,
        stream: BinaryIO,
        *,
        max_bytes: int | None = None,
        sha256: str | None = None,
        trusted: bool = False,
    ) -> BlobInfo:
        if sha256 is not None:
            check_sha256(sha256)
        # Hashing costs as much as the copy: a digest the caller vouches for is taken as is.
        digest = None if trusted and sha256 is not None else hashlib.sha256()
        size = 0
        fd, tmp_name = tempfile.mkstemp(prefix="upload-", dir=self.tmp)
        tmp_path = Path(tmp_name)
        try:
            with os.fdopen(fd, "wb") as out:
                while chunk := stream.read(CHUNK):
                    size += len(chunk)
                    if max_bytes is not None and size > max_bytes:
                        raise FileTooLargeError(
                            f"The file is larger than the {max_bytes:,}-byte limit."
                        )
                    if digest is not None:
                        digest.update(chunk)
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            sha = digest.hexdigest() if digest is not None else sha256
            assert sha is not None
            if sha256 is not None and sha != sha256:
                raise FileChangedError("The file changed while it was being read; upload it again.")
            target = self.path_for(sha)
            if target.exists():
                tmp_path.unlink()
                return BlobInfo(sha, size, created=False)
            target.parent.mkdir(parents=True, exist_ok=True)
            os.chmod(tmp_path, 0o444)
            os.replace(tmp_path, target)
            _fsync_dir(target.parent)
            return BlobInfo(sha, size, created=True)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                tmp_path.unlink()
            raise

    def put_path(self, path: str | os.PathLike[str], *, max_bytes: int | None = None) -> BlobInfo:
        with open(path, "rb") as fh:
            return self.put(fh, max_bytes=max_bytes)

    def open(self, sha256: str) -> BinaryIO:
        path = self.path_for(sha256)
        try:
            raw = open(path, "rb")  # noqa: SIM115 - owned by the returned reader
        except FileNotFoundError:
            raise BlobNotFoundError(f"No blob {sha256}.") from None
        return io.BufferedReader(VerifyingReader(raw, sha256), CHUNK)

    def exists(self, sha256: str) -> bool:
        return self.path_for(sha256).is_file()

    def size(self, sha256: str) -> int:
        try:
            return self.path_for(sha256).stat().st_size
        except FileNotFoundError:
            raise BlobNotFoundError(f"No blob {sha256}.") from None

    def delete(self, sha256: str) -> bool:
        path = self.path_for(sha256)
        try:
            path.unlink()
        except FileNotFoundError:
            return False
        return True

    def local_path(self, sha256: str) -> Path | None:
        path = self.path_for(sha256)
        return path if path.is_file() else None

    def verify(self, sha256: str) -> bool:
        """Re-hash a stored blob; False if it is missing or corrupted."""
        try:
            with self.open(sha256) as fh:
                while fh.read(CHUNK):
                    pass
        except (BlobNotFoundError, BlobCorruptedError):
            return False
        return True


def _fsync_dir(path: Path) -> None:
    # Makes the rename itself durable; not possible on every platform.
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


@contextlib.contextmanager
def local_copy(store: BlobStore, sha256: str, *, verify: bool = False) -> Iterator[Path]:
    """A local file path for a blob, for readers that need to seek.

    Stores with local files hand out the file itself (``verify=True`` re-hashes
    it first); others are copied, verified, to a temporary file.
    """
    path = store.local_path(sha256)
    if path is not None:
        if verify:
            with store.open(sha256) as fh:
                while fh.read(CHUNK):
                    pass
        yield path
        return
    tmpdir = tempfile.mkdtemp(prefix="blob-")
    try:
        target = Path(tmpdir) / sha256
        with store.open(sha256) as src, open(target, "wb") as dst:
            shutil.copyfileobj(src, dst, CHUNK)
        yield target
    finally:
        shutil.rmtree(tmpdir, ignore_errors=True)
