"""The OpenAPI document (/api/openapi.json) and a reference page written from it (/api/docs),
rendered on the server: no script, nothing from elsewhere (the CSP allows neither).

Both are for whoever may use the API: a logged-in session (web.py's login wall sends others to the
login page) or a valid token (scripts fetch the document with the token they will call with)."""

from __future__ import annotations

from flask import jsonify, render_template

from . import current_api, docs_bp

METHODS = ("get", "post", "put", "patch", "delete")


@docs_bp.route("/openapi.json")
def openapi():
    return jsonify(current_api().spec.to_dict())


def _schema_name(ref: str) -> str:
    return ref.rsplit("/", 1)[-1]


def _type_of(schema: dict) -> str:
    """A schema's type in a few words: `string (date)`, `list of Event`, `integer or null`."""
    if "$ref" in schema:
        return _schema_name(schema["$ref"])
    if "allOf" in schema and len(schema["allOf"]) == 1:
        return _type_of(schema["allOf"][0])
    kinds = schema.get("type", "any")
    kinds = kinds if isinstance(kinds, list) else [kinds]
    words = []
    for kind in kinds:
        if kind == "array":
            words.append("list of " + _type_of(schema.get("items", {})))
        elif kind == "string" and "format" in schema:
            words.append(f"string ({schema['format']})")
        else:
            words.append(kind)
    if "enum" in schema:
        words.append("one of " + ", ".join(str(v) for v in schema["enum"] if v is not None))
    return " or ".join(words)


def _fields(schema: dict, components: dict) -> list[dict]:
    if "$ref" in schema:
        schema = components.get(_schema_name(schema["$ref"]), {})
    required = set(schema.get("required", []))
    return [
        {
            "name": name,
            "type": _type_of(prop),
            "required": name in required,
            "description": prop.get("description", ""),
            "bounds": ", ".join(
                f"{word} {prop[key]}"
                for key, word in (("minimum", "min"), ("maximum", "max"), ("maxLength", "max length"))
                if key in prop
            ),
        }
        for name, prop in schema.get("properties", {}).items()
    ]


def _resolved(response: dict, responses: dict) -> dict:
    """A response, or the shared one its $ref names (the default error)."""
    return responses.get(_schema_name(response["$ref"]), {}) if "$ref" in response else response


def _response_order(item: tuple[str, dict]) -> tuple[int, str]:
    code = item[0]
    return (1, code) if code == "default" else (0, code)


def reference_pages(spec: dict) -> dict:
    """The document as the template shows it: operations in order, schemas as field tables."""
    components = spec.get("components", {}).get("schemas", {})
    responses = spec.get("components", {}).get("responses", {})
    operations = []
    for path, item in spec.get("paths", {}).items():
        for method in METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            body = operation.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
            operations.append(
                {
                    "id": f"{method}-{path}".replace("/", "-").replace("{", "").replace("}", ""),
                    "method": method.upper(),
                    "path": path,
                    "summary": operation.get("summary", ""),
                    "description": operation.get("description", ""),
                    "parameters": [
                        {
                            "name": p["name"],
                            "in": p["in"],
                            "required": p.get("required", False),
                            "type": _type_of(p.get("schema", {})),
                            "description": p.get("description", ""),
                        }
                        for p in operation.get("parameters", []) + item.get("parameters", [])
                    ],
                    "body": _type_of(body) if body else None,
                    "responses": [
                        {
                            "code": code,
                            "description": response.get("description", ""),
                            "schema": _type_of(content["schema"]) if content.get("schema") else "",
                        }
                        for code, response in sorted(operation.get("responses", {}).items(), key=_response_order)
                        for response in [_resolved(response, responses)]
                        for content in [response.get("content", {}).get("application/json", {})]
                    ],
                }
            )
    schemas = [{"name": name, "fields": _fields(schema, components)} for name, schema in components.items()]
    return {"info": spec.get("info", {}), "operations": operations, "schemas": schemas}


@docs_bp.route("/docs")
def reference():
    spec = current_api().spec.to_dict()
    return render_template("api/reference.html", openapi_version=spec.get("openapi"), **reference_pages(spec))
