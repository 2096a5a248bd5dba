"""The content-addressed blob store."""

from __future__ import annotations

import hashlib
import io
import os
import threading

import pytest

from datasets.errors import (
    BlobCorruptedError,
    BlobNotFoundError,
    FileChangedError,
    FileTooLargeError,
)
from datasets.storage import BlobStore, LocalBlobStore, check_sha256, local_copy


@pytest.fixture
def store(tmp_path) -> LocalBlobStore:
    return LocalBlobStore(tmp_path / "blobs")


def test_put_stores_by_sha256_in_fan_out_directories(store):
    data = b"id,x\n1,2\n"
    info = store.put(io.BytesIO(data))
    sha = hashlib.sha256(data).hexdigest()
    assert (info.sha256, info.size, info.created) == (sha, len(data), True)
    path = store.path_for(sha)
    assert path.relative_to(store.objects).parts == (sha[:2], sha[2:4], sha)
    assert store.exists(sha) and store.size(sha) == len(data)
    assert isinstance(store, BlobStore)


def test_identical_content_is_stored_once(store):
    first = store.put(io.BytesIO(b"same"))
    second = store.put(io.BytesIO(b"same"))
    assert first.sha256 == second.sha256 and second.created is False
    assert list(store.tmp.iterdir()) == []


def test_bytes_without_the_digest_they_must_have_are_refused_and_not_stored(store):
    data = b"id,x\n1,2\n"
    sha = hashlib.sha256(data).hexdigest()
    info = store.put(io.BytesIO(data), sha256=sha)
    assert (info.sha256, info.size, info.created) == (sha, len(data), True)
    with pytest.raises(FileChangedError, match="changed while it was being read"):
        store.put(io.BytesIO(data + b"3,4\n"), sha256=sha)
    assert [p.name for p in store.objects.rglob("*") if p.is_file()] == [sha]
    with pytest.raises(ValueError, match="SHA-256"):
        store.put(io.BytesIO(data), sha256="../../etc/passwd")
    assert list(store.tmp.iterdir()) == []


def test_a_digest_the_caller_vouches_for_names_the_blob_without_hashing_again(store):
    data = b"id,x\n1,2\n"
    sha = hashlib.sha256(data).hexdigest()
    info = store.put(io.BytesIO(data), sha256=sha, trusted=True)
    assert (info.sha256, info.size, info.created) == (sha, len(data), True)
    assert store.verify(sha)
    # Taken as is: the store does not read the bytes' digest when it is vouched for.
    other = store.put(io.BytesIO(b"other"), sha256="0" * 64, trusted=True)
    assert other.sha256 == "0" * 64 and not store.verify("0" * 64)


def test_blobs_are_read_only_files(store):
    info = store.put(io.BytesIO(b"data"))
    assert store.path_for(info.sha256).stat().st_mode & 0o222 == 0


def test_open_verifies_the_checksum(store):
    info = store.put(io.BytesIO(b"x" * 3_000_000))
    with store.open(info.sha256) as fh:
        assert fh.read() == b"x" * 3_000_000
    path = store.path_for(info.sha256)
    os.chmod(path, 0o644)
    with open(path, "r+b") as fh:
        fh.seek(1_500_000)
        fh.write(b"y")
    with pytest.raises(BlobCorruptedError), store.open(info.sha256) as fh:
        while fh.read(1 << 16):
            pass
    assert store.verify(info.sha256) is False


def test_too_large_upload_leaves_no_blob_and_no_temp_file(store):
    with pytest.raises(FileTooLargeError):
        store.put(io.BytesIO(b"z" * 5000), max_bytes=4096)
    assert list(store.tmp.iterdir()) == []
    assert list(store.objects.iterdir()) == []


def test_failing_stream_leaves_nothing_behind(store):
    class Broken(io.RawIOBase):
        def __init__(self):
            self.calls = 0

        def readable(self):
            return True

        def read(self, n=-1):
            self.calls += 1
            if self.calls > 2:
                raise OSError("connection reset")
            return b"a" * 1000

    with pytest.raises(OSError):
        store.put(Broken())
    assert list(store.tmp.iterdir()) == [] and list(store.objects.iterdir()) == []


def test_delete_and_missing_blobs(store):
    info = store.put(io.BytesIO(b"gone soon"))
    assert store.delete(info.sha256) is True
    assert store.delete(info.sha256) is False
    with pytest.raises(BlobNotFoundError):
        store.open(info.sha256)
    with pytest.raises(BlobNotFoundError):
        store.size(info.sha256)


@pytest.mark.parametrize("bad", ["../../etc/passwd", "ABC", "a" * 63, "A" * 64])
def test_only_hex_digests_are_accepted_as_names(store, bad):
    with pytest.raises(ValueError):
        store.exists(bad)
    with pytest.raises(ValueError):
        check_sha256(bad)


def test_concurrent_puts_of_the_same_content(store):
    data = os.urandom(200_000)
    results = []

    def put():
        results.append(store.put(io.BytesIO(data)))

    threads = [threading.Thread(target=put) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert {r.sha256 for r in results} == {hashlib.sha256(data).hexdigest()}
    assert store.verify(results[0].sha256)
    assert list(store.tmp.iterdir()) == []


def test_local_copy_for_stores_without_local_files(store):
    class RemoteOnly:
        """A store that only streams (like an object store would)."""

        def __init__(self, inner):
            self.inner = inner

        def open(self, sha256):
            return self.inner.open(sha256)

        def local_path(self, sha256):
            return None

    info = store.put(io.BytesIO(b"a,b\n1,2\n"))
    with local_copy(RemoteOnly(store), info.sha256) as path:
        assert path.read_bytes() == b"a,b\n1,2\n"
        kept = path
    assert not kept.exists()
    with local_copy(store, info.sha256, verify=True) as path:
        assert path == store.path_for(info.sha256)
