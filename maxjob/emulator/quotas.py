"""The emulator's quotas: level-1 quotas holding level-2 sub-quotas, as QueryQuota and ListQuotas
show them (OPERATIONS §8), and what a caller is denied on them.

A quota spec is QueryQuota's `data` for a level-1 quota, `subQuotaInfoList` included, plus one key
of the emulator's own: `"denied": ["ListJobSnapshotInfos", "QueryQuota"]` names the operations
answered with 403 NoPermission for that quota and its sub-quotas (never shown).
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from typing import Any

from maxjob.emulator.errors import ServiceError, no_permission


class Quotas:
    """Level-1 quotas by nickname, each sub-quota's parent, and the denials."""

    def __init__(self, specs: Iterable[Mapping[str, Any]]) -> None:
        self.level1: dict[str, dict[str, Any]] = {}
        self.subs: dict[str, dict[str, Any]] = {}
        self.parent: dict[str, str] = {}
        self.denied: dict[str, frozenset[str]] = {}
        for spec in specs:
            document = {k: copy.deepcopy(v) for k, v in spec.items() if k != "denied"}
            nickname = str(document["nickName"])
            self.level1.setdefault(nickname, document)
            self.denied.setdefault(nickname, frozenset(spec.get("denied", ())))
            for sub in document.get("subQuotaInfoList", []):
                self.subs.setdefault(str(sub["nickName"]), sub)
                self.parent.setdefault(str(sub["nickName"]), nickname)

    def denies(self, action: str, nickname: str) -> bool:
        """Whether `action` on quota `nickname` (either level) is refused with NoPermission."""
        level1 = self.parent.get(nickname, nickname)
        return action in self.denied.get(level1, frozenset())

    def check(self, action: str, nickname: str) -> None:
        if self.denies(action, nickname):
            tenant = self.level1.get(self.parent.get(nickname, nickname), {}).get("tenantId", "")
            raise no_permission(action, f"acs:odps:*:{tenant}:quotas/{nickname}")

    def query(self, nickname: str) -> dict[str, Any]:
        """QueryQuota's `data`: a level-1 quota; a level-2 or unknown nickname is refused."""
        document = self.level1.get(nickname)
        if document is None:
            raise ServiceError(
                400, "QUOTA_UNKNOWN_NICKNAME", f"Cannot found quota by nickname {nickname}."
            )
        self.check("QueryQuota", nickname)
        return document

    def sub_quota(self, nickname: str) -> dict[str, Any] | None:
        return self.subs.get(nickname) or self.level1.get(nickname)

    def capacity(self, nickname: str) -> float | None:
        """A subscription quota's `maxCU` (the denominator of `cuSnapshot`); None otherwise."""
        quota = self.sub_quota(nickname)
        if quota is None:
            return None
        if quota.get("billingPolicy", {}).get("billingMethod") != "subscription":
            return None
        max_cu = quota.get("parameter", {}).get("maxCU")
        return float(max_cu) if isinstance(max_cu, int | float) and max_cu else None

    def page(
        self, marker: str, max_item: int, billing_type: str | None
    ) -> tuple[list[dict[str, Any]], str]:
        """One ListQuotas page from `marker` (an opaque position; "" is the start) and the next
        page's marker ("" after the last)."""
        quotas = [
            q
            for q in self.level1.values()
            if not billing_type
            or billing_type.upper() == "ALL"
            or str(q.get("billingPolicy", {}).get("billingMethod", "")).lower()
            == billing_type.lower()
        ]
        start = int(marker) if marker else 0
        chunk = quotas[start : start + max_item]
        following = start + max_item
        return chunk, (str(following) if following < len(quotas) else "")
