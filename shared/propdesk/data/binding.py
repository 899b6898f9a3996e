"""Binds the models to real table names and an endpoint at run time (never at import)."""

from __future__ import annotations

from dataclasses import dataclass

from pynamodb.models import Model

from propdesk.data.models import (
    AUDIT_TABLE_MODELS,
    CONNECTIONS_TABLE_MODELS,
    MAIN_TABLE_MODELS,
    REALTIME_TABLE_MODELS,
    AuditTableModel,
    ConnectionItem,
    MainTableModel,
    RealtimeTableModel,
)


@dataclass(frozen=True, slots=True)
class TableBinding:
    """Where the tables live. `endpoint_url` is None on AWS (the SDK's default resolution applies)."""

    table_name: str | None = None
    connections_table_name: str | None = None
    region: str | None = None
    endpoint_url: str | None = None
    realtime_table_name: str | None = None
    audit_table_name: str | None = None  # only the functions that append to or read the audit log


def bind_tables(binding: TableBinding) -> None:
    """Point the models at the given tables; a later call re-points them (clients are re-created)."""
    if binding.table_name:
        _bind(MainTableModel, MAIN_TABLE_MODELS, binding.table_name, binding)
    if binding.connections_table_name:
        _bind(ConnectionItem, CONNECTIONS_TABLE_MODELS, binding.connections_table_name, binding)
    if binding.realtime_table_name:
        _bind(RealtimeTableModel, REALTIME_TABLE_MODELS, binding.realtime_table_name, binding)
    if binding.audit_table_name:
        _bind(AuditTableModel, AUDIT_TABLE_MODELS, binding.audit_table_name, binding)


def _bind(base: type[Model], models: tuple[type[Model], ...], table_name: str, binding: TableBinding) -> None:
    base.Meta.table_name = table_name
    base.Meta.region = binding.region
    base.Meta.host = binding.endpoint_url
    for model in (base, *models, *_subclasses(base)):  # models defined beside their repositories too
        model._connection = None


def _subclasses(base: type[Model]) -> list[type[Model]]:
    found: list[type[Model]] = []
    for subclass in base.__subclasses__():
        found += [subclass, *_subclasses(subclass)]
    return found
