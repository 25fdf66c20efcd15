"""The closed sets a policy pack draws from; other modules use the same names."""

from __future__ import annotations

from enum import StrEnum


class PackKind(StrEnum):
    """What a pack governs: the national rules (with the catalog) or a provincial evaluation."""

    NATIONAL = "national"
    EVALUATION_PROFILE = "evaluation_profile"


class Category(StrEnum):
    """Categories of credit information (DESIGN 3.1)."""

    ENFORCEMENT = "enforcement"  # 行政处罚
    AGREEMENT = "agreement"  # 协议处理
    MONITORING = "monitoring"  # 智能监控, a confirmed violation
    INSPECTION = "inspection"  # 飞行检查 / 专项检查
    REPORT = "report"  # 举报查实
    CRIMINAL = "criminal"  # 移送司法 / 判决
    POSITIVE = "positive"  # 表彰, 履约, 培训, 主动退回
    COMMITMENT = "commitment"  # 信用承诺书


# Positive and commitment information is not dishonesty: it has no severity tier and no repair.
FAVOURABLE_CATEGORIES = frozenset({Category.POSITIVE, Category.COMMITMENT})


class Severity(StrEnum):
    """The national three tiers of dishonesty information: 轻微 / 一般 / 严重."""

    MINOR = "minor"
    GENERAL = "general"
    SERIOUS = "serious"


class EarliestRepair(StrEnum):
    """When a record may be repaired at the earliest."""

    OBLIGATIONS_FULFILLED = "obligations_fulfilled"  # once fines are paid and funds returned
    AFTER_MINIMUM = "after_minimum"  # once the minimum publication period has passed


class ResponsibilityTier(StrEnum):
    """A responsible person's tier for personnel points: 一般 / 重要 / 主要 责任."""

    GENERAL = "general"
    IMPORTANT = "important"
    PRINCIPAL = "principal"


class ListName(StrEnum):
    BLACK = "black"  # 严重失信主体名单
    FOCUS = "focus"  # 重点关注名单
    RED = "red"  # 守信激励名单


class MeasureType(StrEnum):
    INCENTIVE = "incentive"
    DISCIPLINE = "discipline"


class Condition(StrEnum):
    """When a statutory consequence applies."""

    ALWAYS = "always"
    IF_UNCORRECTED = "if_uncorrected"  # 拒不改正 or serious consequences


class SuspensionScope(StrEnum):
    DEPARTMENT = "department"  # 相关责任部门涉及基金使用的医药服务
    DIRECT_SETTLEMENT = "direct_settlement"  # 参保人医疗费用联网结算
    PAYMENT_QUALIFICATION = "payment_qualification"  # 相关人员医保支付资格


class QualificationState(StrEnum):
    """A person's payment-qualification status, as list criteria and triggers name it."""

    SUSPENDED = "suspended"
    TERMINATED = "terminated"


GRADES = ("A", "B", "C", "D", "E")
