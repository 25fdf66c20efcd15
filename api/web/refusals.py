"""Refusals told in the reader's language: a domain error's rule (and field) picks a Chinese
sentence, translated through the page catalog (`locale/en.po`); the error's extras (a date, the
documents missing, the state the case is in) fill it in."""

from __future__ import annotations

from typing import Any

from litestar import Request

from api.web import i18n
from credit.kernel.errors import DomainError

# Refusals by the rule they broke, in Chinese (the English is in locale/en.po).
BY_FIELD = {
    ("grounds", "required"): "请填写异议理由：哪里有误，为什么。",
    ("statement", "required"): "请说明已如何纠正失信行为。",
    ("reason", "required"): "这一步须填写理由。",
    ("defence_considered", "required"): "信用主体提交了陈述申辩，请说明采纳情况。",
    ("corrections", "required"): "部分成立须写明更正记录的哪些内容。",
    ("entry_changes", "required"): "部分成立须写明变更名单条目的哪些内容。",
}
BY_RULE = {
    "transition": "该事项当前为「%(current)s」状态，不能办理这一步；未作任何更改。",
    "four_eyes": (
        "四眼原则：提出、受理或审查该事项的人员不能作出决定，请由另一名审核人员办理；未作任何更改。"
    ),
    "role": "您的角色不能办理这一步；未作任何更改。",
    "extension_limit": "期限已延长过，按政策不能再延长；未作任何更改。",
    "documents_missing": "尚缺材料：%(documents)s；未作任何更改。",
    "notice_period_running": "陈述申辩期至 %(day)s，期满或收到申辩后再作决定；未作任何更改。",
    "publicity_running": "公示期至 %(day)s，期满后再公布；未作任何更改。",
    "publicity_open": "公示期至 %(day)s，期满后方可发布；未作任何更改。",
    "validity_ended": "有效期已过，不能再公布；未作任何更改。",
    "objection_window": "已超出可以提出异议的期间，未予受理。",
    "one_open_objection": "该事项已有一件办理中的异议。",
    "repair_open": "该事项已有一件办理中的信用修复申请。",
    "case_closed": "该事项已办结，不能再添加文件。",
    "max_size": "文件过大：证据文件最大 %(limit)s；未保存任何内容。",
    "file_type": "只接受 PDF、PNG 或 JPEG 文件，该文件的内容不是其中之一；未保存任何内容。",
    "disguised_file": "文件名或类型与文件内容不符，已拒收；未保存任何内容。",
    "not_empty": "文件是空的；未保存任何内容。",
    "exists": "该事项不存在。",
    "schema": "填写的内容不符合要求（%(field)s）；未保存任何内容。",
    "range": "填写的数值超出允许的范围；未作任何更改。",
}
REPAIR_REFUSED = "目前不能申请信用修复，请查看下列未满足的条件；未保存任何内容。"
REPAIR_CONDITIONS = frozenset(
    {
        "not_repairable",
        "minimum_period",
        "new_negative_record",
        "repair_interval",
        "repair_limit",
        "record_status",
        "entry_status",
    }
)
NO_FILE = "请选择要上传的文件（PDF、PNG 或 JPEG）。"
FALLBACK = "操作未完成，未作任何更改：%(detail)s"
DOCUMENTS = {"commitment": "签字的信用修复承诺书", "obligations": "履行义务的证明"}
STATUSES = {
    "submitted": "已提交",
    "accepted": "已受理",
    "under_review": "审查中",
    "candidate": "候选",
    "proposed": "已提出",
    "notified": "已告知",
    "decided": "已决定",
    "approved": "已批准",
    "publicity": "公示中",
    "published": "已公布",
    "listed": "已列入",
    "computed": "已计算",
    "in_review": "审核中",
}


def _megabytes(size: object) -> str:
    return f"{int(str(size)) / (1024 * 1024):g} MiB" if str(size).isdigit() else str(size)


def explain(lang: str, refused: DomainError) -> str:
    """The refusal as a sentence in the reader's language."""
    say = lambda message: i18n.translate(lang, message)  # noqa: E731
    extra = refused.extra
    template = BY_FIELD.get((refused.field or "", refused.rule or ""))
    if template is not None:
        return say(template)
    if refused.rule in REPAIR_CONDITIONS:
        return say(REPAIR_REFUSED)
    template = BY_RULE.get(refused.rule or "")
    if template is None:
        return say(FALLBACK) % {"detail": refused.message}
    current = str(extra.get("current_status", ""))
    day = next((str(v) for k, v in extra.items() if k.endswith(("_until", "_on", "deadline"))), "")
    documents = "、".join(
        say(DOCUMENTS.get(str(code), str(code))) for code in extra.get("documents_required", [])
    )
    return say(template) % {
        "current": say(STATUSES.get(current, current)),
        "documents": documents,
        "day": day,
        "limit": _megabytes(extra.get("limit_bytes", "")),
        "field": refused.field or "",
    }


def missing_file(request: Request[Any, Any, Any]) -> str:
    return i18n.translate(i18n.chosen(request.query_params, request.cookies), NO_FILE)


def messages() -> set[str]:
    """Every Chinese message this module says (the catalog test checks their translations)."""
    return {
        *BY_FIELD.values(),
        *BY_RULE.values(),
        REPAIR_REFUSED,
        NO_FILE,
        FALLBACK,
        *DOCUMENTS.values(),
        *STATUSES.values(),
    }
