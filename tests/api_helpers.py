"""What the API tests share: HTTP Basic headers, and OpenAPI 3.0 schemas made checkable by jsonschema."""
from __future__ import annotations

import base64


def basic(username: str, password: str) -> dict:
    return {"Authorization": "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()}


def nullable(schema):
    """OpenAPI 3.0 `nullable` -> JSON Schema's `type: [..., "null"]`, for jsonschema."""
    if isinstance(schema, list):
        return [nullable(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out = {k: nullable(v) for k, v in schema.items() if k != "nullable"}
    if schema.get("nullable") and "type" in out:
        out["type"] = [out["type"], "null"]
    return out
