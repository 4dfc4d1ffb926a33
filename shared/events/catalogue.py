"""The event catalogue as Markdown, generated from the registry: ``python -m shared.events.catalogue``.

docs/EVENTS.md is this output; a test keeps it in step with the code.
"""
from __future__ import annotations

from marshmallow import fields

from shared.events import REGISTRY


def _describe(field: fields.Field) -> str:
    if isinstance(field, fields.Nested):
        schema = field.schema
        inner = ", ".join(sorted(schema.fields))
        return f"{{{inner}}}" + ("[]" if getattr(field, "many", False) else "")
    if isinstance(field, fields.List):
        return f"[{_describe(field.inner)}]"
    return type(field).__name__.lower()


def render() -> str:
    lines = ["# Event catalogue (generated)", "",
             "Every event type the code knows, its version and payload fields. Required fields are",
             "marked with `*`. The binding contract is `../shared/docs/EVENTS.md`; this list is a",
             "superset of it (fields and events added without breaking it). Regenerate with",
             "`python -m shared.events.catalogue > docs/EVENTS.md`.", ""]
    for event_type in sorted(REGISTRY):
        spec = REGISTRY[event_type]
        lines += [f"## `{event_type}` (v{spec.version}, {spec.producer})", "", spec.description, ""]
        schema = spec.schema()
        for name, field in sorted(schema.fields.items()):
            star = "*" if field.required else ""
            lines.append(f"- `{name}`{star}: {_describe(field)}")
        lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    print(render(), end="")
