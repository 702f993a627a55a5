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

import numpy as np
import pandas as pd

#: Digits an account may have, once spaces and hyphens are removed.
ACCOUNT_DIGITS = (8, 30)
_ACCOUNT = rf"[0-9]{{{ACCOUNT_DIGITS[0]},{ACCOUNT_DIGITS[1]}}}"

#: What can be missing, as the machine code of held.csv's ``missing`` column and in Chinese.
MISSING_TEXT = {
    "name": "缺少企业名称",
    "bank_account": "缺少银行账号",
    "bank_account_invalid": "银行账号格式不符（去掉空格和短横线后应为 8–30 位数字）",
}


def _blank(values: pd.Series) -> pd.Series:
    return values.isna() | (values.astype("string").str.strip().fillna("") == "")


def unpayable_rows(frame: pd.DataFrame) -> dict[int, str]:
    """Frame row -> what is missing (comma-separated codes of :data:`MISSING_TEXT`), for the
    rows a transfer cannot be made to. A frame without the columns holds nothing to pay with."""
    no_name = _blank(frame["name"]) if "name" in frame else pd.Series(True, index=frame.index)
    if "bank_account" in frame:
        account = frame["bank_account"]
        no_account = _blank(account)
        digits = account.astype("string").str.replace(r"[\s-]", "", regex=True)
        bad_account = ~no_account & ~digits.str.fullmatch(_ACCOUNT).fillna(False).astype(bool)
    else:
        no_account = pd.Series(True, index=frame.index)
        bad_account = pd.Series(False, index=frame.index)
    flags = (
        ("name", no_name.to_numpy(dtype=bool)),
        ("bank_account", no_account.to_numpy(dtype=bool)),
        ("bank_account_invalid", bad_account.to_numpy(dtype=bool)),
    )
    # Most rows are payable: only the flagged ones are looked at one by one.
    flagged = np.flatnonzero(flags[0][1] | flags[1][1] | flags[2][1])
    return {int(row): ",".join(code for code, flag in flags if flag[row]) for row in flagged}


def missing_text(codes: str) -> str:
    """held.csv's ``detail``: the codes of :func:`unpayable_rows` in Chinese."""
    return "；".join(MISSING_TEXT[c] for c in codes.split(","))
