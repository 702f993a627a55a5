"""A seeded generator of realistic registries, for tests, samples and benchmarks.

:func:`generate_frame` builds a typed frame (the :mod:`.frame` contract) with numpy only, so
millions of rows take seconds. What it models, roughly as a county registry looks:

* unified social credit codes that are valid and unique: ``91`` (company), ``92`` (个体工商户)
  or ``93`` (农民专业合作社), the region, then an organization code (``MA`` and seven characters
  for entities registered since the 2015 reform, else eight digits and their GB 11714 check
  character), then the GB 32100-2015 check character;
* about 90% of rows in the county (``region``), the rest in the neighbouring 3611xx codes;
* GB/T 4754-2017 industry codes, mostly manufacturing (C), then trade (F), construction (E),
  transport (G), hospitality (H), IT (I), real estate (K), business services (L), research (M)
  and farming (A, where the cooperatives are);
* log-normal employees and money, correlated through one latent "scale" per firm; layoff rates
  mostly zero; registration dates over 1995-2026, more of them recent; ``above_scale_since`` for
  about 10% of the larger firms, with the 规上企业 tag;
* the other tags with plausible frequencies and overlaps (小巨人 within 专精特新, 瞪羚 among young
  高新技术企业, 外贸企业 with export values), about 2% 严重失信主体;
* unemployment insurance paid by most companies and few sole traders; ``converted_on`` (the
  个转企 extension, when the schema has it) for a share of recently registered companies;
* bank, 16-19 digit account and mobile number on every row (the sensitive fields);
* then ``null_rate`` of each nullable input cell emptied, and ``size`` derived from what is left.

The same seed gives the same frame.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..schema import STANDARD_SCHEMA, FieldType, Schema
from ..values import Value
from .cells import null_column, uscc_check_bytes
from .frame import iter_records
from .size import derive_size

#: Neighbouring county-level divisions of 上饶市 (3611xx), with their names.
REGIONS: dict[str, str] = {
    "361102": "信州区",
    "361103": "广丰区",
    "361104": "广信区",
    "361123": "玉山县",
    "361124": "铅山县",
    "361125": "横峰县",
    "361126": "弋阳县",
    "361127": "余干县",
    "361128": "鄱阳县",
    "361129": "万年县",
    "361130": "婺源县",
    "361181": "德兴市",
}

#: Industry codes by section: (section weight, codes, words that firms of it put in their name).
INDUSTRIES: dict[str, tuple[float, tuple[str, ...], tuple[str, ...]]] = {
    "C": (
        0.40,
        ("C1311", "C1371", "C1761", "C2029", "C2438", "C2651", "C2929", "C3011", "C3039",
         "C3130", "C3360", "C3484", "C3670", "C3822", "C3982"),
        ("机械制造", "电子科技", "新材料", "食品", "纺织", "化工", "建材", "五金制品", "塑业", "铜业"),
    ),
    "F": (0.22, ("F5121", "F5171", "F5174", "F5211", "F5261", "F5292"), ("商贸", "贸易", "百货", "超市", "商行")),
    "E": (0.06, ("E4710", "E4851", "E4991", "E5010"), ("建筑工程", "建设工程", "装饰工程")),
    "G": (0.05, ("G5430", "G5821", "G5960", "G6020"), ("物流", "运输", "仓储")),
    "H": (0.07, ("H6110", "H6210", "H6291"), ("酒店", "餐饮管理", "农家乐")),
    "I": (0.03, ("I6311", "I6420", "I6510", "I6531"), ("信息技术", "网络科技", "软件")),
    "K": (0.02, ("K7010", "K7020"), ("房地产开发", "物业管理")),
    "L": (0.05, ("L7211", "L7221", "L7281", "L7121"), ("企业管理咨询", "租赁", "人力资源")),
    "M": (0.04, ("M7320", "M7452", "M7484"), ("科技", "检测技术", "工程设计")),
    "A": (0.05, ("A0111", "A0141", "A0311", "A0412"), ("农业", "种植", "养殖", "生态农业")),
    "O": (0.01, ("O8010", "O8051"), ("家政服务", "维修服务")),
}  # fmt: skip

#: Entity types, their share, and the name endings they take.
ENTITY_MIX: tuple[tuple[str, float, str], ...] = (
    ("有限责任公司", 0.50, "有限公司"),
    ("股份有限公司", 0.02, "股份有限公司"),
    ("个人独资企业", 0.05, "个人独资企业"),
    ("合伙企业", 0.02, "合伙企业（有限合伙）"),
    ("个体工商户", 0.33, "经营部"),
    ("农民专业合作社", 0.06, "专业合作社"),
    ("其他", 0.02, "服务中心"),
)

_BRAND = "华鑫恒盛泰兴源隆达昌丰瑞祥福利通宏宇富嘉安康晟锦鼎德诚信和美正旺佳聚元顺弘景博创远航腾"
BANKS = (
    "中国工商银行{}支行",
    "中国农业银行{}支行",
    "中国银行{}支行",
    "中国建设银行{}支行",
    "中国邮政储蓄银行{}支行",
    "上饶银行{}支行",
    "江西{}农村商业银行",
)
# Shares among companies (before the industry biases below), about a rural county's.
_TAG_SHARE = {"高新技术企业": 0.002, "科技型中小企业": 0.01, "专精特新": 0.003, "外贸企业": 0.02}
_START = np.datetime64("1995-01-01")
_END = np.datetime64("2026-06-30")
_REFORM = np.datetime64("2015-10-01")  # unified social credit codes with "MA" org codes
_ALPHABET = np.frombuffer(b"0123456789ABCDEFGHJKLMNPQRTUWXY", dtype=np.uint8)
_GB11714_WEIGHTS = np.array([3, 7, 9, 10, 5, 8, 4, 2], dtype=np.int64)


def _text(codes: np.ndarray, lengths: np.ndarray | None = None) -> np.ndarray:
    """Rows of ASCII bytes (n x w, the first ``lengths`` of each row used) as Python strings."""
    import pyarrow as pa

    n, width = codes.shape
    if lengths is None:
        lengths = np.full(n, width)
        data = np.ascontiguousarray(codes).ravel()
    else:
        data = codes[np.arange(width)[None, :] < lengths[:, None]]
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    array = pa.LargeStringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(data))
    out: np.ndarray = array.to_numpy(zero_copy_only=False)
    return out


def _digits(rng: np.random.Generator, n: int, width: int) -> np.ndarray:
    return rng.integers(48, 58, size=(n, width), dtype=np.uint8)


def _base(values: np.ndarray, base: int, width: int) -> np.ndarray:
    """Digits of ``values`` in ``base``, most significant first (n x width indices)."""
    out = np.empty((len(values), width), dtype=np.int64)
    rest = values.copy()
    for i in range(width - 1, -1, -1):
        rest, out[:, i] = np.divmod(rest, base)
    return out


def _permuted(
    rank: np.ndarray, modulus: int, rng: np.random.Generator, avoid: tuple[int, ...]
) -> np.ndarray:
    """An injective scramble of ranks below ``modulus``: (a * rank + b) mod modulus."""
    while True:
        a = int(rng.integers(1, modulus))
        if all(a % p for p in avoid):
            break
    b = int(rng.integers(0, modulus))
    return (a * rank + b) % modulus


def _usccs(
    rng: np.random.Generator, regions: np.ndarray, kinds: np.ndarray, registered: np.ndarray
) -> np.ndarray:
    """``regions``: n x 6 ASCII digits; ``kinds``: the second character, as a byte."""
    n = len(regions)
    if n > 10**8:
        raise ValueError("at most 100,000,000 rows")
    body = np.empty((n, 17), dtype=np.uint8)
    body[:, 0] = ord("9")
    body[:, 1] = kinds
    body[:, 2:8] = regions
    new = registered >= _REFORM
    rank_new = np.cumsum(new) - 1
    rank_old = np.cumsum(~new) - 1
    rows = np.flatnonzero(new)
    body[rows, 8] = ord("M")
    body[rows, 9] = ord("A")
    body[rows, 10:17] = _ALPHABET[_base(_permuted(rank_new[new], 31**7, rng, (31,)), 31, 7)]
    rows = np.flatnonzero(~new)
    digits = _base(_permuted(rank_old[~new], 10**8, rng, (2, 5)), 10, 8)
    body[rows, 8:16] = digits + ord("0")
    check = (11 - (digits @ _GB11714_WEIGHTS) % 11) % 11
    body[rows, 16] = np.where(check == 10, ord("X"), check + ord("0"))
    codes = np.concatenate([body, uscc_check_bytes(body)[:, None]], axis=1)
    return _text(codes)


def _pick(rng: np.random.Generator, n: int, weights: list[float]) -> np.ndarray:
    p = np.asarray(weights, dtype=float)
    return rng.choice(len(p), size=n, p=p / p.sum())


def _joined(*parts: tuple[list[str], np.ndarray]) -> np.ndarray:
    """Row-wise concatenation of strings picked from small pools, in Arrow (C speed)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    columns = [
        pa.array(pool, type=pa.large_string()).take(pa.array(index)) for pool, index in parts
    ]
    out: np.ndarray = pc.binary_join_element_wise(
        *columns, pa.scalar("", pa.large_string())
    ).to_numpy(zero_copy_only=False)
    return out


def _names(
    rng: np.random.Generator, place: np.ndarray, section: np.ndarray, kind: np.ndarray
) -> np.ndarray:
    """Names like 弋阳县华鑫新材料有限公司.

    ``place`` is 1 + the index of the row's region in :data:`REGIONS` (0: none)."""
    n = len(section)
    sections = list(INDUSTRIES)
    place = np.where(rng.random(n) < 0.8, place, 0)
    brands = [a + b for a in _BRAND for b in _BRAND if a != b]
    words = [w for s in sections for w in INDUSTRIES[s][2]]
    first_word = np.cumsum([0] + [len(INDUSTRIES[s][2]) for s in sections])
    count = np.diff(first_word)
    word = first_word[section] + rng.integers(0, 1 << 30, size=n) % count[section]
    return _joined(
        (["", *REGIONS.values()], place),
        (brands, rng.integers(0, len(brands), size=n)),
        (words, word),
        ([suffix for _, _, suffix in ENTITY_MIX], kind),
    )


def fen(yuan: np.ndarray) -> np.ndarray:
    """Amounts in yuan, rounded to whole fen."""
    out: np.ndarray = np.rint(yuan * 100).astype(np.int64)
    return out


def _lognormal(
    rng: np.random.Generator, mean: np.ndarray | float, sigma: float, n: int
) -> np.ndarray:
    return np.exp(mean + sigma * rng.standard_normal(n))


def generate_frame(
    n: int,
    seed: int,
    *,
    region: str = "361126",
    null_rate: float = 0.02,
    schema: Schema = STANDARD_SCHEMA,
) -> pd.DataFrame:
    """A typed registry frame of ``n`` realistic rows (see the module docstring)."""
    if n < 0 or not 0 <= null_rate <= 1:
        raise ValueError("n must be >= 0 and null_rate within 0..1")
    rng = np.random.default_rng(seed)
    codes = sorted(set(REGIONS) | {region})
    home = codes.index(region)
    others = np.array([i for i in range(len(codes)) if i != home])
    region_idx = np.where(rng.random(n) < 0.9, home, others[rng.integers(0, len(others), size=n)])
    regions = np.asarray(codes, dtype=object)[region_idx]
    place_of = np.asarray([list(REGIONS).index(c) + 1 if c in REGIONS else 0 for c in codes])

    kind = _pick(rng, n, [w for _, w, _ in ENTITY_MIX])
    entity_types = np.asarray([t for t, _, _ in ENTITY_MIX], dtype=object)[kind]
    sections = list(INDUSTRIES)
    section = _pick(rng, n, [INDUSTRIES[s][0] for s in sections])
    section[kind == 5] = sections.index("A")  # cooperatives farm
    all_codes = [(s, c) for s in sections for c in INDUSTRIES[s][1]]
    first_code = np.cumsum([0] + [len(INDUSTRIES[s][1]) for s in sections])
    sizes = np.array([len(INDUSTRIES[s][1]) for s in sections])
    code_idx = first_code[section] + rng.integers(0, 1 << 30, size=n) % sizes[section]
    industry = np.asarray([c for _, c in all_codes], dtype=object)[code_idx]

    span = int((_END - _START).astype(int))
    days = np.floor(span * rng.power(1.6, size=n)).astype(np.int64)
    registered = _START + days.astype("timedelta64[D]")
    prefix = np.where(kind == 4, ord("2"), np.where(kind == 5, ord("3"), ord("1")))
    region_bytes = np.frombuffer("".join(codes).encode("ascii"), dtype=np.uint8).reshape(-1, 6)
    uscc = _usccs(rng, region_bytes[region_idx], prefix, registered)
    names = _names(rng, place_of[region_idx], section, kind)

    # One latent scale per firm drives its size; sole traders are small.
    scale = rng.standard_normal(n)
    small = kind == 4
    employees = np.rint(
        np.where(small, _lognormal(rng, 0.7, 0.6, n), _lognormal(rng, 2.3 + 1.1 * scale, 0.5, n))
    ).astype(np.int64)
    revenue_yuan = np.where(
        small, _lognormal(rng, 11.0, 0.8, n), _lognormal(rng, 12.8 + 1.5 * scale, 0.7, n)
    )
    revenue_yuan[rng.random(n) < 0.03] = 0
    revenue = fen(revenue_yuan)
    assets = fen(revenue_yuan * 0.8 * _lognormal(rng, 0.0, 0.6, n))
    tax = fen(revenue_yuan * rng.uniform(0.01, 0.06, n))
    ui_paid = fen(employees * rng.uniform(100, 400, n))  # 0.5% of a 20k-80k wage base

    year = registered.astype("datetime64[Y]").astype(np.int64) + 1970
    big = revenue_yuan * _lognormal(rng, 0.0, 0.3, n)
    above = (big >= np.quantile(big, 0.99)) & (year < 2025) & ~small
    first_year = np.maximum(year + 1, 2011)
    since = first_year + (rng.random(n) * (2026 - first_year)).astype(np.int64)

    tags_field = schema["tags"]
    bit = {t: 1 << tags_field.values.index(t) for t in tags_field.values}
    tech_bias = np.isin(section, [sections.index(s) for s in ("C", "I", "M")]) * 2.0 + 0.3
    tags = np.zeros(n, dtype=np.int64)
    hi_tech = rng.random(n) < _TAG_SHARE["高新技术企业"] * tech_bias * ~small
    sme_tech = (rng.random(n) < _TAG_SHARE["科技型中小企业"] * tech_bias * ~small) | (
        hi_tech & (rng.random(n) < 0.4)
    )
    specialised = (
        (rng.random(n) < _TAG_SHARE["专精特新"] * 2.5) & (section == sections.index("C")) & ~small
    )
    giant = specialised & (rng.random(n) < 0.15)
    trading = (
        (rng.random(n) < _TAG_SHARE["外贸企业"] * 1.6)
        & np.isin(section, [sections.index("C"), sections.index("F")])
        & ~small
    )
    listed = (kind == 1) & (rng.random(n) < 0.02)
    gazelle = hi_tech & (registered >= np.datetime64("2016-01-01")) & (rng.random(n) < 0.1)
    for mask, tag in (
        (hi_tech, "高新技术企业"),
        (sme_tech, "科技型中小企业"),
        (specialised, "专精特新"),
        (giant, "专精特新小巨人"),
        (above, "规上企业"),
        (trading, "外贸企业"),
        (listed, "上市企业"),
        (gazelle, "瞪羚企业"),
    ):
        tags[mask] |= bit[tag]
    rd = np.where(
        hi_tech | sme_tech,
        revenue_yuan * rng.uniform(0.03, 0.08, n),
        np.where(rng.random(n) < 0.3, revenue_yuan * rng.uniform(0, 0.02, n), 0.0),
    )
    export = np.where(trading, revenue_yuan * rng.uniform(0.1, 0.9, n), 0.0)
    layoff = np.where(rng.random(n) < 0.7, 0, np.rint(rng.beta(1.2, 30, n) * 1e6)).astype(np.int64)

    county_name = REGIONS.get(region, "本县")
    banks = np.asarray(
        [b.format(county_name.rstrip("县市区") or county_name) for b in BANKS], dtype=object
    )
    account_len = rng.integers(16, 20, size=n)
    account = _digits(rng, n, 19)
    account[:, 0] = rng.integers(ord("1"), ord("9") + 1, size=n)
    phone = _digits(rng, n, 11)
    phone[:, 0] = ord("1")
    phone[:, 1] = np.frombuffer(b"35789", dtype=np.uint8)[rng.integers(0, 5, size=n)]

    # Drawn after everything else so that adding them kept every other column of a seed as it
    # was. Sole traders seldom insure employees, and a fifth of firms pay no unemployment
    # insurance: without this a sample county's 稳岗返还 alone asked for eight times its fund.
    pays_ui = rng.random(n) < np.where(small, 0.01, 0.12)
    ui_paid = np.where(pays_ui, ui_paid, 0)
    # 个转企 (registry-schema.md's example extension): a few recent firms converted from
    # 个体工商户, within three years before the generator's horizon.
    converted = (
        (~small) & (registered >= _END - np.timedelta64(3 * 365, "D")) & (rng.random(n) < 0.15)
    )
    converted_on = registered + rng.integers(0, 120, size=n).astype("timedelta64[D]")

    columns: dict[str, tuple[np.ndarray, Any]] = {
        "uscc": (uscc, None),
        "name": (names, None),
        "region": (regions, None),
        "industry": (industry, None),
        "entity_type": (entity_types, None),
        "registered_on": (registered.astype("datetime64[ns]"), None),
        "employees": (employees, "Int64"),
        "revenue": (revenue, "Int64"),
        "total_assets": (assets, "Int64"),
        "tax_paid": (tax, "Int64"),
        "rd_expense": (fen(rd), "Int64"),
        "export_value": (fen(export), "Int64"),
        "ui_paid": (ui_paid, "Int64"),
        "layoff_rate": (layoff, "Int64"),
        "above_scale_since": (since, "Int64"),
        "tags": (tags, None),
        "credit_blacklisted": (rng.random(n) < 0.02, "boolean"),
        "bank_name": (banks[rng.integers(0, len(banks), size=n)], None),
        "bank_account": (_text(account, account_len), None),
        "contact_phone": (_text(phone), None),
        "converted_on": (converted_on.astype("datetime64[ns]"), None),
    }
    data: dict[str, pd.Series] = {}
    for name, (values, dtype) in columns.items():
        if name not in schema or schema[name].name != name:
            continue
        fld = schema[name]
        null = (
            np.zeros(n, dtype=bool)
            if fld.key or fld.type is FieldType.TAGS
            else rng.random(n) < null_rate
        )
        if name == "above_scale_since":
            null |= ~above
        if name == "converted_on":
            null |= ~converted
        data[name] = _column(values, dtype, null)
    # copy=False: the columns are fresh arrays, and consolidating them would copy every one.
    frame = pd.DataFrame(
        {
            f.name: data[f.name] if f.name in data else null_column(f, n)
            for f in schema.input_fields
        },
        index=pd.RangeIndex(n),
        copy=False,
    )
    if "size" in frame.columns:
        frame["size"] = derive_size(frame)
    return frame


def _column(values: np.ndarray, dtype: Any, null: np.ndarray) -> pd.Series:
    if dtype == "Int64":
        return pd.Series(
            pd.arrays.IntegerArray(values.astype(np.int64, copy=False), null), copy=False
        )
    if dtype == "boolean":
        return pd.Series(pd.arrays.BooleanArray(values.astype(bool, copy=False), null), copy=False)
    # The arrays are the generator's own, so nulls are written in place.
    if values.dtype.kind == "M":
        values[null] = np.datetime64("NaT")
        return pd.Series(values, dtype="datetime64[ns]", copy=False)
    if values.dtype == object:
        values[null] = None
        return pd.Series(values, dtype=object, copy=False)
    return pd.Series(values, copy=False)


def generate_records(
    n: int,
    seed: int,
    *,
    region: str = "361126",
    null_rate: float = 0.02,
    schema: Schema = STANDARD_SCHEMA,
) -> list[dict[str, Value]]:
    """:func:`generate_frame` as records of Python values (for small tests)."""
    frame = generate_frame(n, seed, region=region, null_rate=null_rate, schema=schema)
    return list(iter_records(frame, schema))
