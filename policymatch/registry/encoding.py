"""Which text encoding a CSV registry is in: UTF-8 (with or without a BOM) or GB18030.

Chinese office software exports CSV in one of three encodings: UTF-8 with a BOM ("CSV UTF-8" in
Excel), plain UTF-8, or GB18030/GBK (the "ANSI" code page of a Chinese Windows). The file does not
say which, so the encoding is *detected*, never assumed, and a wrong guess must never turn into
mojibake in a disbursement list. The rules, in order:

1. A UTF-16 BOM: refused (Excel's "Unicode text"); the user re-saves as CSV UTF-8.
2. A UTF-8 BOM: the file is UTF-8, and every byte after the BOM must decode as UTF-8.
3. The whole file decodes as strict UTF-8: UTF-8.
4. UTF-8 fails, but only because the file ends inside a character, or only after many valid
   multi-byte characters: a damaged UTF-8 file, refused with the byte offset and line of the
   damage. (GB18030 would decode such a file, but into mojibake.)
5. The whole file decodes as strict GB18030 *and* reads as Chinese text: GB18030. GB18030 maps
   almost every byte sequence to some character, so a clean decode alone proves little: Latin-1
   or Shift-JIS bytes decode too, into rare characters. Text that is really Chinese keeps almost
   all its characters in GB2312 (the common 6,763 hanzi and full-width punctuation); when more than
   :data:`MAX_RARE_SHARE` of the non-ASCII characters (and more than :data:`RARE_ALLOWANCE` of
   them) fall outside it, the file is refused as ambiguous, naming the line of the first one.
6. Anything else: refused, naming where each encoding failed.

Why not charset-normalizer (installed, and used by many tools): it scores candidate encodings
with heuristics whose thresholds change between versions, may answer Big5 or cp1252 for a short
file, and gives no byte offset to report. A registry must read the same way on every machine and
every version, and a refusal must say where the file is broken, so strict decoding in a fixed
order wins. The whole file is read in blocks (memory stays bounded); the same pass counts its
physical lines (the CSV reader's check that no record spans lines), so that no later step reads
the file only to count, while a second thread computes its SHA-256 for the run's manifest
(:class:`FileDigest`). Rules 2 and 3 are first checked by Arrow's UTF-8
validation, which makes no Python text; a file it refuses is decoded by Python's codecs, which
say where it fails. The decoding of rule 5 can also write the text out as UTF-8
(``utf8_copy``, asked for its path only then: a UTF-8 file makes no temporary file), so that the
CSV parser reads UTF-8 natively instead of decoding the file again on each pass; a copy that
cannot be written (a full disk) is given up, and the parser decodes.
"""

from __future__ import annotations

import codecs
import functools
import hashlib
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np

from ..errors import RegistryError, simple

#: Above this share of non-ASCII characters outside GB2312, a GB18030 decode is not trusted.
MAX_RARE_SHARE = 0.2
#: A few rare characters (生僻字 in company names: 喆, 珺, 燊) are always fine.
RARE_ALLOWANCE = 3
#: This many valid multi-byte UTF-8 characters before an invalid byte mean "damaged UTF-8":
#: GBK text forms a valid UTF-8 sequence only by accident, and rarely twice in a row.
UTF8_EVIDENCE = 8

_BLOCK = 1 << 20
_BOMS_UTF16 = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
_HINT = 'save the registry as "CSV UTF-8" from the office software and read it again'


@dataclass(frozen=True)
class Detected:
    """The outcome of detection: a Python codec name, the file's SHA-256, its size and its
    physical lines (:class:`Scan`)."""

    encoding: str  # "utf-8-sig", "utf-8" or "gb18030"
    sha256: str
    size: int
    lines: int
    copied: bool = False  # a GB18030 file's whole text is in ``utf8_copy``, as UTF-8


class FileDigest:
    """The SHA-256 of a file, computed by a background thread that reads the file on its own
    while the caller reads it for its own ends (hashlib releases the GIL): a second core hashes.
    :meth:`hexdigest` waits for it; :meth:`cancel` stops it (a source closed, a read refused),
    after which there is no digest to ask for."""

    def __init__(self, path: Path) -> None:
        self._digest = hashlib.sha256()
        self._stop = False
        self._done = False
        self._error: OSError | None = None
        self._thread = threading.Thread(
            target=self._run, args=(path,), name="policymatch-sha256", daemon=True
        )
        self._thread.start()

    def _run(self, path: Path) -> None:
        try:
            with path.open("rb") as f:
                while not self._stop and (block := f.read(_BLOCK)):
                    self._digest.update(block)
                self._done = not self._stop
        except OSError as exc:  # raised where the digest is asked for
            self._error = exc

    def hexdigest(self) -> str:
        self._thread.join()
        if self._error is not None:
            raise self._error
        if not self._done:
            raise RuntimeError("the file's digest was cancelled")
        return self._digest.hexdigest()

    def cancel(self) -> None:
        self._stop = True
        self._thread.join()


class LineEnds:
    """The physical lines of the bytes fed to it in order: its line ends (LF, CR or CR LF:
    where a CSV parser ends records) plus a last line without one. Neither byte occurs inside a
    character of UTF-8 or GB18030, so the count holds in both."""

    def __init__(self) -> None:
        self._ends = 0
        self._last = b""

    def update(self, data: bytes | bytearray, start: int = 0, end: int | None = None) -> None:
        """Feed ``data[start:end]`` (read in place: a block is not copied)."""
        end = len(data) if end is None else end
        if end <= start:
            return
        # numpy counts a byte several times faster than bytes.count; CRs are rare, so they
        # are counted only where memchr finds one.
        bytes_ = np.frombuffer(data, dtype=np.uint8, count=end - start, offset=start)
        self._ends += int(np.count_nonzero(bytes_ == 0x0A))
        if data.find(b"\r", start, end) >= 0:
            self._ends += data.count(b"\r", start, end) - data.count(b"\r\n", start, end)
        if self._last == b"\r" and data[start] == 0x0A:  # a CR LF cut by the block boundary
            self._ends -= 1
        self._last = bytes(data[end - 1 : end])

    @property
    def lines(self) -> int:
        return self._ends + (self._last not in (b"", b"\n", b"\r"))


class _Copy:
    """The UTF-8 copy of a GB18030 file, written as it is decoded (``path`` None: none). One
    that cannot be written is given up: it only spares the parser its own decoding."""

    def __init__(self, where: Callable[[], Path | None] | None) -> None:
        self.out: BinaryIO | None = None
        path = where() if where is not None else None
        self.whole = path is not None
        if path is not None:
            try:
                self.out = path.open("wb")
            except OSError:
                self.whole = False

    def write(self, text: str) -> None:
        if self.out is not None:
            try:
                self.out.write(text.encode("utf-8"))
            except OSError:
                self.close()
                self.whole = False

    def close(self) -> bool:
        """Whether the copy holds the whole text."""
        if self.out is not None:
            out, self.out = self.out, None
            try:
                out.close()
            except OSError:
                self.whole = False
        return self.whole


@dataclass
class _Failure:
    offset: int
    line: int
    at_end: bool
    valid_before: int  # non-ASCII characters decoded before the failure


def _error(message: str, display: str) -> RegistryError:
    return RegistryError([simple("PM502", message, file=display, hint=_HINT)])


def _non_ascii(text: str) -> int:
    return len(text) - len(text.encode("ascii", "ignore"))


def _line_at(path: Path, offset: int) -> int:
    """The 1-based line of byte ``offset`` (counted again only when there is a failure)."""
    lines = 1
    with path.open("rb") as f:
        while offset > 0:
            block = f.read(min(_BLOCK, offset))
            if not block:
                break
            lines += block.count(b"\n")
            offset -= len(block)
    return lines


def _decode_all(
    path: Path,
    encoding: str,
    on_text: Callable[[str, int], None] | None = None,
    ends: LineEnds | None = None,
) -> _Failure | None:
    """Strictly decode the whole file; the first failure, or None. ``on_text(text, line)``
    sees each decoded block and the line number it starts on; ``ends`` is fed every byte."""
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    offset = 0  # of the current block in the file
    lines = 0  # newlines before the current block (kept only for on_text)
    valid = 0  # non-ASCII characters decoded so far, counted up to UTF8_EVIDENCE
    with path.open("rb") as f:
        while True:
            block = f.read(_BLOCK)
            if ends is not None:
                ends.update(block)
            final = not block
            pending = decoder.getstate()[0]
            try:
                text = decoder.decode(block, final=final)
            except UnicodeDecodeError as exc:
                # exc.start counts from the bytes the decoder held back from the last block.
                at = offset - len(pending) + exc.start
                valid += _non_ascii((pending + block)[: exc.start].decode(encoding, "ignore"))
                return _Failure(at, _line_at(path, at), final, valid)
            if on_text is not None:
                on_text(text, lines + 1)
                lines += block.count(b"\n")
            if valid < UTF8_EVIDENCE:
                valid += _non_ascii(text)
            if final:
                return None
            offset += len(block)


def _char_start(data: bytes | memoryview) -> int:
    """Where the last, possibly incomplete, UTF-8 character of ``data`` starts (``len(data)``
    when the data ends on a complete one), looking back at most three bytes."""
    for back in range(1, min(4, len(data)) + 1):
        byte = data[-back]
        if byte < 0x80:
            return len(data)
        if byte >= 0xC0:  # a lead byte: how long its character is
            need = 2 if byte < 0xE0 else 3 if byte < 0xF0 else 4
            return len(data) - back if need > back else len(data)
    return len(data)


def _clean_utf8(path: Path, skip: int) -> LineEnds | None:
    """The file's :class:`LineEnds` if every byte after the first ``skip`` is valid UTF-8, else
    None. Arrow validates the bytes without making Python text (a tenth of the time of the
    decoder), in place: each block is read into one buffer, after the bytes of a character
    the block before cut. A file it refuses is decoded again by :func:`_decode_all`, which
    says where."""
    import pyarrow as pa

    ends = LineEnds()
    buffer = bytearray(_BLOCK + 4)
    view = memoryview(buffer)
    carry = 0  # buffer[:carry]: the start of a character the last block cut
    offsets = pa.py_buffer(np.zeros(2, dtype=np.int32))
    with path.open("rb", buffering=0) as f:
        while read := f.readinto(view[carry : carry + _BLOCK]):
            end = carry + read
            ends.update(buffer, carry, end)
            # Pieces cut at a character's start are valid together.
            cut = skip + _char_start(view[skip:end])
            np.frombuffer(offsets, dtype=np.int32)[1] = cut - skip
            text = pa.Array.from_buffers(
                pa.string(), 1, [None, offsets, pa.py_buffer(view[skip:cut])]
            )
            try:
                text.validate(full=True)
            except pa.ArrowInvalid:
                return None
            del text
            buffer[: end - cut] = buffer[cut:end]
            carry, skip = end - cut, 0
    return None if carry else ends


@functools.cache
def _gb2312() -> np.ndarray:
    """Whether each code point of the Basic Multilingual Plane is a GB2312 character (every
    character of GB2312 is in it), from the codec's own table of two-byte codes."""
    table = np.zeros(0x10000, dtype=bool)
    for high in range(0xA1, 0xFF):
        for low in range(0xA1, 0xFF):
            try:
                table[ord(bytes((high, low)).decode("gb2312"))] = True
            except UnicodeDecodeError:
                continue
    return table


class _RareCounter:
    """Counts non-ASCII and non-GB2312 characters (in numpy, over code points), and finds the
    line of the first rare one; ``copy`` is sent the text."""

    def __init__(self, copy: _Copy) -> None:
        self.non_ascii = 0
        self.rare = 0
        self.first: tuple[int, str] | None = None
        self.copy = copy

    def __call__(self, text: str, line: int) -> None:
        self.copy.write(text)
        points = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
        wide = np.flatnonzero(points > 0x7F)
        # U+FFFF is no GB2312 character; it stands for every character beyond the BMP.
        rare = wide[~_gb2312()[np.minimum(points[wide], 0xFFFF)]]
        self.non_ascii += len(wide)
        self.rare += len(rare)
        if len(rare) and self.first is None:
            at = int(rare[0])
            self.first = (line + text.count("\n", 0, at), text[at])


def _where(failure: _Failure) -> str:
    return f"byte offset {failure.offset} (line {failure.line})"


def detect_encoding(
    path: Path, display: str, utf8_copy: Callable[[], Path | None] | None = None
) -> Detected:
    """Detect the encoding of the CSV file at ``path`` (see the module docstring).

    Raises :class:`RegistryError` (PM502) when the file is neither clean UTF-8 nor plausible
    GB18030; ``display`` names the file in the message. A GB18030 file's text is also written
    as UTF-8 to the path ``utf8_copy()`` gives, when it gives one (``Detected.copied`` says
    whether all of it was); it is called only for such a file.
    """
    size = path.stat().st_size
    digest = FileDigest(path)
    try:
        encoding, ends, copied = _detect(path, display, utf8_copy)
    except BaseException:
        digest.cancel()
        raise
    return Detected(encoding, digest.hexdigest(), size, ends.lines, copied)


def _detect(
    path: Path, display: str, utf8_copy: Callable[[], Path | None] | None
) -> tuple[str, LineEnds, bool]:
    """The encoding, the line ends and whether the UTF-8 copy was written."""
    with path.open("rb") as f:
        head = f.read(4)
    if head.startswith(_BOMS_UTF16):
        raise _error('the file is UTF-16 ("Unicode text"), which is not read', display)
    bom = head.startswith(codecs.BOM_UTF8)
    clean = _clean_utf8(path, len(codecs.BOM_UTF8) if bom else 0)
    if clean is not None:
        return "utf-8-sig" if bom else "utf-8", clean, False
    ends = LineEnds()
    if bom:
        failure = _decode_all(path, "utf-8-sig", ends=ends)
        if failure is not None:
            raise _error(
                f"the file starts with a UTF-8 BOM but is not valid UTF-8 at {_where(failure)}"
                + (": it ends in the middle of a character (truncated?)" if failure.at_end else ""),
                display,
            )
        return "utf-8-sig", ends, False
    # The lines are counted by the GB18030 decoding, which reads every byte anyway.
    utf8 = _decode_all(path, "utf-8", ends=ends)
    if utf8 is None:  # Python's decoder accepts what Arrow refused: no file known does this
        return "utf-8", ends, False
    if utf8.at_end:
        raise _error(
            f"the file ends in the middle of a UTF-8 character at {_where(utf8)}: "
            "it looks truncated",
            display,
        )
    if utf8.valid_before >= UTF8_EVIDENCE:
        raise _error(
            f"the file is UTF-8 up to an invalid byte at {_where(utf8)}: it looks damaged",
            display,
        )
    copy = _Copy(utf8_copy)
    counter = _RareCounter(copy)
    try:
        gb = _decode_all(path, "gb18030", counter, ends := LineEnds())
    finally:
        copied = copy.close()
    if gb is not None:
        raise _error(
            f"the file is neither UTF-8 (invalid at {_where(utf8)}) nor GB18030 "
            f"(invalid at {_where(gb)})",
            display,
        )
    if counter.rare > RARE_ALLOWANCE and counter.rare > MAX_RARE_SHARE * counter.non_ascii:
        line, ch = counter.first or (0, "?")
        raise _error(
            "the file is not UTF-8 and decodes as GB18030 only into unusual characters "
            f"({counter.rare} of {counter.non_ascii}, the first '{ch}' on line {line}): "
            "its encoding cannot be told (Shift-JIS? Latin-1?)",
            display,
        )
    return "gb18030", ends, copied
