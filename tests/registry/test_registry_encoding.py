"""CSV encodings: UTF-8, UTF-8 with BOM and GB18030 are read; anything else is refused clearly."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from policymatch.errors import RegistryError
from policymatch.registry.encoding import detect_encoding
from policymatch.registry.load import read_registry
from policymatch.schema import STANDARD_SCHEMA

S = STANDARD_SCHEMA
WriteBytes = Callable[[str, bytes], Path]


@pytest.fixture
def registry_text(code: Callable[[int], str]) -> str:
    rows = [
        f"{code(i)},弋阳县华鑫新材料有限公司{i},{i}万,高新技术企业、专精特新" for i in range(40)
    ]
    return "统一社会信用代码,企业名称,上年营业收入,资质标签\r\n" + "\r\n".join(rows) + "\r\n"


@pytest.mark.parametrize(
    ("encoding", "detected"),
    [("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"), ("gb18030", "gb18030"), ("gbk", "gb18030")],
)
def test_office_encodings_are_detected_and_read_alike(
    write_bytes: WriteBytes, registry_text: str, encoding: str, detected: str
) -> None:
    data = registry_text.encode(encoding)
    path = write_bytes(f"r-{encoding}.csv", data)
    found = detect_encoding(path, str(path))
    assert (found.encoding, found.size, found.sha256) == (
        detected,
        len(data),
        hashlib.sha256(data).hexdigest(),
    )
    load = read_registry(path, S)
    assert load.rejected == []
    assert load.frame["name"].iloc[7] == "弋阳县华鑫新材料有限公司7"
    assert load.sha256 == hashlib.sha256(data).hexdigest()


def test_gb18030_with_a_few_rare_characters_is_fine(
    write_bytes: WriteBytes, code: Callable[[int], str]
) -> None:
    text = f"统一社会信用代码,企业名称\r\n{code(1)},上饶市喆珺燊科技有限公司\r\n"
    load = read_registry(write_bytes("rare.csv", text.encode("gb18030")), S)
    assert list(load.frame["name"]) == ["上饶市喆珺燊科技有限公司"]


def refusal(path: Path) -> str:
    with pytest.raises(RegistryError) as info:
        read_registry(path, S)
    assert info.value.diagnostics[0].code == "PM502"
    return info.value.render()


def test_shift_jis_is_refused_not_read_as_mojibake(write_bytes: WriteBytes) -> None:
    text = "uscc,name\r\n" + "".join(
        f"91361126MA{i:07d}X,株式会社テストカンパニー{i}\r\n" for i in range(20)
    )
    message = refusal(write_bytes("sjis.csv", text.encode("shift_jis")))
    assert "cannot be told" in message
    assert "line 2" in message


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        # é followed by a comma is not GB18030 either: both failures are named.
        ("Société Générale Crédit", "neither UTF-8 (invalid at byte offset 34 (line 2)) nor "
                                    "GB18030 (invalid at byte offset 36 (line 2))"),
        # ü followed by a letter is a valid (rare) GB18030 character: refused as ambiguous.
        ("Müller Bürotechnik", "decodes as GB18030 only into unusual characters (40 of 40"),
    ],
)  # fmt: skip
def test_latin1_byte_soup_is_refused(write_bytes: WriteBytes, name: str, expected: str) -> None:
    text = "uscc,name\r\n" + "".join(f"91361126MA{i:07d}X,{name} {i}\r\n" for i in range(20))
    assert expected in refusal(write_bytes("latin1.csv", text.encode("latin-1")))


def test_neither_encoding_names_both_places(write_bytes: WriteBytes) -> None:
    data = b"uscc,name\r\n" + b"x,\x80\x80\x80\r\n"
    message = refusal(write_bytes("soup.csv", data))
    assert (
        "neither UTF-8 (invalid at byte offset 13 (line 2)) nor GB18030 (invalid at byte offset 13 (line 2))"
        in message
    )


def test_utf8_cut_in_the_middle_of_a_character(write_bytes: WriteBytes, registry_text: str) -> None:
    data = registry_text.encode("utf-8")
    cut = data[: data.rindex("专".encode()) + 1]
    message = refusal(write_bytes("cut.csv", cut))
    assert "ends in the middle of a UTF-8 character" in message
    assert f"byte offset {len(cut) - 1} (line 41)" in message


def test_utf8_with_a_damaged_byte_names_its_line(
    write_bytes: WriteBytes, registry_text: str
) -> None:
    data = bytearray(registry_text.encode("utf-8"))
    at = data.index("华鑫".encode(), 2000)
    data[at] = 0xFF
    message = refusal(write_bytes("damaged.csv", bytes(data)))
    line = data[:at].count(b"\n") + 1
    assert f"invalid byte at byte offset {at} (line {line}): it looks damaged" in message


def test_a_bom_promises_utf8(write_bytes: WriteBytes, registry_text: str) -> None:
    data = b"\xef\xbb\xbf" + registry_text.encode("gb18030")
    assert "starts with a UTF-8 BOM but is not valid UTF-8" in refusal(write_bytes("bom.csv", data))


def test_utf16_is_refused_with_a_hint(write_bytes: WriteBytes, registry_text: str) -> None:
    message = refusal(write_bytes("u16.csv", registry_text.encode("utf-16")))
    assert "UTF-16" in message
    assert "CSV UTF-8" in message


def test_gb18030_cut_in_the_middle_of_a_character(
    write_bytes: WriteBytes, registry_text: str
) -> None:
    data = registry_text.encode("gb18030")
    cut = data[: data.rindex("专".encode("gb18030")) + 1]
    message = refusal(write_bytes("cut-gb.csv", cut))
    assert "nor GB18030" in message


def test_utf8_checked_in_blocks_keeps_a_character_across_a_block_edge(tmp_path: Path) -> None:
    # The bytes are validated a block at a time; a character cut by the block edge is carried
    # over, and the hash is of every byte.
    from policymatch.registry.encoding import _BLOCK

    body = ("a" * (_BLOCK - 1) + "中文\n" + "x,y\n" * 10).encode("utf-8")
    path = tmp_path / "r.csv"
    path.write_bytes(body)
    detected = detect_encoding(path, "r.csv")
    assert detected.encoding == "utf-8"
    assert detected.sha256 == hashlib.sha256(body).hexdigest()
    path.write_bytes(body[:_BLOCK] + b"\xed\xa0\x80" + body[_BLOCK:])  # an encoded surrogate
    with pytest.raises(RegistryError, match="UTF-8"):
        detect_encoding(path, "r.csv")


def test_only_a_gb18030_file_makes_a_temporary_copy(
    write_bytes: WriteBytes, registry_text: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tempfile

    made: list[str] = []
    real = tempfile.mkstemp

    def spy(*args: Any, **kwargs: Any) -> Any:
        out = real(*args, **kwargs)
        made.append(out[1])
        return out

    monkeypatch.setattr(tempfile, "mkstemp", spy)
    read_registry(write_bytes("u.csv", registry_text.encode("utf-8-sig")), S)
    assert made == []
    read_registry(write_bytes("g.csv", registry_text.encode("gb18030")), S)
    assert len(made) == 1
    assert not Path(made[0]).exists()


def test_a_refused_file_stops_its_hashing(
    write_bytes: WriteBytes, registry_text: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The SHA-256 is computed by a second thread while the file is read; a file refused (or a
    source closed) stops it, and a file read gives the digest of its bytes."""
    from policymatch.registry.encoding import FileDigest

    cancelled: list[FileDigest] = []
    real = FileDigest.cancel

    def spy(self: FileDigest) -> None:
        cancelled.append(self)
        real(self)

    monkeypatch.setattr(FileDigest, "cancel", spy)
    sjis = registry_text.encode("gb18030") + "ｱｲｳｴｵ".encode("shift-jis") * 9
    with pytest.raises(RegistryError):
        read_registry(write_bytes("sjis.csv", sjis), S)
    assert len(cancelled) == 1
    with pytest.raises(RegistryError, match="Parquet"):
        read_registry(write_bytes("r.parquet", b"PAR1 not really"), S)
    assert len(cancelled) == 2
    assert [t for t in threading.enumerate() if t.name == "policymatch-sha256"] == []
