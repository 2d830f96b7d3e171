"""Print what the running app really has, as JSON: run in a project folder by the exactness test.

Tables and columns come from SQLAlchemy's metadata, routes from `app.openapi()["paths"]`
(FastAPI keeps included routers lazy in `app.routes`; the OpenAPI paths list every HTTP route).
"""

from __future__ import annotations

import importlib
import json
import sys
import warnings

warnings.simplefilter("ignore")  # duplicate operation ids of PUT+PATCH api_route handlers
sys.path.insert(0, ".")
package = sys.argv[1] if len(sys.argv) > 1 else "app"
schema_module = sys.argv[2] if len(sys.argv) > 2 else f"{package}.db.schema"
main = importlib.import_module(f"{package}.main")
models = importlib.import_module(schema_module)
metadata = models.Base.metadata

tables = {}
for name, table in sorted(metadata.tables.items()):
    tables[name] = {
        column.name: {
            "type": type(column.type).__name__,
            "length": getattr(column.type, "length", None),
            "nullable": bool(column.nullable),
            "primary_key": bool(column.primary_key),
        }
        for column in table.columns
    }
routes = []
for path, operations in sorted(main.app.openapi()["paths"].items()):
    for method, operation in sorted(operations.items()):
        body = operation.get("requestBody", {}).get("content", {})
        routes.append({"method": method.upper(), "path": path, "has_body": bool(body)})
print(json.dumps({"tables": tables, "routes": routes}))
