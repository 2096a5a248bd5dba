"""Work out what an uploaded file is before parsing it.

Detection looks at the bytes, not the file name: a spreadsheet renamed to
``.csv`` is still read as a spreadsheet, and a picture renamed to ``.csv`` is
refused with a message saying what it is. For text files one streaming pass
over the whole file settles the encoding (a file that is UTF-8 for a million
rows and Windows-1252 in the last one must not be silently mis-decoded), finds
NUL bytes anywhere, checks the size limit, hashes the content and notes
whether any quoted cell spans lines (which lets the fast parser skip the
slower multi-line mode).
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import os
import re
import zipfile
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .errors import (
    BinaryFileError,
    EmptyFileError,
    EncodingError,
    FileTooLargeError,
    MixedEncodingError,
    UnsupportedFormatError,
)
from .issues import Issue
from .limits import DEFAULT_LIMITS, Limits

#: progress(phase, done, total) is called as bytes are processed.
Progress = Callable[[str, int, int], None]

BLOCK = 1 << 20
HEAD = 64 * 1024

DELIMITERS = (",", ";", "\t", "|")
DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}

# Formats other than our own that people upload by mistake; the message names
# them so the uploader knows what to do.
_BINARY_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"%PDF", "a PDF document"),
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"\xfd7zXZ\x00", "an xz archive"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"Rar!\x1a\x07", "a RAR archive"),
    (b"\x7fELF", "an executable"),
    (b"SQLite format 3\x00", "an SQLite database"),
    (b"{\\rtf", "an RTF document"),
)
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)

# A complete, well-formed multi-byte UTF-8 sequence. Windows-1252 text almost
# never contains one by accident, so finding one in a file that is not valid
# UTF-8 means the file mixes encodings.
_VALID_UTF8_MB = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]"
    rb"|\xe0[\xa0-\xbf][\x80-\xbf]"
    rb"|[\xe1-\xec\xee\xef][\x80-\xbf]{2}"
    rb"|\xed[\x80-\x9f][\x80-\xbf]"
    rb"|\xf0[\x90-\xbf][\x80-\xbf]{2}"
    rb"|[\xf1-\xf3][\x80-\xbf]{3}"
    rb"|\xf4[\x80-\x8f][\x80-\xbf]{2}"
)
# Bytes that Windows-1252 leaves undefined; their presence means Latin-1.
_CP1252_UNDEFINED = re.compile(rb"[\x81\x8d\x8f\x90\x9d]")
# C0 controls other than tab, LF, FF and CR never occur in text tables.
_CONTROL = re.compile(rb"[\x00-\x08\x0b\x0e-\x1f\x7f]")

ENCODING_NAMES = {
    "utf-8": "UTF-8",
    "utf-8-sig": "UTF-8 with byte-order mark",
    "utf-16": "UTF-16 with byte-order mark",
    "utf-16-le": "UTF-16 little-endian",
    "utf-16-be": "UTF-16 big-endian",
    "utf-32": "UTF-32 with byte-order mark",
    "cp1252": "Windows-1252",
    "latin-1": "ISO-8859-1 (Latin-1)",
}


@dataclass(frozen=True)
class Dialect:
    """How to read a file: its format and, for text, how it is encoded and split.

    Detection produces one; pass it back to ``open_table`` (or keep
    ``to_dict()`` in the database) to re-read the same file without
    re-detecting.
    """

    format: str  # "csv", "xlsx" or "parquet"
    encoding: str | None = None  # Python codec name
    delimiter: str | None = None
    quote_char: str | None = None
    sheet: str | None = None
    #: Some quoted cell contains a line break (needs the slower parser mode).
    multiline_cells: bool = True
    #: Longest physical line in bytes, if known; lets the parser use small,
    #: cache-friendly blocks when no record can be long.
    longest_line: int | None = None

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        if self.delimiter is not None:
            out["delimiter_name"] = DELIMITER_NAMES.get(self.delimiter, self.delimiter)
        if self.encoding is not None:
            out["encoding_name"] = ENCODING_NAMES.get(self.encoding, self.encoding)
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Dialect:
        keys = {
            "format",
            "encoding",
            "delimiter",
            "quote_char",
            "sheet",
            "multiline_cells",
            "longest_line",
        }
        return cls(**{k: v for k, v in data.items() if k in keys})


@dataclass
class Detection:
    dialect: Dialect
    size: int
    sha256: str
    warnings: list[Issue] = field(default_factory=list)


def file_size(path: str | os.PathLike[str]) -> int:
    return os.stat(path).st_size


def sniff_format(head: bytes, filename: str | None = None) -> str:
    """Return "csv", "xlsx" or "parquet" from the first bytes, or raise."""
    name = (filename or "").lower()
    if not head:
        raise EmptyFileError(f"{_label(filename)} is empty (0 bytes).")
    if head.startswith(b"PAR1"):
        return "parquet"
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        return "zip"  # decided by sniff_zip once the whole file is on disk
    if head.startswith(_OLE2):
        raise UnsupportedFormatError(
            f"{_label(filename)} is a legacy Excel 97-2003 (.xls) or other OLE2 file; "
            "save it as .xlsx or CSV and upload again."
        )
    for magic, what in _BINARY_MAGIC:
        if head.startswith(magic):
            raise BinaryFileError(
                f"{_label(filename)} is {what}, not a table"
                + (" (despite its name)." if name.endswith((".csv", ".tsv", ".txt")) else ".")
            )
    return "text"


def sniff_zip(path: str | os.PathLike[str], filename: str | None = None) -> str:
    try:
        with zipfile.ZipFile(path) as zf:
            names = set(zf.namelist())
            if "xl/workbook.xml" in names:
                return "xlsx"
            if "mimetype" in names:
                mime = zf.read("mimetype")[:100].decode("ascii", "replace")
                if "opendocument.spreadsheet" in mime:
                    raise UnsupportedFormatError(
                        f"{_label(filename)} is an OpenDocument spreadsheet (.ods); "
                        "save it as .xlsx or CSV."
                    )
    except zipfile.BadZipFile as exc:
        raise BinaryFileError(f"{_label(filename)} is a damaged ZIP archive: {exc}") from exc
    raise BinaryFileError(
        f"{_label(filename)} is a ZIP archive that is not an Excel workbook; "
        "upload the table inside it instead."
    )


def sniff_text_encoding(head: bytes, filename: str | None = None) -> str | None:
    """Encoding implied by a BOM or by UTF-16's NUL pattern; None means 'scan'."""
    for bom, enc in _BOMS:
        if head.startswith(bom):
            return enc
    sample = head[:HEAD]
    nul = sample.count(b"\x00")
    if nul:
        even = sample[0::2].count(b"\x00")
        odd = sample[1::2].count(b"\x00")
        half = max(1, len(sample) // 2)
        # ASCII text in UTF-16 puts a NUL in every other byte.
        if odd > 0.3 * half and even < 0.05 * half:
            return "utf-16-le"
        if even > 0.3 * half and odd < 0.05 * half:
            return "utf-16-be"
        line = sample.count(b"\n", 0, sample.index(b"\x00")) + 1
        raise BinaryFileError(
            f"{_label(filename)} contains NUL bytes (first at line {line}), so it is a binary "
            "file, not a text table"
            + (" (despite its .csv name)." if _is_text_name(filename) else "."),
            line=line,
        )
    controls = len(_CONTROL.findall(sample))
    if controls > max(2, len(sample) // 100):
        raise BinaryFileError(
            f"{_label(filename)} is mostly control characters, so it is a binary file, "
            "not a text table."
        )
    return None


@dataclass
class _ScanState:
    line: int = 1
    utf8_line: int | None = None
    bad_lines: list[int] = field(default_factory=list)
    bad_blocks: int = 0
    cp1252_undefined: bool = False
    quotes: int = 0
    multiline: bool = False
    nul_line: int | None = None
    line_start: int = 0  # offset in the file where the current line began
    offset: int = 0  # offset in the file of the current block
    longest: int = 0
    open_quote_line: int | None = None


def _incomplete_tail(block: bytes) -> int:
    """Length of a UTF-8 sequence cut off at the end of ``block``."""
    n = len(block)
    for back in range(1, min(4, n) + 1):
        b = block[n - back]
        if b < 0x80:
            return 0
        if b >= 0xC0:
            need = 2 if b < 0xE0 else 3 if b < 0xF0 else 4
            return back if need > back else 0
    return 0


def _line_of(block: bytes, pos: int, state: _ScanState) -> int:
    return state.line + block.count(b"\n", 0, pos)


def _scan_utf8(block: bytes, state: _ScanState) -> None:
    if block.isascii():  # ASCII is UTF-8, and far cheaper to tell than decoding
        return
    try:
        block.decode("utf-8")
    except UnicodeDecodeError as exc:
        state.bad_blocks += 1
        if _CP1252_UNDEFINED.search(block):
            state.cp1252_undefined = True
        pos = exc.start
        while len(state.bad_lines) < 5 and pos < len(block):
            state.bad_lines.append(_line_of(block, pos, state))
            nxt = block.find(b"\n", pos)
            if nxt < 0:
                break
            try:
                block[nxt:].decode("utf-8")
                break
            except UnicodeDecodeError as more:
                pos = nxt + more.start
        if state.utf8_line is None:
            # A valid multi-byte sequence on a line that is itself valid UTF-8
            # is real evidence of UTF-8 (not a Windows-1252 coincidence).
            for m in _VALID_UTF8_MB.finditer(block):
                start = block.rfind(b"\n", 0, m.start()) + 1
                end = block.find(b"\n", m.end())
                try:
                    block[start : end if end >= 0 else len(block)].decode("utf-8")
                except UnicodeDecodeError:
                    continue
                state.utf8_line = _line_of(block, m.start(), state)
                break
        return
    if state.utf8_line is None:
        first = next(i for i, b in enumerate(block) if b >= 0x80)
        state.utf8_line = _line_of(block, first, state)


def _scan_lines(block: bytes, state: _ScanState) -> int:
    """Track the longest line; returns how many lines end in ``block``."""
    arr = np.frombuffer(block, dtype=np.uint8)
    ends = np.flatnonzero(arr == 10)
    if ends.size:
        starts_at = state.line_start
        first = int(ends[0]) + state.offset - starts_at
        longest = max(first, int(np.diff(ends).max()) if ends.size > 1 else 0)
        state.longest = max(state.longest, longest)
        state.line_start = state.offset + int(ends[-1]) + 1
    state.offset += len(block)
    state.longest = max(state.longest, state.offset - state.line_start)
    return int(ends.size)


def _scan_quotes(block: bytes, state: _ScanState, quote: int) -> None:
    # A newline is inside a quoted cell when an odd number of quote characters
    # precede it (doubled quotes "" cancel out). The same parity tells which
    # quote is still open at the end of the file.
    if quote not in block:
        if state.quotes % 2 and (b"\n" in block or b"\r" in block):
            state.multiline = True
        return
    arr = np.frombuffer(block, dtype=np.uint8)
    qpos = np.flatnonzero(arr == quote)
    if not state.multiline:
        nlpos = np.flatnonzero((arr == 10) | (arr == 13))
        if nlpos.size:
            before = np.searchsorted(qpos, nlpos) + state.quotes
            if np.any(before & 1):
                state.multiline = True
    openers = qpos[(np.arange(qpos.size) + state.quotes) % 2 == 0]
    state.quotes += int(qpos.size)
    if state.quotes % 2 and openers.size:
        state.open_quote_line = _line_of(block, int(openers[-1]), state)


def scan_text(
    path: str | os.PathLike[str],
    *,
    filename: str | None = None,
    encoding: str | None = None,
    limits: Limits = DEFAULT_LIMITS,
    progress: Progress | None = None,
) -> tuple[str, str, int, bool, int | None, list[Issue]]:
    """One pass over a text file.

    Returns (encoding, sha256, size, multiline_cells, longest_line, warnings).
    """
    digest = hashlib.sha256()
    state = _ScanState()
    size = 0
    total = file_size(path)
    # A given encoding other than UTF-8 is decoded as the file streams;
    # otherwise the byte scan below checks UTF-8 and tells it from Windows-1252.
    decoder = None
    encoding_name = ""
    if encoding is not None and encoding not in ("utf-8", "utf-8-sig"):
        decoder = codecs.getincrementaldecoder(encoding)("strict")
        encoding_name = ENCODING_NAMES.get(encoding, encoding)
    carry = b""
    warnings: list[Issue] = []
    with open(path, "rb") as fh:
        while True:
            chunk = fh.read(BLOCK)
            if not chunk:
                break
            size += len(chunk)
            if size > limits.max_bytes:
                raise FileTooLargeError(
                    f"{_label(filename)} is larger than the {_human(limits.max_bytes)} limit."
                )
            digest.update(chunk)
            if progress:
                progress("scan", size, total)
            if decoder is not None:
                try:
                    text = decoder.decode(chunk)
                except UnicodeDecodeError as exc:
                    raise EncodingError(
                        f"{_label(filename)} is not valid {encoding_name} "
                        f"near line {state.line}: {exc.reason}.",
                        line=state.line,
                    ) from exc
                if "\x00" in text:
                    line = state.line + text.count("\n", 0, text.index("\x00"))
                    raise BinaryFileError(
                        f"{_label(filename)} contains NUL characters at line {line}; "
                        "it is not a text table.",
                        line=line,
                    )
                state.line += text.count("\n")
                continue
            block = carry + chunk
            cut = _incomplete_tail(block)
            carry = block[len(block) - cut :] if cut else b""
            block = block[: len(block) - cut] if cut else block
            nul = block.find(b"\x00")
            if nul >= 0:
                line = _line_of(block, nul, state)
                raise BinaryFileError(
                    f"{_label(filename)} contains NUL bytes at line {line}; "
                    "it is not a text table.",
                    line=line,
                    row=line,
                )
            _scan_utf8(block, state)
            _scan_quotes(block, state, ord('"'))
            state.line += _scan_lines(block, state)
    if decoder is not None:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError as exc:
            raise EncodingError(
                f"{_label(filename)} ends in the middle of a character.", line=state.line
            ) from exc
    if carry:
        _scan_utf8(carry, state)
    if size == 0:
        raise EmptyFileError(f"{_label(filename)} is empty (0 bytes).")

    if decoder is not None:
        # UTF-16/32 text: the byte-level quote scan does not apply.
        return encoding or "utf-16", digest.hexdigest(), size, True, None, warnings
    if state.quotes % 2 and state.open_quote_line is not None:
        line = state.open_quote_line
        warnings.append(
            Issue(
                code="unclosed-quote",
                message=(
                    f"A quote opened on line {line} is never closed, so everything after it "
                    "was read as one cell. Check the quoting in the file."
                ),
                row=line if not state.multiline else None,
            )
        )
    if not state.bad_lines and state.bad_blocks == 0:
        enc = encoding or "utf-8"
    elif state.utf8_line is not None:
        bad = state.bad_lines[0] if state.bad_lines else None
        rows = ", ".join(str(n) for n in state.bad_lines)
        raise MixedEncodingError(
            f"{_label(filename)} mixes text encodings: line {state.utf8_line} is UTF-8 but "
            f"line(s) {rows} are not (they look like Windows-1252/Latin-1). "
            "Re-save the whole file as UTF-8 and upload it again.",
            line=bad,
            row=bad if not state.multiline else None,
        )
    else:
        enc = "latin-1" if state.cp1252_undefined else "cp1252"
        warnings.append(
            Issue(
                code="encoding",
                message=(
                    f"The file is not UTF-8; it was read as {ENCODING_NAMES[enc]}. "
                    "Check that accented characters look right."
                ),
            )
        )
    return enc, digest.hexdigest(), size, state.multiline, state.longest, warnings


def _read_head_text(path: str | os.PathLike[str], encoding: str, nbytes: int) -> str:
    with open(path, "rb") as fh:
        raw = fh.read(nbytes)
    codec = "utf-8" if encoding == "utf-8-sig" else encoding
    text = raw.decode(codec, errors="replace")
    return text.lstrip("\ufeff")


def sniff_delimiter(sample: str, filename: str | None = None) -> str:
    """Pick the delimiter that splits the sample into the most consistent rows.

    csv.Sniffer guesses from character frequencies and is easily fooled by
    decimal commas; counting fields per parsed record is steadier.
    """
    complete = sample
    if "\n" in sample:
        complete = sample[: sample.rfind("\n") + 1]
    best: tuple[float, int, int] | None = None
    choice = None
    for rank, delim in enumerate(DELIMITERS):
        try:
            counts = [
                len(rec)
                for rec, _ in zip(
                    csv.reader(io.StringIO(complete, newline=""), delimiter=delim, quotechar='"'),
                    range(200),
                    strict=False,
                )
                if rec and any(c.strip() for c in rec)
            ]
        except csv.Error:
            continue
        if not counts or counts[0] < 2:
            continue
        header = counts[0]
        consistent = sum(1 for c in counts if c == header) / len(counts)
        score = (consistent, header, -rank)
        if best is None or score > best:
            best, choice = score, delim
    if choice is not None:
        return choice
    if (filename or "").lower().endswith((".tsv", ".tab")):
        return "\t"
    return ","


def _kind(path: str | os.PathLike[str], filename: str | None) -> tuple[str, bytes]:
    """The kind ("text", "xlsx" or "parquet") from the first bytes and a ZIP's
    directory, with those bytes; raises for anything that is not a table."""
    with open(path, "rb") as fh:
        head = fh.read(HEAD)
    kind = sniff_format(head, filename)
    if kind == "zip":
        kind = sniff_zip(path, filename)
    return kind, head


def precheck(path: str | os.PathLike[str], filename: str | None = None) -> str:
    """The file's kind, with the same refusals as :func:`detect` but without reading the
    whole file: fast enough for a web request, so a wrong file is refused before any
    job starts."""
    kind, head = _kind(path, filename)
    if kind == "text":
        sniff_text_encoding(head, filename)
    return kind


def detect(
    path: str | os.PathLike[str],
    *,
    filename: str | None = None,
    limits: Limits = DEFAULT_LIMITS,
    progress: Progress | None = None,
) -> Detection:
    """Identify format, encoding and delimiter; hash the file; enforce the size limit."""
    path = Path(path)
    filename = filename or path.name
    size = file_size(path)
    if size > limits.max_bytes:
        raise FileTooLargeError(
            f"{_label(filename)} is {_human(size)}, over the {_human(limits.max_bytes)} limit."
        )
    kind, head = _kind(path, filename)
    warnings: list[Issue] = []
    if kind in ("xlsx", "parquet"):
        if _is_text_name(filename):
            warnings.append(
                Issue(
                    code="format",
                    message=f"The file is named {filename} but is {kind}; it was read as {kind}.",
                )
            )
        sha, n = hash_file(path, limits=limits, filename=filename, progress=progress)
        return Detection(Dialect(format=kind), n, sha, warnings)

    if not head.strip(b" \t\r\n\x00\xef\xbb\xbf\xff\xfe"):
        raise EmptyFileError(f"{_label(filename)} contains no data (only whitespace).")
    encoding = sniff_text_encoding(head, filename)
    encoding, sha, n, multiline, longest, scan_warnings = scan_text(
        path, filename=filename, encoding=encoding, limits=limits, progress=progress
    )
    warnings.extend(scan_warnings)
    sample = _read_head_text(path, encoding, HEAD)
    if not sample.strip():
        raise EmptyFileError(f"{_label(filename)} contains no data (only whitespace).")
    delimiter = sniff_delimiter(sample, filename)
    dialect = Dialect(
        format="csv",
        encoding=encoding,
        delimiter=delimiter,
        quote_char='"',
        multiline_cells=multiline,
        longest_line=longest,
    )
    return Detection(dialect, n, sha, warnings)


def hash_file(
    path: str | os.PathLike[str],
    *,
    limits: Limits = DEFAULT_LIMITS,
    filename: str | None = None,
    progress: Progress | None = None,
) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    total = file_size(path)
    with open(path, "rb") as fh:
        while chunk := fh.read(BLOCK):
            size += len(chunk)
            if size > limits.max_bytes:
                raise FileTooLargeError(
                    f"{_label(filename)} is larger than the {_human(limits.max_bytes)} limit."
                )
            digest.update(chunk)
            if progress:
                progress("scan", size, total)
    if size == 0:
        raise EmptyFileError(f"{_label(filename)} is empty (0 bytes).")
    return digest.hexdigest(), size


def _is_text_name(filename: str | None) -> bool:
    return (filename or "").lower().endswith((".csv", ".tsv", ".txt", ".tab"))


def _label(filename: str | None) -> str:
    return f"'{filename}'" if filename else "The file"


def _human(n: int) -> str:
    size: float = n
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB"):
        if size < 1024 or unit == "TiB":
            return f"{size} {unit}" if unit == "bytes" else f"{size:.1f} {unit}".replace(".0 ", " ")
        size /= 1024
    return str(n)
