"""The Chinese text of every diagnostic: one catalogue, by PM code.

The English text of a diagnostic is written where it is raised (the code that knows what went
wrong says it); this module holds, for each code, its English templates and their Chinese
(those of the policy compiler here, those of rounds, the registry and the other commands in
:mod:`policymatch.messages_runtime`). ``{name}`` in a template stands for a part of the message
(a key, a value, a number); the part is put into the Chinese template, itself translated when
it is one of :data:`PHRASES` or fits a phrase template; a list of parts (one per indented
line, or separated by "; ") part by part; ``{why}``, another program's words, only when it is
a phrase as a whole. A diagnostic whose text has no template here renders in English: the
tests fail on such a text (every golden report; every diagnostic the test suite makes,
tests/conftest.py), so a new message comes with its Chinese.

Codes, file names, positions, the quoted source line and the values the author wrote are never
translated.
"""

from __future__ import annotations

import re
from functools import cache

from .messages_runtime import (
    RUNTIME_HINTS,
    RUNTIME_MESSAGES,
    RUNTIME_PHRASE_TEMPLATES,
    RUNTIME_PHRASES,
)

_DID_YOU_MEAN = re.compile(r" \(did you mean '(?P<best>.+?)'\?\)$")
#: What ``watch`` adds to the message of a change line it skips.
_SKIPPED = "; skipped"
#: How a part lists several problems: one per indented line, or separated by "; ".
_LISTS = (("\n  ", "\n  "), ("; ", "；"))

#: Code -> (English template, Chinese template) for its messages.
MESSAGES: dict[str, tuple[tuple[str, str], ...]] = {
    "PM001": (
        (
            "file is not UTF-8 (byte 0x{byte} at offset {offset})",
            "文件不是 UTF-8 编码（偏移 {offset} 处的字节 0x{byte}）",
        ),
    ),
    "PM002": (("YAML syntax error: {problem}", "YAML 语法错误：{problem}"),),
    "PM003": (
        (
            "duplicate key '{key}' (first at line {line})",
            "键 '{key}' 重复（第一次出现在第 {line} 行）",
        ),
        ("duplicate key '{key}'", "键 '{key}' 重复"),
    ),
    "PM004": (
        (
            "file is {size} bytes; a policy file may be at most {limit}",
            "文件有 {size} 字节；一个政策文件最多 {limit} 字节",
        ),
        ("nesting deeper than {n} levels", "嵌套超过 {n} 层"),
        ("nesting too deep", "嵌套过深"),
        (
            "file expands to {n} values, more than the {limit} allowed",
            "文件展开后有 {n} 个值，超过允许的 {limit} 个",
        ),
    ),
    "PM005": (
        ("policy folder '{root}' does not exist", "政策文件夹 '{root}' 不存在"),
        ("no *.yaml files in '{root}'", "'{root}' 中没有 *.yaml 文件"),
    ),
    "PM006": (("YAML tags are not allowed: '{tag}'", "不允许使用 YAML 标签：'{tag}'"),),
    "PM007": (
        (
            "indentation error: this line is indented {own} spaces, which matches no block "
            "above it",
            "缩进错误：本行缩进 {own} 个空格，与上面任何一层都对不齐",
        ),
        (
            "indentation error: this line is indented {own} spaces, more than line {line} "
            "({other}), so YAML reads it as part of that line's value",
            "缩进错误：本行缩进 {own} 个空格，比第 {line} 行（{other} 个）多，"
            "YAML 会把它当成那一行的值的一部分",
        ),
        (
            "indentation error: a key stands among the items of the list above it",
            "缩进错误：一个键夹在上面列表的各项之间",
        ),
    ),
    "PM101": (("unknown key '{key}' {where}", "{where}有未知的键 '{key}'"),),
    "PM102": (
        ("{what} is missing the required key '{key}'", "{what}缺少必填的键 '{key}'"),
        ("file is empty: it needs at least 'version: 1'", "文件是空的：至少要写 'version: 1'"),
        ("missing 'version: 1' (required in every file)", "缺少 'version: 1'（每个文件都必须有）"),
        ("'label' and 'when' go together", "'label' 和 'when' 必须一起写"),
        ("a tier needs '{key}'", "档位缺少 '{key}'"),
    ),
    "PM103": (
        ("a key must be a plain name", "键必须是普通的名称"),
        ("'{key}' must be one of {values}", "'{key}' 只能是 {values} 之一"),
        ("'{key}' must be a date such as 2023-01-01", "'{key}' 必须是日期，例如 2023-01-01"),
        (
            "'{key}' may contain only letters, digits, '_', '.' and '-'",
            "'{key}' 只能包含字母、数字、'_'、'.' 和 '-'",
        ),
        ("expected an expression, found {kind}", "这里应是表达式，却是{kind}"),
        ("a label must be a text", "label 必须是文字"),
        (
            "a condition has exactly one of all, any, not",
            "一个条件只能有 all、any、not 之一",
        ),
        ("'{key}' takes a non-empty list of conditions", "'{key}' 后面要写非空的条件列表"),
        (
            "a list of conditions must stand under 'all:' or 'any:'",
            "条件列表必须写在 'all:' 或 'any:' 下面",
        ),
        ("{what} cannot be negative", "{what}不能为负数"),
        (
            "a policy file is a mapping of keys (version, policies, ...)",
            "政策文件应由键值组成（version、policies 等）",
        ),
        (
            "'define' is a mapping of names to conditions or values",
            "'define' 应是“名称: 条件或值”的映射",
        ),
        (
            "'{name}' is not a usable name (letters, digits and _; not starting with a digit)",
            "'{name}' 不能用作名称（只能用字母、数字和 _，且不能以数字开头）",
        ),
        ("'funds' is a list", "'funds' 应是列表"),
        (
            "'policies' is a list of policies (each item starts with '- id:')",
            "'policies' 应是政策列表（每项以 '- id:' 开头）",
        ),
        ("a policy is a mapping of keys (id, title, ...)", "一项政策应由键值组成（id、title 等）"),
        ("{field}: '{value}' is not a number", "{field}：'{value}' 不是数字"),
        ("{field}: {problem}", "{field}：{problem}"),
        ("'{key}': {problem}", "'{key}'：{problem}"),
    ),
    "PM104": (("'{value}' is not a date that exists", "'{value}' 不是一个存在的日期"),),
    "PM105": (("unsupported format version {v}", "不支持的格式版本 {v}"),),
    "PM107": (
        (
            "'{label}' is not a top-level condition of this policy",
            "'{label}' 不是本政策的顶层条件",
        ),
    ),
    "PM201": (
        ("unknown name '{name}'", "未知的名称 '{name}'"),
        ("unknown field '{name}'", "未知的字段 '{name}'"),
    ),
    "PM202": (("unknown function '{name}'", "未知的函数 '{name}'"),),
    "PM203": (
        ("{f}() takes {n} argument(s), got {got}", "{f}() 需要 {n} 个参数，实际给了 {got} 个"),
    ),
    "PM204": (
        (
            "a condition must be true or false, but this is a {type}",
            "条件必须是真或假，但这里是{type}",
        ),
        ("{what} must be a number, but this is a {type}", "{what}必须是数字，但这里是{type}"),
        ("a list can only stand after 'in' or 'not in'", "列表只能写在 'in' 或 'not in' 后面"),
        ("'{op}' does not work on dates", "'{op}' 不能用于日期"),
        ("comparing with null is always unknown", "与 null 比较的结果总是未知"),
        ("a tags field is a set of values", "标签字段是一组值"),
        ("cannot compare a {a} with a {b}", "不能把{a}与{b}比较"),
        (
            "'{op}' compares numbers or dates, not {type}s",
            "'{op}' 只能比较数字或日期，不能比较{type}",
        ),
        (
            "'in' needs a list [..] or a tags field, not a {type}",
            "'in' 后面要写列表 [..] 或标签字段，而不是{type}",
        ),
        (
            "the value tested against a tags field must be a quoted text",
            "与标签字段比对的值必须是带引号的文字",
        ),
        ("list items must be constants (not null)", "列表中的项必须是常量（不能是 null）"),
        ("cannot test a {a} against a {b}", "不能拿{a}与{b}比对"),
        ("an empty list never matches", "空列表永远不会匹配"),
        (
            "startswith tests codes and text, not a {type}",
            "startswith 只能用于代码和文字，不能用于{type}",
        ),
        ("startswith takes a quoted prefix", "startswith 后面要写带引号的前缀"),
        ("{f}() takes values of one type ({types})", "{f}() 的参数必须是同一种类型（{types}）"),
        (
            "round()'s places must be a whole number from 0 to 10",
            "round() 的小数位数必须是 0 到 10 的整数",
        ),
        (
            'date() takes a quoted date, e.g. date("2023-01-01")',
            'date() 要写带引号的日期，例如 date("2023-01-01")',
        ),
        (
            "both branches must have one type, not {a} and {b}",
            "两个分支必须是同一种类型，而不是{a}和{b}",
        ),
        ("{where} needs a {want}, not a {got}", "{where}需要{want}，而不是{got}"),
        ("{what} must be a fixed amount such as 50万", "{what}必须是固定金额，例如 50万"),
    ),
    "PM205": (("'{value}' is not a value of {field}", "'{value}' 不是 {field} 的取值"),),
    "PM206": (
        ("syntax error: {problem}", "语法错误：{problem}"),
        ("unsupported expression", "不支持的表达式"),
        ("'in' and 'startswith' cannot be chained", "'in' 和 'startswith' 不能连写"),
    ),
    "PM301": (
        ("define '{name}' refers to itself: {cycle}", "define '{name}' 引用了自己：{cycle}"),
    ),
    "PM302": (
        ("policy id '{id}' is already used in {file}", "政策编号 '{id}' 已在 {file} 中使用"),
    ),
    "PM303": (("fund '{fund}' does not exist", "资金池 '{fund}' 不存在"),),
    "PM304": (
        ("define '{name}' is already defined in {file}", "define '{name}' 已在 {file} 中定义"),
        (
            "define '{name}' would hide a field or built-in name",
            "define '{name}' 会遮住同名的字段或内置名称",
        ),
    ),
    "PM305": (
        ("tier {n} can never match: {reason}", "第 {n} 档永远不会被匹配：{reason}"),
        ("tiers is empty: no tier can ever match", "tiers 是空的：没有任何档位能匹配"),
    ),
    "PM306": (("fund id '{id}' is used twice", "资金池编号 '{id}' 用了两次"),),
    "PM307": (
        (
            "effective period ends ({to}) before it starts ({start})",
            "有效期的结束日期（{to}）早于开始日期（{start}）",
        ),
    ),
    "PM308": (
        (
            "alias '{alias}' already names field '{field}'",
            "别名 '{alias}' 已经是字段 '{field}' 的名称",
        ),
        ("new field '{name}' needs a type", "新字段 '{name}' 需要写 type"),
        ("'{name}' is already an alias of field '{field}'", "'{name}' 已经是字段 '{field}' 的别名"),
        (
            "field '{name}' of type {type} needs a list of values",
            "{type} 类型的字段 '{name}' 需要列出取值 values",
        ),
        ("field '{name}' is derived and cannot be extended", "字段 '{name}' 是推算字段，不能扩展"),
        ("field '{name}' has more than {n} tag values", "字段 '{name}' 的标签取值超过 {n} 个"),
        ("field '{name}' is already of type {type}", "字段 '{name}' 已是 {type} 类型"),
    ),
    "PM310": (
        (
            "the policies read {n} registry fields; at most {limit} are allowed",
            "这些政策读取了 {n} 个登记库字段；最多允许 {limit} 个",
        ),
    ),
    "PM311": (
        (
            "policy '{id}' computes {amount} yuan for the enterprise {uscc}, more than the "
            "{limit} yuan one grant may be",
            "政策 '{id}' 为企业 {uscc} 算出的兑现金额是 {amount} 元，超过一笔兑现最多的 {limit} 元",
        ),
    ),
    "PM350": (
        (
            "policy '{id}' is paid once, but tier {n} is a repeat award ('{word}'): an "
            "enterprise paid the first award is never paid it",
            "政策 '{id}' 只兑现一次（once），但第 {n} 档是再次奖励（'{word}'）："
            "已领过首次奖励的企业永远拿不到这一档",
        ),
    ),
    "PM351": (
        (
            "policies '{a}' and '{b}' both reward '{tag}' with amounts of the same kind and "
            "no stacking group between them: an enterprise qualifying for both is paid both",
            "政策 '{a}' 和 '{b}' 都奖励“{tag}”，金额属于同一类，又没有共同的 stacking_group："
            "两项都符合的企业会被重复兑现",
        ),
    ),
    "PM352": (
        (
            "the eligibility of policy '{id}' can never hold: its tests contradict each other",
            "政策 '{id}' 的享受条件永远不会成立：其中的条件互相矛盾",
        ),
    ),
    "PM353": (
        (
            "no enterprise can satisfy the eligibility of policy '{id}': no value of {names} "
            "a registry can hold passes its tests",
            "没有企业能满足政策 '{id}' 的享受条件：{names}在登记库中可能的取值都不满足",
        ),
    ),
    # Not diagnostics, but the lines `policymatch check` and `policymatch test` print.
    "summary": (
        (
            "ok: {p} policies, {f} funds, {e} examples in {n} files, {w} warnings",
            "通过：{p} 项政策，{f} 个资金池，{e} 个示例，共 {n} 个文件，{w} 个警告",
        ),
        (
            "ok: {p} policies, {f} funds, {e} examples in {n} files",
            "通过：{p} 项政策，{f} 个资金池，{e} 个示例，共 {n} 个文件",
        ),
        ("examples: {p} passed, {f} failed", "示例：{p} 个通过，{f} 个失败"),
    ),
    "example": (
        ("expected unknown (missing data), got {x}", "预期“未知”（缺数据），实际为{x}"),
        (
            "expected not eligible, got {x}: missing data makes the result unknown, not 'not "
            "eligible'; give the missing fields or write eligible: unknown",
            "预期“不符合”，实际为{x}：缺数据时结果是“未知”，不是“不符合”；"
            "请补上缺少的字段，或写 eligible: unknown",
        ),
        ("expected {want}, got {x}", "预期{want}，实际为{x}"),
        ("expected amount {a}, got {b}", "预期金额 {a}，实际为 {b}"),
        ("expected to fail [{a}], failed: {b}", "预期不成立的条件为 [{a}]，实际不成立：{b}"),
        (
            "as_of {d} is outside the policy's effective period {p}",
            "as_of {d} 不在政策有效期 {p} 内",
        ),
    ),
    **RUNTIME_MESSAGES,
}

#: Hints, shared by the codes that give them.
HINTS: tuple[tuple[str, str], ...] = (
    (
        "check the units (万, 亿, %) and the rates in the amount, and the enterprise's figures "
        "in the registry; or give the policy a cap",
        "检查金额公式里的单位（万、亿、%）和比例，以及登记表里这户企业的数据；或者给政策设上限（cap）",
    ),
    (
        "save the file as UTF-8 (in Notepad: 另存为, 编码 UTF-8); GBK/GB18030 files are not "
        "accepted",
        "请把文件另存为 UTF-8 编码（记事本：另存为，编码选 UTF-8）；不接受 GBK/GB18030 编码的文件",
    ),
    ("split the policies over several files in the folder", "请把政策拆分到文件夹中的多个文件"),
    (
        "YAML keeps only one of them: remove or rename the other",
        "YAML 只会保留其中一个：请删除或改名另一个",
    ),
    ("check the day of the month", "请检查日期（当月没有这一天）"),
    (
        "YAML anchors and aliases (& and *) multiply values; policy files do not need them",
        "YAML 的锚点和别名（& 和 *）会成倍展开；政策文件不需要它们",
    ),
    (
        "remove the tag and write the plain value; a policy file holds only text, numbers, "
        "dates, true/false, lists and mappings",
        "请去掉标签，直接写值；政策文件里只有文字、数字、日期、true/false、列表和映射",
    ),
    (
        "indent it {n} spaces like the keys of the same block above (line {line} is indented "
        "{m}); indent with spaces only",
        "请缩进 {n} 个空格，与上面同一层的键对齐（第 {line} 行缩进 {m} 个）；只能用空格缩进",
    ),
    ("indent it {n} spaces like line {line}", "请像第 {line} 行一样缩进 {n} 个空格"),
    (
        "if it belongs to the item above, indent it {n} spaces like that item's keys; to end "
        "the list, indent it like the key that holds the list",
        "如果它属于上面那一项，请缩进 {n} 个空格，与该项的键对齐；如果要结束列表，请与列表所属的键对齐",
    ),
    ("YAML indentation must use spaces, not tabs", "YAML 缩进只能用空格，不能用 Tab"),
    (
        "a full-width colon '：' was used; YAML needs ':' followed by a space",
        "用了全角冒号“：”；YAML 需要半角 ':' 加一个空格",
    ),
    (
        "a value that starts with a quote must be quoted as a whole: write {x}",
        "以引号开头的值必须整体加引号：应写作 {x}",
    ),
    (
        "a value containing ': ' must be quoted, e.g. when: \"...\"",
        "含有 ': ' 的值必须加引号，例如 when: \"...\"",
    ),
    (
        "the file ends inside a '[' or '{' that is never closed: add the closing bracket",
        "文件在未闭合的 '[' 或 '{' 中结束：请补上右括号",
    ),
    (
        "a ':' needs a space after it: on the line above, write '{x}'",
        "':' 后面要有一个空格：请把上一行写作 '{x}'",
    ),
    (
        "check the indentation and quoting of this line and the one above",
        "请检查本行和上一行的缩进与引号",
    ),
    (
        "give the folder of *.yaml files, e.g. policies/",
        "请给出存放 *.yaml 文件的文件夹，例如 policies/",
    ),
    ("allowed keys: {keys}", "可用的键：{keys}"),
    ("a policy file holds: {keys}", "政策文件可以有：{keys}"),
    ("add 'version: 1' as the first line", "请在第一行写 'version: 1'"),
    ("this policymatch reads version 1", "本版 policymatch 读取 version 1"),
    (
        "a condition is an expression, {all: [...]}, {any: [...]}, {not: ...} or {label: ..., "
        "when: ...}",
        "条件可以是表达式、{all: [...]}、{any: [...]}、{not: ...} 或 {label: ..., when: ...}",
    ),
    ("nest them: all: [{any: [...]}, ...]", "请嵌套书写：all: [{any: [...]}, ...]"),
    ("write all: [...] or any: [...]", "请写 all: [...] 或 any: [...]"),
    (
        "a define may use other defines, but not in a circle",
        "define 可以引用其他 define，但不能循环引用",
    ),
    (
        "define names form one namespace across all files",
        "所有文件中的 define 名称共用一个命名空间",
    ),
    ("choose another name", "请换一个名称"),
    ("policy ids are unique across the whole set", "政策编号在整套政策中必须唯一"),
    (
        "funds are declared under 'funds:' (usually in funds.yaml)",
        "资金池在 'funds:' 下声明（通常在 funds.yaml 中）",
    ),
    (
        "give each fund its own id, or remove the second one",
        "请给每个资金池不同的编号，或删除第二个",
    ),
    (
        "write the start date under 'from' and the end date under 'to'",
        "开始日期写在 'from' 下，结束日期写在 'to' 下",
    ),
    ("an amount is an expression, or tiers: [...]", "金额是一个表达式，或 tiers: [...]"),
    ("list tiers as - when: ... value: ...", "档位写作 - when: ... value: ..."),
    ("each tier is - when: 条件 / value: 金额", "每一档写作 - when: 条件 / value: 金额"),
    (
        "its tests contradict each other: check the numbers, values and 'not's",
        "其中的条件互相矛盾：请检查数字、取值和 not",
    ),
    (
        "order tiers from the strictest condition to the loosest (first match wins)",
        "请按从严到宽排列档位（按顺序取第一个符合的档位）",
    ),
    (
        "fails lists the names of the items of eligibility that do not hold: {labels}",
        "fails 列出不成立的享受条件的名称：{labels}",
    ),
    (
        "split the policy set into sets that read fewer fields each",
        "请把政策拆成几套，每套读取较少的字段",
    ),
    ("write a {type} value, e.g. {x}", "应写{type}类型的值，例如 {x}"),
    ("write a whole number, e.g. 100", "应写整数，例如 100"),
    ("write a text", "应写文字"),
    ("write true or false", "应写 true 或 false"),
    ("write a list: [a, b] or one '- ' item per line", "应写列表：[a, b]，或每行一个 '- ' 项"),
    ("write a mapping: key: value", "应写映射：键: 值"),
    ("write a number, e.g. 5万", "应写数字，例如 5万"),
    ("compare it with something, e.g. employees >= 10", "请与某个值比较，例如 employees >= 10"),
    (
        "write a number such as 5万 or a formula such as min(revenue * 1%, 50万)",
        "应写数字（如 5万）或公式（如 min(revenue * 1%, 50万)）",
    ),
    (
        "use year(d) or years_between(d1, d2) to turn dates into numbers",
        "请用 year(d) 或 years_between(d1, d2) 把日期变成数字",
    ),
    ("join the tests with 'and'", "请用 'and' 连接这些条件"),
    ("write is_null({x}) or not is_null(...)", "应写 is_null({x}) 或 not is_null(...)"),
    ('test one value: "专精特新" in tags', '请逐个检查标签值："专精特新" in tags'),
    (
        "numbers are written without quotes, e.g. employees >= 10",
        "数字不加引号，例如 employees >= 10",
    ),
    (
        'codes are text: quote them, e.g. region == "361126"',
        '代码是文字，要加引号，例如 region == "361126"',
    ),
    (
        'write a date as date("2023-01-01"), or compare year(d) with a number',
        '日期写作 date("2023-01-01")，或用 year(d) 与数字比较',
    ),
    ('write a date as date("2023-01-01")', '日期写作 date("2023-01-01")'),
    (
        'codes are hierarchical: use startswith, e.g. industry startswith "C3"',
        '代码是分层的：请用 startswith，例如 industry startswith "C3"',
    ),
    ("{field} takes: {values}", "{field} 的取值：{values}"),
    ("functions: {names}", "可用的函数：{names}"),
    (
        "a name is a registry field, its Chinese alias, a define, or as_of",
        "名称可以是登记库字段、字段的中文别名、define 的名称或 as_of",
    ),
    ("'{f}' is a function: write {call}", "'{f}' 是函数：应写作 {call}"),
    ("give it a {type}, e.g. {x}", "这里要给{type}，例如 {x}"),
    ('write date("YYYY-MM-DD")', '应写作 date("YYYY-MM-DD")'),
    (
        'an expression is made of fields, numbers, "texts", comparisons, and/or/not and '
        "functions such as min(a, b)",
        '表达式由字段、数字、"文字"、比较、and/or/not 和函数（如 min(a, b)）组成',
    ),
    (
        "switch the input method to half-width and write '{x}'",
        "请把输入法切换到半角，写作 '{x}'",
    ),
    (
        "numbers take one suffix: 万, 亿 or %, e.g. 50万, 1.5亿, 5.5%",
        "数字只能带一个单位：万、亿或 %，例如 50万、1.5亿、5.5%",
    ),
    ("close it with {x}", "请用 {x} 结束它"),
    ("is an operator missing here? (and, or, ==, ...)", "这里是否漏了运算符？（and、or、== 等）"),
    (
        "make the repeat award a policy of its own, or write 'frequency: yearly' and a "
        "condition on the year of the qualification",
        "请把再次奖励写成一项单独的政策，或写 'frequency: yearly' 并加上对认定年份的条件",
    ),
    (
        "if they must not be paid together, give both 'stacking_group: {group}' (the larger "
        "amount is paid); if both are meant, ignore this warning",
        "如果两项不能同时享受，请给两项都写 'stacking_group: {group}'（兑现金额大的一项）；"
        "如果本就应同时享受，可忽略本警告",
    ),
    ("check the numbers, values and 'not's of its conditions", "请检查其中条件的数字、取值和 not"),
    (
        "money and head counts are never negative, a rate is between 0 and 100%, and an enum "
        "field holds only its listed values: correct the number or the value",
        "金额和人数不会是负数，比率在 0 到 100% 之间，枚举字段只取列出的值：请改正数字或取值",
    ),
    (
        "write a condition such as employees >= 10, or an amount such as 5万",
        "应写条件（如 employees >= 10）或金额（如 5万）",
    ),
    ("write the date as YYYY-MM-DD, e.g. 2023-01-01", "日期写作 YYYY-MM-DD，例如 2023-01-01"),
    (
        "a new field needs a type (and values for enum/tags); an existing field takes only new "
        "aliases and values",
        "新字段要写 type（enum/tags 还要写 values）；已有字段只能增加别名和取值",
    ),
    ("write define: then one '名称: 条件' per line", "写 define:，然后每行一个 '名称: 条件'"),
    ("write each fund as - id: ... title: ...", "每个资金池写作 - id: ... title: ..."),
    ("write each policy as - id: ... title: ...", "每项政策写作 - id: ... title: ..."),
    (
        "an example's enterprise lists registry fields or their Chinese names",
        "示例的 enterprise 下只能写登记库字段或其中文名称",
    ),
    (
        "a policy file needs a few levels: write conditions as all: [...] lists, not nested",
        "政策文件只需要几层：请把条件写成 all: [...] 列表，不要层层嵌套",
    ),
    ("write the key as a plain name followed by ': '", "键应写作普通名称，后接 ': '"),
    ("check the indentation and quoting of the file", "请检查文件的缩进与引号"),
    ("write round(x) or round(x, 2)", "应写作 round(x) 或 round(x, 2)"),
    *RUNTIME_HINTS,
    # The most general last: a hint is matched by the first template that fits.
    ("write '{x}'", "应写作 '{x}'"),
    ("write one of: {xs}", "应写以下之一：{xs}"),
    ("write {x}", "应写作 {x}"),
    ("add '{x}'", "请添加 '{x}'"),
    ("e.g. {x}", "例如 {x}"),
)

#: Parts of messages that are themselves English words: types, kinds, places, reasons.
PHRASES: dict[str, str] = {
    "number": "数字",
    "text": "文字",
    "date": "日期",
    "boolean": "条件（真/假）",
    "tags": "标签集合",
    "null": "空值",
    "integer": "整数",
    "money": "金额",
    "rate": "比率",
    "code": "代码",
    "string": "文字",
    "enum": "枚举",
    "a list": "列表",
    "a mapping": "映射",
    "empty": "空值",
    "an amount": "金额",
    "a fund budget": "资金池预算",
    "cap": "封顶金额（cap）",
    "budget": "预算（budget）",
    "an example's amount": "示例金额",
    "at the top level": "顶层",
    "in a condition": "条件中",
    "in amount": "amount 中",
    "in a tier": "档位中",
    "in defaults": "defaults 中",
    "in a fund": "资金池中",
    "in schema": "schema 中",
    "defaults": "defaults ",
    "a fund": "资金池",
    "schema": "schema ",
    "'not'": "'not'",
    "its condition is never true": "它的条件永远不成立",
    "number or date": "数字或日期",
    "number or date or text or boolean": "数字、日期、文字或真假",
    "2": "2",
    "eligible": "“符合”",
    "not eligible": "“不符合”",
    "nothing": "无",
    "unknown": "未知",
    **RUNTIME_PHRASES,
}
#: Phrases with a part of their own.
_PHRASE_TEMPLATES: tuple[tuple[str, str], ...] = (
    # Expression syntax (the parser's problems, under PM206).
    ("unexpected character '{c}'", "意外的字符 '{c}'"),
    ("expected a value, found {found}", "这里应是一个值，却是{found}"),
    ("expected {what}, found {found}", "这里应是 {what}，却是{found}"),
    ("the end of the expression", "表达式的结尾"),
    ("']' to close the list", "用 ']' 结束列表"),
    ("full-width character '{c}'", "全角字符 '{c}'"),
    ("'{w}' is not an operator here", "'{w}' 在这里不是运算符"),
    ("unterminated string", "字符串缺少结束的引号"),
    ("malformed number '{n}'", "数字 '{n}' 的写法不对"),
    ("'{t}' is not a number", "'{t}' 不是数字"),
    ("expression nested too deeply", "表达式嵌套过深"),
    ("empty expression", "表达式是空的"),
    ("unexpected '{t}'", "意外的 '{t}'"),
    ("expression longer than {n} characters", "表达式超过 {n} 个字符"),
    # PyYAML's problems (under PM002), the common ones.
    ("mapping values are not allowed here", "这里不能出现“键: 值”"),
    ("expected <block end>, but found '{x}'", "这一行与所在的层次对不齐（遇到 '{x}'）"),
    ("expected the node content, but found '{x}'", "这里缺少内容（遇到 '{x}'）"),
    ("found character '{c}' that cannot start any token", "这里不能出现字符 '{c}'"),
    ("could not find expected ':'", "找不到应有的 ':'"),
    ("found unexpected end of stream", "文件意外结束"),
    ("found unexpected ':'", "意外的 ':'"),
    ("expected ',' or ']', but got '{x}'", "应是 ',' 或 ']'，却是 '{x}'"),
    ("expected ',' or '}', but got '{x}'", "应是 ',' 或 '}'，却是 '{x}'"),
    ("did not find expected key", "找不到应有的键"),
    ("did not find expected '-' indicator", "找不到应有的 '-'"),
    ("invalid YAML", "无效的 YAML"),
    ("but found another document", "文件里又开始了一个文档（'---'）：一个政策文件只能有一个文档"),
    ("found unexpected document separator", "意外的文档分隔符 '---'"),
    ("found undefined alias '{a}'", "别名 '{a}' 没有定义"),
    ("sequence entries are not allowed here", "这里不能出现列表项（'- '）"),
    (
        "unacceptable character {c}: special characters are not allowed",
        "不可接受的字符 {c}：文件里不能有控制字符",
    ),
    ('in "<unicode string>", position {n}', "（位置 {n}）"),
    # pydantic's texts for structured keys (under PM103).
    ("Input should be a valid integer, unable to parse string as an integer", "应是整数"),
    ("Input should be a valid integer", "应是整数"),
    ("Decimal input should be an integer, float, string or Decimal object", "应是数字"),
    ("Input should be a valid string", "应是文字"),
    ("Input should be a valid list", "应是列表"),
    ("Input should be a valid boolean", "应是 true 或 false"),
    ("Input should be a valid dictionary or instance of {x}", "应是映射（键: 值）"),
    ("Input should be a valid dictionary", "应是映射（键: 值）"),
    ("String should have at least 1 character", "不能是空的"),
    ("policy '{id}'", "政策 '{id}' "),
    ("field '{name}'", "字段 '{name}' "),
    ("in policy '{id}'", "政策 '{id}' 中"),
    ("in field '{name}'", "字段 '{name}' 中"),
    ("tier {n} always matches first", "第 {n} 档总是先被匹配"),
    ("every case it covers is already taken by tier {n}", "它覆盖的情况都已被第 {n} 档取走"),
    ("at least {n}", "至少 {n}"),
    ("unknown (missing: {f})", "“未知”（缺少：{f}）"),
    ("eligible, amount {a}", "“符合”，金额 {a}"),
    ("not granted: the conditions hold but the amount is {a}", "不兑现：条件成立但金额为 {a}"),
    ("not eligible (fails: {f})", "“不符合”（不成立：{f}）"),
    *RUNTIME_PHRASE_TEMPLATES,
    # The most general last.
    ("{a} to {b}", "{a} 至 {b}"),
    ("{a} or {b}", "{a} 或 {b}"),
)


_PLACEHOLDER = re.compile(r"\{([a-z]+)\}")


@cache
def _compiled(template: str) -> tuple[re.Pattern[str], tuple[str, ...]]:
    """A template as an anchored pattern (``{name}`` matches any text, shortest first), and
    the names of its parts in order."""
    names = tuple(_PLACEHOLDER.findall(template))
    pattern = "".join(
        "(.+?)" if i % 2 else re.escape(part) for i, part in enumerate(_PLACEHOLDER.split(template))
    )
    return re.compile(f"^{pattern}$", re.S), names


def _fill(en: str, zh: str, text: str) -> str | None:
    pattern, names = _compiled(en)
    found = pattern.match(text)
    if found is None:
        return None
    out = zh
    for name, value in zip(names, found.groups(), strict=True):
        # ``{why}`` is another program's text (the system's, a driver's, a parser's): only
        # an exact phrase is translated, never a part of it by a template.
        shown = PHRASES.get(value, value) if name == "why" else _phrase(value)
        out = out.replace("{" + name + "}", shown)
    return out


def _phrase(text: str) -> str:
    if text in PHRASES:
        return PHRASES[text]
    for separator, joiner in _LISTS:
        if separator in text:
            parts = text.split(separator)
            each = [_phrase(part) for part in parts]
            if each != parts:
                return joiner.join(each)
    for en, zh in _PHRASE_TEMPLATES:
        done = _fill(en, zh, text)
        if done is not None:
            return done
    return text


def translate(code: str, text: str, *, hint: bool = False) -> str:
    """The Chinese of ``text`` (a message, or with ``hint`` a hint, of ``code``), or ``text``
    when the catalogue has none."""
    done = lookup(code, text, hint=hint)
    return text if done is None else done


def lookup(code: str, text: str, *, hint: bool = False) -> str | None:
    """The Chinese of ``text``, or None when the catalogue has no template for it."""
    suffix = ""
    if not hint and text.endswith(_SKIPPED):
        text = text.removesuffix(_SKIPPED)
        suffix = "；已跳过"
    guess = _DID_YOU_MEAN.search(text)
    if guess is not None:
        text = text[: guess.start()]
        suffix = f"（是不是 '{guess['best']}'？）" + suffix
    for en, zh in HINTS if hint else MESSAGES.get(code, ()):
        done = _fill(en, zh, text)
        if done is not None:
            return done + suffix
    return None
