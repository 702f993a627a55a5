"""The Chinese of the diagnostics of a round and the other commands: by PM code, as
:mod:`policymatch.messages` holds those of the policy compiler, and read by it.

The English text is written where it is raised; here are its templates and their Chinese, in
the words of the round's own files (登记表, 统一社会信用代码, 台账, 资金池, 轮次, 兑现). A message
some of these codes give in Chinese already (PM75x–PM78x, a cell's problem) needs no entry,
unless it quotes the system's words (``{why}``: "No such file or directory").
"""

from __future__ import annotations

#: Code -> (English template, Chinese template), the most specific first.
RUNTIME_MESSAGES: dict[str, tuple[tuple[str, str], ...]] = {
    # Change events of ``policymatch watch`` (docs/events.md).
    "PM401": (("cannot read the events: {why}", "无法读取变更事件：{why}"),),
    "PM402": (
        ("not JSON: {why} at column {col}", "不是 JSON：第 {col} 列，{why}"),
        ("not UTF-8 text", "不是 UTF-8 文本"),
    ),
    "PM403": (
        ("an event is a JSON object: {forms}", "一条变更应是一个 JSON 对象：{forms}"),
        ("unknown op {op}: {forms}", "未知的 op {op}：应写 {forms}"),
        ("unexpected key(s) {keys}: {forms}", "多余的键 {keys}：应写 {forms}"),
        ("'{op}' needs {want}: {forms}", "'{op}' 需要{want}：应写 {forms}"),
    ),
    "PM404": (("{problems}", "{problems}"),),
    "PM405": (
        (
            "watch needs the events extra (durable-rules), which is not installed: {install}",
            "watch 需要 events 扩展（durable-rules），尚未安装：{install}",
        ),
    ),
    "PM406": (
        ("a line of {n} characters (at most {most})", "一行有 {n} 个字符（最多 {most} 个）"),
        ("a line over {n} bytes", "一行超过 {n} 字节"),
        ("nested deeper than {n} levels", "嵌套超过 {n} 层"),
    ),
    "PM407": (
        (
            "{name} is not a number a registry holds; write the value or null",
            "{name} 不是登记表里能有的数；请写具体的值或 null",
        ),
        (
            "a number of {n} characters (at most {most} digits)",
            "数字有 {n} 个字符（最多 {most} 位）",
        ),
    ),
    "PM408": (("key {key} given twice in one object", "同一个对象里键 {key} 出现了两次"),),
    # Registry input (docs/registry.md).
    "PM501": (
        ("registry file not found", "找不到登记表文件"),
        ("the registry is a folder, not a file", "登记表是一个文件夹，不是文件"),
    ),
    "PM502": (
        (
            'the file is UTF-16 ("Unicode text"), which is not read',
            "文件是 UTF-16 编码（“Unicode 文本”），不能读取",
        ),
        (
            "the file starts with a UTF-8 BOM but is not valid UTF-8 at {where}: it ends in the "
            "middle of a character (truncated?)",
            "文件以 UTF-8 BOM 开头，但在{where}不是有效的 UTF-8：文件在一个字符的中间结束（不完整？）",
        ),
        (
            "the file starts with a UTF-8 BOM but is not valid UTF-8 at {where}",
            "文件以 UTF-8 BOM 开头，但在{where}不是有效的 UTF-8",
        ),
        (
            "the file ends in the middle of a UTF-8 character at {where}: it looks truncated",
            "文件在{where}结束于一个 UTF-8 字符的中间：看起来不完整",
        ),
        (
            "the file is UTF-8 up to an invalid byte at {where}: it looks damaged",
            "文件在{where}之前都是 UTF-8，那里有一个无效的字节：看起来已损坏",
        ),
        (
            "the file is neither UTF-8 (invalid at {a}) nor GB18030 (invalid at {b})",
            "文件既不是 UTF-8（在{a}无效），也不是 GB18030（在{b}无效）",
        ),
        (
            "the file is not UTF-8 and decodes as GB18030 only into unusual characters ({rare} "
            "of {n}, the first '{ch}' on line {line}): its encoding cannot be told "
            "(Shift-JIS? Latin-1?)",
            "文件不是 UTF-8，按 GB18030 解码又只得到生僻字符（{n} 个中有 {rare} 个，"
            "第一个是第 {line} 行的 '{ch}'）：无法判断它的编码（Shift-JIS？Latin-1？）",
        ),
    ),
    "PM503": (
        (
            "no column gives the {field} (a header {names}); the headers are: {headers}",
            "登记表中找不到{field}这一列（表头应为 {names}）；现有的表头：{headers}",
        ),
    ),
    "PM504": (
        ("cannot use the database URL: {why}", "无法使用这个数据库地址：{why}"),
        ("cannot read the registry from the database: {why}", "无法从数据库读取登记表：{why}"),
        ("the query failed: {why}", "查询失败：{why}"),
        (
            "reading the registry from the database failed: {why}",
            "从数据库读取登记表时出错：{why}",
        ),
    ),
    "PM505": (("table '{table}' does not exist", "数据库中没有表 '{table}'"),),
    "PM506": (
        (
            "{a} and {b} both give the field '{field}' ({label})",
            "{a}和{b}都是字段 '{field}'（{label}）",
        ),
    ),
    "PM507": (
        ("the file is empty: there is no header row", "文件是空的：没有表头行"),
        ("the workbook has no worksheet", "工作簿里没有工作表"),
        ("the first worksheet is empty: there is no header row", "第一个工作表是空的：没有表头行"),
    ),
    "PM508": (
        ("cannot read the file as CSV: {why}", "无法按 CSV 读取文件：{why}"),
        ("cannot read the file as an Excel workbook: {why}", "无法按 Excel 工作簿读取文件：{why}"),
        ("cannot read the worksheet: {why}", "无法读取工作表：{why}"),
        ("cannot read the file as Parquet: {why}", "无法按 Parquet 读取文件：{why}"),
    ),
    "PM509": (
        (
            "the registry changed while it was being read (its rows differ between passes)",
            "读取过程中登记表变了（两遍读到的行不一致）",
        ),
        ("the registry changed while it was being read", "读取过程中登记表变了"),
    ),
    "PM510": (
        ("old-style .xls workbooks are not read", "不读取旧版的 .xls 工作簿"),
        (
            "cannot tell the format of '{name}' from its extension",
            "无法从扩展名看出 '{name}' 是什么格式",
        ),
    ),
    "PM511": (
        (
            "a database registry needs exactly one of a table and a query; got {what}",
            "从数据库读登记表，表和查询要给且只给一个；现在{what}",
        ),
        (
            "a table or a query applies to a database URL, not to a file",
            "表和查询只用于数据库地址，不用于文件",
        ),
    ),
    "PM520": (
        (
            "the workbook is too large to read: {what} to {size} bytes (at most {most}; the file "
            "itself is {file} bytes)",
            "工作簿太大，无法读取：{what}到 {size} 字节（最多 {most} 字节；文件本身 {file} 字节）",
        ),
        ("the workbook is too large to read: {what}", "工作簿太大，无法读取：{what}"),
    ),
    "PM521": (
        (
            "no column gives {label} ({name}), which the policies in force read (企业规模 is "
            "derived from it: there is no 企业规模 column); columns ignored: {ignored}",
            "登记表没有{label}（{name}）这一列，而现行政策要用到它（登记表没有企业规模列，"
            "企业规模由它推算）；未用上的列：{ignored}",
        ),
        (
            "no column gives {label} ({name}), which the policies in force read; columns "
            "ignored: {ignored}",
            "登记表没有{label}（{name}）这一列，而现行政策要用到它；未用上的列：{ignored}",
        ),
    ),
    "PM522": (
        (
            "the first line is longer than {block} bytes (the file has {size}): it has no line "
            "break where a registry has one per enterprise",
            "第一行超过 {block} 字节（文件共 {size} 字节）：登记表每户企业一行，这里却没有换行",
        ),
        (
            "the record at row {row} is longer than {block} bytes: a cell this long is not "
            "registry data (or a quote left open there swallowed the rest of the file)",
            "第 {row} 行的记录超过 {block} 字节：这么长的单元格不是登记数据"
            "（也可能是那里有个引号没有闭合，把文件后面的内容都吞了进去）",
        ),
    ),
    "PM523": (
        (
            "'{name}' is not a registry field (did you mean {guess}?)",
            "'{name}' 不是登记表字段（是不是 {guess}？）",
        ),
        ("'{name}' is not a registry field", "'{name}' 不是登记表字段"),
    ),
    # explain and the library.
    "PM601": (
        (
            "no enterprise with USCC '{uscc}' in the registry",
            "登记表中没有统一社会信用代码为 '{uscc}' 的企业",
        ),
    ),
    "PM602": (("no policy '{id}' {where}", "{where}没有政策 '{id}'"),),
    "PM603": (
        (
            "this result keeps only the columns {columns} of the registry (a chunked match), not "
            "the whole record",
            "这个结果只保留了登记表的 {columns} 这几列（分块匹配），没有完整的记录",
        ),
    ),
    "PM610": (
        (
            "{what}: {value} is not a date (a datetime.date or 'YYYY-MM-DD')",
            "{what}：{value} 不是日期（应为 datetime.date 或 'YYYY-MM-DD'）",
        ),
    ),
    "PM611": (
        (
            "no backend '{name}' (backends: {names}); did you mean '{best}'?",
            "没有名为 '{name}' 的后端（可用的后端：{names}）；是不是 '{best}'？",
        ),
        (
            "no backend '{name}' (backends: {names})",
            "没有名为 '{name}' 的后端（可用的后端：{names}）",
        ),
    ),
    "PM612": (
        (
            "no table '{name}' in this result (tables: {names})",
            "结果中没有表 '{name}'（可用的表：{names}）",
        ),
    ),
    "PM613": (
        (
            "a registry is a path, a database URL or a DataFrame, not {type}",
            "登记表应是路径、数据库地址或 DataFrame，而不是 {type}",
        ),
    ),
    "PM614": (
        (
            "no {manifest} here: not a round folder written by 'policymatch run'",
            "这里没有 {manifest}：不是 'policymatch run' 写出的轮次文件夹",
        ),
        ("{manifest} cannot be read: {why}", "{manifest} 无法读取：{why}"),
        (
            "the policies in '{folder}' are not the ones the round was made with (their SHA-256 "
            "differs from the manifest's)",
            "'{folder}' 中的政策不是本轮运行时用的政策（SHA-256 与 manifest 中记的不同）",
        ),
    ),
    "PM615": (
        (
            "give --registry, or --round with a round folder",
            "请给出 --registry，或用 --round 指定轮次文件夹",
        ),
        (
            "to explain by USCC, pass the registry it is in (registry=)",
            "按统一社会信用代码说明时，请给出企业所在的登记表（registry=）",
        ),
    ),
    # ``policymatch serve`` at start (the HTTP answers keep their English: docs/serve.md).
    "PM627": (
        (
            "serve needs the serve extra (FastAPI, uvicorn), which is not installed: {install}",
            "serve 需要 serve 扩展（FastAPI、uvicorn），尚未安装：{install}",
        ),
    ),
    "PM628": (
        (
            "entry {n}: expected 'SCOPE TOKEN' with SCOPE read or events",
            "第 {n} 项：应写 'SCOPE TOKEN'，SCOPE 为 read 或 events",
        ),
        (
            "entry {n}: a token has at least {most} characters",
            "第 {n} 项：令牌至少要有 {most} 个字符",
        ),
        ("cannot read the tokens: {why}", "无法读取令牌：{why}"),
        ("no tokens configured", "没有配置令牌"),
    ),
    # Rounds and the ledger (docs/rounds.md).
    "PM701": (("not a database URL: {why}", "不是数据库地址：{why}"),),
    "PM702": (("ledger: {doing}: {why}", "台账{doing}：{why}"),),
    "PM703": (
        (
            "round {id} not committed: {n} of its grants are already paid according to the "
            "ledger (another round was committed after this one was run):\n  {items}",
            "轮次 {id} 未入账：按台账，其中 {n} 笔兑现已经支付过（本轮运行之后又有别的轮次入账）："
            "\n  {items}",
        ),
    ),
    "PM704": (
        (
            "no {manifest} here: not a round folder written by 'policymatch run'",
            "这里没有 {manifest}：不是 'policymatch run' 写出的轮次文件夹",
        ),
        (
            "refused: {manifest} names no SHA-256 for {file}",
            "拒绝入账：{manifest} 没有记录 {file} 的 SHA-256",
        ),
        (
            "refused: files changed or missing since the run: {files}",
            "拒绝入账：运行之后有文件被改动或不见了：{files}",
        ),
        ("grants.csv holds {a}, the manifest says {b}", "grants.csv 中是 {a}，manifest 记的是 {b}"),
        ("grants.csv line {n}: {problem}", "grants.csv 第 {n} 行：{problem}"),
        ("{manifest} cannot be read: {why}", "{manifest} 无法读取：{why}"),
        (
            "{manifest} is not a round manifest:\n  {why}",
            "{manifest} 不是轮次的 manifest：\n  {why}",
        ),
    ),
    "PM711": (
        (
            "{n} enterprises appear more than once ({shown})",
            "有 {n} 户企业出现了不止一次（{shown}）",
        ),
    ),
    "PM712": (
        (
            "cannot write {name} into the round folder: {why}",
            "无法把 {name} 写入轮次文件夹：{why}",
        ),
        ("cannot write the round into '{folder}': {why}", "无法把轮次写入 '{folder}'：{why}"),
    ),
    "PM713": (
        (
            "this folder holds round {id}, committed to {ledger} on {date} ({marker}): it is "
            "the record of that payment",
            "这个文件夹里是轮次 {id}，已于 {date} 记入台账 {ledger}（{marker}）：它是那次兑现的凭据",
        ),
        (
            "this folder holds round {id}, committed to the ledger on {date}: it is the record "
            "of that payment",
            "这个文件夹里是轮次 {id}，已于 {date} 记入台账：它是那次兑现的凭据",
        ),
        (
            "the ledger recorded round {id} from this folder, whose {manifest} is gone: the "
            "folder is the record of that payment",
            "台账记录了这个文件夹中的轮次 {id}，但它的 {manifest} 不见了：这个文件夹是那次兑现的凭据",
        ),
        (
            "this folder has no {manifest} but read-only lists ({files}): it looks like a "
            "committed round whose {manifest} was removed",
            "这个文件夹没有 {manifest}，却有只读的清单（{files}）：看起来是一个已入账、"
            "{manifest} 被删掉的轮次",
        ),
    ),
    "PM714": (
        ("cannot write a registry as '{suffix}'", "不能把登记表写成 '{suffix}' 格式"),
        (
            "--rows must be 0 or more and --null-rate between 0 and 1",
            "--rows 不能小于 0，--null-rate 必须在 0 到 1 之间",
        ),
    ),
    "PM720": (
        (
            "the policy set given to commit ({a}) is not the one the round was run with ({b})",
            "入账时给的政策集（{a}）不是本轮运行时用的政策集（{b}）",
        ),
    ),
    "PM721": (
        (
            "refused: manifest.json contradicts the policy set:\n  {items}",
            "拒绝入账：manifest.json 与政策集不一致：\n  {items}",
        ),
    ),
    "PM722": (
        (
            "refused: grants.csv holds grants the policies do not allow:\n  {items}",
            "拒绝入账：grants.csv 中有政策不允许的兑现：\n  {items}",
        ),
    ),
    "PM723": (
        (
            "refused: grants.csv pays more than a budget allows:\n  {items}",
            "拒绝入账：grants.csv 兑现的金额超过了预算：\n  {items}",
        ),
    ),
    "PM724": (
        (
            "round {id} not committed: it contradicts what the ledger recorded of its "
            "policies:\n  {items}",
            "轮次 {id} 未入账：与台账中记录的政策情况不一致：\n  {items}",
        ),
    ),
    "PM725": (
        (
            "the round folder holds symbolic links ({links}): a round is written and committed "
            "only as plain files of its folder",
            "轮次文件夹里有符号链接（{links}）：轮次只能以文件夹中的普通文件写出和入账",
        ),
    ),
    "PM726": (
        (
            "round {id} was committed to {ledger} on {date} ({marker}); not committing it to "
            "{other} as well",
            "轮次 {id} 已于 {date} 记入台账 {ledger}（{marker}）；不再记入 {other}",
        ),
    ),
    "PM727": (
        (
            "the registry '{source}' is not the one the round was run with (SHA-256 {a}, the "
            "manifest says {b})",
            "登记表 '{source}' 不是本轮运行时用的登记表（SHA-256 为 {a}，manifest 记的是 {b}）",
        ),
    ),
    # Raised in Chinese, with the system's words for why a file cannot be read or written.
    "PM756": (("无法写出对账单：{why}", "无法写出对账单：{why}"),),
    "PM761": (("无法读取文件：{why}", "无法读取文件：{why}"),),
    "PM770": (("无法读取文件：{why}", "无法读取文件：{why}"),),
    # Scale-out on Dask (docs/scale-out.md).
    "PM801": (
        (
            "running on a cluster needs Dask, which is not installed ({why})",
            "在集群上运行需要 Dask，尚未安装（{why}）",
        ),
    ),
    "PM802": (
        (
            "'{spec}' is neither 'local' nor a scheduler address",
            "'{spec}' 既不是 'local'，也不是调度器地址",
        ),
        (
            "--dask runs the batch core ({core}), not --backend {backend}",
            "--dask 只运行批量核心（{core}），不能用 --backend {backend}",
        ),
    ),
    "PM803": (
        ("cannot reach the Dask scheduler at {spec}: {why}", "连不上 {spec} 的 Dask 调度器：{why}"),
        ("the Dask scheduler at {spec} has no worker", "{spec} 的 Dask 调度器没有 worker"),
    ),
    "PM804": (
        (
            "a Dask worker cannot read row groups {a}-{b} of the registry: {why}",
            "有一个 Dask worker 读不了登记表的第 {a}-{b} 个行组：{why}",
        ),
    ),
    "PM805": (
        (
            "a Dask worker cannot run policymatch: {why}",
            "有 Dask worker 运行不了 policymatch：{why}",
        ),
        (
            "Dask workers run another version of policymatch than this one ({version}): {which}",
            "有 Dask worker 运行的 policymatch 版本与本机（{version}）不同：{which}",
        ),
        (
            "the Dask cluster lost the workers running a partition too often: {why}",
            "Dask 集群运行同一个分区的 worker 丢失次数过多：{why}",
        ),
        ("the Dask cluster gave no result within {n} s", "Dask 集群在 {n} 秒内没有给出结果"),
    ),
    # policymatch preview (docs/preview.md).
    "PM901": (
        (
            "the two policy sets' schema: blocks do not fit together: {why}",
            "两套政策的 schema: 块合不到一起：{why}",
        ),
    ),
    "PM902": (
        ("cannot run git: {why}", "无法运行 git：{why}"),
        ("not in a git repository ({why})", "不在 git 仓库中（{why}）"),
        ("not in a git repository", "不在 git 仓库中"),
        (
            "'{rev}' is not a revision of this repository ({why})",
            "'{rev}' 不是本仓库的版本（{why}）",
        ),
        ("'{rev}' is not a revision of this repository", "'{rev}' 不是本仓库的版本"),
        (
            "cannot read '{path}' at revision '{rev}' ({why})",
            "无法读取版本 '{rev}' 中的 '{path}'（{why}）",
        ),
        ("cannot read '{path}' at revision '{rev}'", "无法读取版本 '{rev}' 中的 '{path}'"),
        ("'{folder}' is not inside the git repository {top}", "'{folder}' 不在 git 仓库 {top} 中"),
        ("'{rev}' is not a git revision", "'{rev}' 不是 git 版本"),
    ),
    "PM903": (
        (
            "'{folder}' holds a round ({manifest}): a preview is not part of a round",
            "'{folder}' 里有一个轮次（{manifest}）：沙盘结果不能放进轮次文件夹",
        ),
        (
            "cannot write the preview into '{folder}': '{file}' is a file",
            "无法把沙盘结果写入 '{folder}'：'{file}' 是一个文件",
        ),
        (
            "cannot write the preview into '{folder}': no permission",
            "无法把沙盘结果写入 '{folder}'：没有权限",
        ),
        ("cannot write the preview into '{folder}': {why}", "无法把沙盘结果写入 '{folder}'：{why}"),
    ),
    # argparse's usage errors (exit 2), with the commands' own value checks.
    "usage": (
        ("the following arguments are required: {names}", "缺少必填的参数：{names}"),
        ("unrecognized arguments: {words}", "无法识别的参数：{words}"),
        ("one of the arguments {names} is required", "参数 {names} 必须给出其中一个"),
        ("ambiguous option: {option} could match {names}", "选项 {option} 有歧义，可能是 {names}"),
        ("argument {name}: {problem}", "参数 {name}：{problem}"),
    ),
}

#: Hints of these codes (matched before the general hints of the catalogue).
RUNTIME_HINTS: tuple[tuple[str, str], ...] = (
    ("check the path of the registry", "请检查登记表的路径"),
    (
        'save the registry as "CSV UTF-8" from the office software and read it again',
        "请在办公软件里把登记表另存为“CSV UTF-8”格式，再重新读取",
    ),
    (
        "is '{near}' meant to be '{guess}'? the first row must be the header row, one column "
        "per field",
        "'{near}' 是不是应为 '{guess}'？第一行必须是表头行，每个字段一列",
    ),
    (
        "the first row must be the header row, one column per field",
        "第一行必须是表头行，每个字段一列",
    ),
    ("use {url} and install the driver: {install}", "请使用 {url}，并安装驱动：{install}"),
    (
        "give a SQLAlchemy URL such as {url}, or no {table} and no {query}",
        "请给出 SQLAlchemy 数据库地址（例如 {url}），或者不要给 {table} 和 {query}",
    ),
    (
        "give a SQLAlchemy URL such as {url} or {other}",
        "请给出 SQLAlchemy 数据库地址，例如 {url} 或 {other}",
    ),
    ("check {table} (and the database in the URL)", "请检查 {table}（以及地址中的数据库名）"),
    ("check {table} (and the URL)", "请检查 {table}（以及数据库地址）"),
    ("delete or rename one of the two columns", "请删掉其中一列，或给它改个名"),
    (
        "open it in Excel or WPS and save it as .xlsx (or as CSV UTF-8)",
        "请用 Excel 或 WPS 打开，另存为 .xlsx（或 CSV UTF-8）",
    ),
    (
        "read it again once the export or the database is quiet",
        "请等导出完成、数据库不再写入后重新读取",
    ),
    (
        "save the workbook as .xlsx (Excel Workbook) or as CSV UTF-8",
        "请把工作簿另存为 .xlsx（Excel 工作簿）或 CSV UTF-8",
    ),
    (
        "name the file .csv, .xlsx or .parquet, or give a database URL with {table} or {query}",
        "请把文件命名为 .csv、.xlsx 或 .parquet，或者给出数据库地址并指定 {table} 或 {query}",
    ),
    ("name the file .csv, .xlsx or .parquet", "请把文件命名为 .csv、.xlsx 或 .parquet"),
    (
        "give {table} to read a whole table, or {query}",
        "读整张表请给 {table}，按查询读请给 {query}",
    ),
    (
        "a registry this size is read from CSV UTF-8 or Parquet; if the file is not meant to be "
        "this large, it is damaged or crafted: export the registry again",
        "这么大的登记表请用 CSV UTF-8 或 Parquet 格式；如果文件本不该这么大，"
        "说明它已损坏或被人为改造过：请重新导出登记表",
    ),
    (
        "did you mean {guess}? name the column {names}, or allow missing it ({option}) to treat "
        "it as unknown for every enterprise",
        "是不是 {guess}？请把列名改为 {names}；或者允许缺少这一列（{option}），"
        "每户企业的这一项都按“未知”处理",
    ),
    (
        "name the column {names}, or allow missing it ({option}) to treat it as unknown for "
        "every enterprise",
        "请把列名改为 {names}；或者允许缺少这一列（{option}），每户企业的这一项都按“未知”处理",
    ),
    (
        "export the registry again as CSV UTF-8, one line per enterprise",
        "请把登记表重新导出为 CSV UTF-8，每户企业一行",
    ),
    (
        "give a field name or its Chinese header to allow missing, e.g. {a} or {b}",
        "允许缺少的字段请写字段名或它的中文表头，例如 {a} 或 {b}",
    ),
    ("did you mean '{guess}'?", "是不是 '{guess}'？"),
    (
        "explain with Engine.explain(record, policy_id, as_of)",
        "请用 Engine.explain(record, policy_id, as_of) 说明",
    ),
    (
        "a reviewed round is committed as written; run it again to change it",
        "复核过的轮次只能按原样入账；要改动请重新运行",
    ),
    (
        "commit only a round as 'policymatch run' wrote it, with the policies it was run with "
        "(--policies)",
        "只能把 'policymatch run' 写出的轮次原样入账，并用运行时的政策（--policies）",
    ),
    (
        "commit with the policies the round was run with: --policies DIR",
        "请用本轮运行时的政策入账：--policies DIR",
    ),
    (
        "commit with the registry file the round was run with: --registry PATH",
        "请用本轮运行时的登记表文件入账：--registry PATH",
    ),
    (
        "commit with the ledger that holds it ({option})",
        "请用记有这一轮的台账入账（{option}）",
    ),
    (
        "write the new round into another folder ({option})",
        "请把新的轮次写到另一个文件夹（{option}）",
    ),
    ("remove the links, or choose another folder", "请删掉这些链接，或换一个文件夹"),
    (
        "a policy whose frequency or stacking group changes needs a new policy id",
        "政策的兑现频次（frequency）或叠加组（stacking_group）改了，就要用新的政策编号",
    ),
    (
        "run the round again against the current ledger, review it, commit that",
        "请按当前台账重新运行本轮，复核后再入账",
    ),
    ("pip install {extra}", "请安装：pip install {extra}"),
    (
        "{local} (a cluster of this machine's cores) or {remote} (a running scheduler)",
        "{local}（用本机的各个核组成集群）或 {remote}（已在运行的调度器）",
    ),
    (
        "start a scheduler with {scheduler} and workers with {worker}, or use this machine's "
        "cores with {local}",
        "请用 {scheduler} 启动调度器、用 {worker} 启动 worker，或用 {local} 使用本机的各个核",
    ),
    (
        "every worker must see the registry at the same path as the client (a shared folder), "
        "unchanged during the run",
        "每个 worker 都必须能在与本机相同的路径看到登记表（共享文件夹），运行期间不能改动",
    ),
    (
        "install policymatch {version} (with its [dask] extra) on every worker",
        "请在每个 worker 上安装 policymatch {version}（含 [dask] 扩展）",
    ),
    (
        "install policymatch {version} on every worker",
        "请在每个 worker 上安装 policymatch {version}",
    ),
    (
        "a partition may need more memory than a worker has: lower partition_rows, or give "
        "the workers more memory",
        "一个分区要的内存可能比 worker 的还多：请调小 partition_rows，或给 worker 更多内存",
    ),
    (
        "check that its workers are alive (the dashboard lists them)",
        "请检查各个 worker 是否还在运行（dashboard 里有列表）",
    ),
    (
        "give the field the same type in both sets, or rename it in one",
        "请在两套政策里给这个字段相同的类型，或在其中一套里改名",
    ),
    (
        "give a commit, tag or branch of this repository, e.g. --base-rev main",
        "请给出本仓库的提交、标签或分支，例如 --base-rev main",
    ),
    ("give the preview a folder of its own (--out)", "请给沙盘结果一个单独的文件夹（--out）"),
)

#: Parts of these messages that are English words.
RUNTIME_PHRASES: dict[str, str] = {
    "none": "无",
    "both": "两个都给了",
    "neither": "一个都没给",
    "an object 'record'": "对象 'record'",
    "a text 'uscc'": "文字 'uscc'",
    "in the policy set": "政策集中",
    "in the set": "政策集中",
    "cannot open": "无法打开",
    "cannot read": "无法读取",
    "cannot record": "无法登记",
    "cannot commit": "无法入账",
    "refused (a grant of this round is already recorded)": "拒绝入账（本轮有一笔兑现已记入台账）",
    "its shared strings expand": "其中的共享字符串展开",
    "its parts expand": "其中的各部分展开",
    # The operating system's words for the common failures (strerror).
    "No such file or directory": "文件或文件夹不存在",
    "Permission denied": "没有权限",
    "Is a directory": "这是一个文件夹",
    "Not a directory": "不是文件夹",
    "No space left on device": "磁盘空间不足",
    "Connection refused": "连接被拒绝",
    # argparse's problems with one argument.
    "expected one argument": "需要一个值",
    "expected at most one argument": "最多只能有一个值",
    "expected at least one argument": "至少需要一个值",
}

#: Why the ledger keeps a grant of a round from being paid (PM703), in the words of the round's
#: lists (``rounds.allocate.REASON_TEXT``).
_LEDGER_REASONS = {
    "paid_before": "已享受过本政策（一次性）",
    "paid_this_year": "本年度已享受本政策",
    "group_paid": "已享受同组政策，不重复享受",
}

#: Parts with a part of their own (tried before the general "{a} or {b}" of the catalogue).
RUNTIME_PHRASE_TEMPLATES: tuple[tuple[str, str], ...] = (
    *(
        (f"{{who}}: {en} ({{other}})", f"{{who}}：{zh}（{{other}}）")
        for en, zh in _LEDGER_REASONS.items()
    ),
    *((f"{{who}}: {en}", f"{{who}}：{zh}") for en, zh in _LEDGER_REASONS.items()),
    ("byte offset {offset} (line {line})", "第 {line} 行（字节偏移 {offset}）处"),
    ("in force on {date}", "{date} 有效的政策中"),
    ("row {row} has {n} columns (at most {most})", "第 {row} 行有 {n} 列（最多 {most} 列）"),
    (
        "the worksheet has more than {n} cells (by row {row})",
        "工作表超过 {n} 个单元格（到第 {row} 行）",
    ),
    ("column {n} ({letter}) '{header}'", "第 {n} 列（{letter} 列）'{header}'"),
    (
        "'{key}' is not a registry field (did you mean '{guess}'?)",
        "'{key}' 不是登记表字段（是不是 '{guess}'？）",
    ),
    ("'{key}' is not a registry field", "'{key}' 不是登记表字段"),
    (
        "'{key}' is derived, not an input (did you mean '{guess}'?)",
        "'{key}' 是推算字段，不能输入（是不是 '{guess}'？）",
    ),
    ("'{key}' is derived, not an input", "'{key}' 是推算字段，不能输入"),
    ("'{key}' gives {field} a second time", "'{key}' 重复给出了 {field}"),
    ("{field} ({label}): {value} is too large", "{field}（{label}）：{value} 太大"),
    ("'{text}' is not an amount with two decimal places", "'{text}' 不是两位小数的金额"),
    # Python's csv module on a grants.csv line.
    ("field larger than field limit ({n})", "单元格超过长度上限（{n} 个字符）"),
    ("line contains NUL", "这一行含有 NUL 字符"),
    ("policy '{id}' is not in the policy set", "政策 '{id}' 不在政策集中"),
    (
        "period '{period}' is not {id}'s period on {date} ('{want}'): grants.csv and the policy "
        "set disagree",
        "期间 '{period}' 不是 {id} 在 {date} 的期间（'{want}'）：grants.csv 与政策集不一致",
    ),
    # Lines of a refused commit (PM721–PM724).
    ("... and {n} more", "……另有 {n} 条"),
    ("{id}: missing from the manifest", "{id}：manifest 中没有"),
    (
        "{id}: {key} is {a} in the manifest, {b} in the policy set",
        "{id}：{key} 在 manifest 中是 {a}，在政策集中是 {b}",
    ),
    ("{id}: not a policy of the set", "{id}：不是政策集中的政策"),
    ("{where}: no policy '{id}' in the policy set", "{where}：政策集中没有政策 '{id}'"),
    ("{where}: the policy is not in force on {date}", "{where}：政策在 {date} 不在有效期内"),
    ("{where}: a {mode} policy is not paid in a round", "{where}：{mode} 方式的政策不在轮次中兑现"),
    ("{where}: amount {amount} is not above zero", "{where}：金额 {amount} 不大于零"),
    (
        "{where}: amount {amount} is above the demand {demand}",
        "{where}：金额 {amount} 超过应兑现金额 {demand}",
    ),
    (
        "{where}: demand {demand} is above the most the policy gives {most}",
        "{where}：应兑现金额 {demand} 超过政策最多给的 {most}",
    ),
    (
        "{where}: demand {demand}, but on the registry the policy gives the enterprise nothing",
        "{where}：应兑现金额 {demand}，但按登记表这项政策不给这户企业兑现",
    ),
    (
        "{where}: demand {demand}, but on the registry the policy gives it {due}",
        "{where}：应兑现金额 {demand}，但按登记表这项政策给它 {due}",
    ),
    (
        "{where}: the enterprise is paid twice under stacking group {key} (also line {n})",
        "{where}：这户企业在叠加组 {key} 下兑现了两次（另见第 {n} 行）",
    ),
    (
        "{where}: the enterprise is paid twice under policy {id} (also line {n})",
        "{where}：这户企业按政策 {id} 兑现了两次（另见第 {n} 行）",
    ),
    # After the problems: a problem's line ends with ")" too.
    ("grants.csv line {n} ({who})", "grants.csv 第 {n} 行（{who}）"),
    ("policy {id}: {a} granted, budget {b}", "政策 {id}：兑现 {a}，预算 {b}"),
    ("fund {id}: {a} granted, budget {b}", "资金池 {id}：兑现 {a}，预算 {b}"),
    (
        "{id}: recorded as {a} (round {round}), this round says {b}",
        "{id}：台账记为 {a}（轮次 {round}），本轮为 {b}",
    ),
    (
        "{id}: paid in stacking group {a} (round {round}), this round says {b}",
        "{id}：已在叠加组 {a} 中兑现（轮次 {round}），本轮为 {b}",
    ),
    (
        "{who}: carried remainder due {due}, this round pays {pays} of {demand}",
        "{who}：结转待补 {due}，本轮从 {demand} 中支付 {pays}",
    ),
    ("no group", "无叠加组"),
    # argparse's problems with one argument, and the commands' value checks.
    ("invalid choice: {value} (choose from {choices})", "无效的取值 {value}（可选：{choices}）"),
    ("invalid {type} value: {value}", "无效的 {type} 值：{value}"),
    ("expected {n} arguments", "需要 {n} 个值"),
    ("ignored explicit argument {value}", "多余的值 {value}"),
    ("not allowed with argument {name}", "不能与参数 {name} 同时使用"),
    ("'{text}' is not a date (YYYY-MM-DD)", "'{text}' 不是日期（应写作 YYYY-MM-DD）"),
    ("'{text}' is not a share from 0 to 100%", "'{text}' 不是 0 到 100% 之间的比例"),
    ("'{text}' is not a whole number of rows >= 1", "'{text}' 不是大于等于 1 的整数行数"),
)
