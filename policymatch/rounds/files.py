"""The files of a round folder: who each is for, and what it holds (the run summary and the
report list them from here)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RoundFile:
    name: str
    #: Opened by people (a workbook, the report) rather than read by other systems (CSV, JSON).
    for_people: bool
    what: str


FILES = (
    RoundFile("兑现清单.xlsx", True, "审核用工作簿：汇总和各清单，已设置好打印"),
    RoundFile("公示名单.xlsx", True, "公示用名单（银行账号、联系电话已遮挡），已设置好打印"),
    RoundFile(
        "report.html", True, "本轮报告：资金池、政策、部门、乡镇、行业、金额分布（用浏览器打开）"
    ),
    RoundFile("grants.csv", False, "兑现清单：本轮支付（银行账号完整，不得公开）"),
    RoundFile("push.csv", False, "推送清单：即申即享 / 承诺兑现，需通知的企业"),
    RoundFile("missing.csv", False, "待补充数据：缺少数据、无法判断的企业"),
    RoundFile("near_miss.csv", False, "临界企业：只差一个条件"),
    RoundFile(
        "excluded.csv", False, "未兑现：符合条件但本轮不支付（已享受、不重复享受、预算不足）"
    ),
    RoundFile("rejected.csv", False, "数据问题：未参与匹配的登记表行"),
    RoundFile(
        "held.csv", False, "待补正：缺企业名称或可用的银行账号，本轮不兑现、不公示、不占预算"
    ),
    RoundFile("summary.csv", False, "汇总：每项政策一行"),
    RoundFile("公示名单.csv", False, "公示名单（CSV）"),
    RoundFile("manifest.json", False, "本轮的输入、哈希和计数（提交台账时核对）"),
)
