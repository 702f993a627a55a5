"""Grants that cannot be paid yet (待补正): no enterprise name, no bank account, or an account that
cannot be one.

A transfer needs a payee name and an account: a grant without them would sit on the pay list,
use budget and be published with an empty name. Such a grant is *held*: it goes to ``held.csv``
with what is missing and the department to ask (the policy's issuer), draws no budget, is not
published and is not committed. Nothing about it reaches the ledger, so once the registry holds
the data the next round pays it like any other grant.

The account check is deliberately basic (banks' own formats vary): after removing spaces and
hyphens, an account is 8 to 30 digits. Anything else (letters, ``*`` of a masked export, a phone
number's 7 digits) is a bank account that fails the check.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

#: Digits an account may have, once spaces and hyphens are removed.
ACCOUNT_DIGITS = (8, 30)
_ACCOUNT = re.compile(rf"[0-9]{{{ACCOUNT_DIGITS[0]},{ACCOUNT_DIGITS[1]}}}")

#: What can be missing, as the machine code of held.csv's ``missing`` column and in Chinese.
MISSING_TEXT = {
    "name": "缺少企业名称",
    "bank_account": "缺少银行账号",
    "bank_account_invalid": "银行账号格式不符（去掉空格和短横线后应为 8–30 位数字）",
}


#: Text that is surely not blank: it holds a visible ASCII character or a CJK ideograph (RE2
#: syntax, for Arrow). Other values are judged by Python's own ``str.strip``.
_VISIBLE = r"[!-~\x{4e00}-\x{9fff}]"
#: An account of ASCII digits, ASCII whitespace and hyphens only: Arrow's count of its digits
#: is exact. Anything else is judged by Python's regular expressions, as the rule is written.
_PLAIN_ACCOUNT = r"^[0-9 \t\n\r\f\x0b-]*$"


def _texts(frame: pd.DataFrame, name: str, rows: np.ndarray) -> pa.Array:
    """Column ``name`` at ``rows`` as Arrow strings (null where missing)."""
    values = pa.array(frame[name].array, from_pandas=True).take(pa.array(rows, pa.int64()))
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if pa.types.is_string(values.type) or pa.types.is_large_string(values.type):
        return values
    # Not text (a frame built elsewhere): each value as pandas' "string" dtype writes it.
    return pa.array(pd.Series(values.to_pandas()).astype("string").array, pa.string())


def _slow(values: pa.Array, where: np.ndarray, judge: Callable[[str | None], bool]) -> np.ndarray:
    """``judge`` of each value at ``where``, in Python (the rare values Arrow cannot judge)."""
    texts = values.take(pa.array(where, pa.int64())).to_pylist()
    return np.fromiter(map(judge, texts), dtype=bool, count=len(texts))


def _blank(values: pa.Array) -> np.ndarray:
    blank = np.ones(len(values), dtype=bool)
    visible = pc.fill_null(pc.match_substring_regex(values, _VISIBLE), False).to_numpy(
        zero_copy_only=False
    )
    blank[visible] = False
    other = np.flatnonzero(~visible)
    blank[other] = _slow(values, other, lambda v: v is None or not v.strip())
    return blank


def _bad_account(values: pa.Array, blank: np.ndarray) -> np.ndarray:
    plain = pc.fill_null(pc.match_substring_regex(values, _PLAIN_ACCOUNT), False)
    digits = pc.utf8_length(pc.replace_substring_regex(values, "[^0-9]", ""))
    low, high = ACCOUNT_DIGITS
    fits = pc.and_(pc.greater_equal(digits, low), pc.less_equal(digits, high))
    bad: np.ndarray = ~pc.fill_null(fits, False).to_numpy(zero_copy_only=False)
    other = np.flatnonzero(~plain.to_numpy(zero_copy_only=False))
    bad[other] = _slow(
        values, other, lambda v: v is None or _ACCOUNT.fullmatch(re.sub(r"[\s-]", "", v)) is None
    )
    bad &= ~blank
    return bad


def unpayable_rows(frame: pd.DataFrame, rows: Sequence[int] | None = None) -> dict[int, str]:
    """Frame row -> what is missing (comma-separated codes of :data:`MISSING_TEXT`), for the
    rows a transfer cannot be made to. A frame without the columns holds nothing to pay with.

    ``rows``: the frame rows to judge (a round judges its candidates', not millions of rows)."""
    at = np.arange(len(frame)) if rows is None else np.unique(np.asarray(rows, dtype=np.int64))
    everyone = np.ones(len(at), dtype=bool)
    no_name = _blank(_texts(frame, "name", at)) if "name" in frame else everyone
    if "bank_account" in frame:
        account = _texts(frame, "bank_account", at)
        no_account = _blank(account)
        bad_account = _bad_account(account, no_account)
    else:
        no_account, bad_account = everyone, ~everyone
    flags = (
        ("name", no_name),
        ("bank_account", no_account),
        ("bank_account_invalid", bad_account),
    )
    # Most rows are payable: only the flagged ones are looked at one by one.
    flagged = np.flatnonzero(no_name | no_account | bad_account)
    return {int(at[i]): ",".join(code for code, flag in flags if flag[i]) for i in flagged}


def missing_text(codes: str) -> str:
    """held.csv's ``detail``: the codes of :func:`unpayable_rows` in Chinese."""
    return "；".join(MISSING_TEXT[c] for c in codes.split(","))
