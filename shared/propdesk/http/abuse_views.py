"""Abuse flags as staff read them (never shown to traders)."""

from __future__ import annotations

from typing import Any

from propdesk.abuse.flags import Flag
from propdesk.abuse.review import FlagDetail as Detail
from propdesk.http.schemas import abuse as schema


def flag_summary(flag: Flag) -> schema.FlagSummary:
    return schema.FlagSummary.model_validate(_summary(flag))


def flag_detail(detail: Detail) -> schema.FlagDetail:
    flag = detail.flag
    return schema.FlagDetail.model_validate(
        {
            **_summary(flag),
            "evidence": flag.evidence.to_dict(),
            "supersedes": list(flag.supersedes),
            "detections": [
                {"detected_at": d.detected_at.isoformat(), "found_by": d.found_by, "severity": d.severity,
                 "evidence": d.evidence.to_dict()}
                for d in detail.detections
            ],
        }
    )  # fmt: skip


def _summary(flag: Flag) -> dict[str, Any]:
    return {
        "flag_id": flag.flag_id,
        "detector": flag.detector,
        "severity": flag.severity,
        "status": flag.status,
        "accounts": list(flag.accounts),
        "traders": list(flag.traders),
        "score": str(flag.score),
        "summary": flag.evidence.summary,
        "detected_at": flag.detected_at,
        "first_detected_at": flag.first_detected_at or flag.detected_at,
        "found_by": flag.found_by,
        "superseded_by": flag.superseded_by,
    }
