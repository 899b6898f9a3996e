"""Where the deployed stack answers inside the local cloud, derived from the stack's outputs."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class LocalEndpoints:
    cloud: str
    outputs: dict[str, str]

    @classmethod
    def from_outputs(cls, cloud: str, outputs: dict[str, str]) -> LocalEndpoints:
        return cls(cloud=cloud, outputs=outputs)

    def rest_url(self, path: str) -> str:
        """The REST API through the emulator's proxy: /restapis/{id}/{stage}/_user_request_/{path}."""
        api_id, stage = self.outputs["RestApiId"], self.outputs["RestApiStage"]
        return f"{self.cloud}/restapis/{api_id}/{stage}/_user_request_{path}"

    @property
    def websocket_url(self) -> str:
        ws_cloud = self.cloud.replace("http://", "ws://", 1)
        api_id, stage = self.outputs["WebSocketApiId"], self.outputs["WebSocketStage"]
        return f"{ws_cloud}/_aws/execute-api/{api_id}/{stage}"
