"""Every generated dashboard type-checks as Grafana's own `Dashboard` type, for each supported
Grafana version: 12.4 (the oldest with schemaVersion 42 and dashboard-link placement) and 13.

No Grafana server installs here, but Grafana publishes its dashboard types as the npm package
`@grafana/schema` (one release per Grafana release). tests/grafana_schema/package.json pins
one per supported version and TypeScript; `make test` installs them with `npm ci`. Each
dashboard's JSON becomes the initialiser of a `const dashboard: Dashboard`, and `tsc --noEmit`
with excess-property checks refuses a key Grafana does not know or a value of the wrong type.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest

from dashboards.grafana import dashboards
from registry import load_registry

HERE = Path(__file__).resolve().parent / "grafana_schema"
NODE_MODULES = HERE / "node_modules"
TSC = NODE_MODULES / "typescript" / "bin" / "tsc"
VERSIONS = tuple(
    sorted(
        name
        for name in json.loads((HERE / "package.json").read_text())["devDependencies"]
        if name.startswith("grafana-")
    )
)
SCHEMA_VERSION = 42  # what the dashboards are written as (Grafana 12.2 brought it)

pytestmark = pytest.mark.skipif(
    not TSC.exists() and not os.environ.get("CI"),
    reason="run `make test` (or `npm ci --prefix tests/grafana_schema`) to install the types",
)


# The type as JSON spells it: TypeScript's enums (ThresholdsMode, MappingType, …) become the
# unions of their values ("absolute", "value"), which is what Grafana reads from a file;
# every object keeps its keys, so a key Grafana does not know is still an error.
AS_JSON = """type AsJson<T> = T extends string
  ? `${T}`
  : T extends number
    ? `${T}` extends `${infer N extends number}` ? N : never
    : T extends object
      ? { [K in keyof T]: AsJson<T[K]> }
      : T;
"""


def check(
    folder: Path, documents: dict[str, dict[str, object]]
) -> subprocess.CompletedProcess[str]:
    """tsc --noEmit over one .ts file per (dashboard, Grafana version)."""
    (folder / "node_modules").symlink_to(NODE_MODULES, target_is_directory=True)
    files = []
    for version in VERSIONS:
        for name, document in documents.items():
            path = folder / f"{name}.{version}.ts"
            path.write_text(
                f'import type {{ Dashboard }} from "{version}";\n\n{AS_JSON}\n'
                f"export const dashboard: AsJson<Dashboard> ="
                f" {json.dumps(document, ensure_ascii=False, indent=2)};\n",
                encoding="utf-8",
            )
            files.append(path.name)
    (folder / "tsconfig.json").write_text(
        json.dumps(
            {
                "compilerOptions": {
                    "strict": True,
                    "noEmit": True,
                    "module": "esnext",
                    "moduleResolution": "bundler",
                    "target": "es2022",
                    "skipLibCheck": True,
                },
                "files": files,
            }
        )
    )
    return subprocess.run(
        ["node", str(TSC), "--project", str(folder / "tsconfig.json"), "--pretty", "false"],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.mark.parametrize("registry_name", ["bac-ninh", "hue"])
def test_every_dashboard_is_a_grafana_dashboard(tmp_path: Path, registry_name: str) -> None:
    documents = {d["uid"]: d for d in dashboards(load_registry(registry_name))}
    assert len(documents) == 5
    assert {d["schemaVersion"] for d in documents.values()} == {SCHEMA_VERSION}
    result = check(tmp_path, documents)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_check_refuses_what_grafana_would_not_read(tmp_path: Path) -> None:
    """The check itself: an unknown key and a wrong type are both errors, for every version."""
    document = dashboards(load_registry("bac-ninh"))[0]
    result = check(
        tmp_path,
        {
            "unknown": {**document, "refreshEvery": "5s"},
            "mistyped": {**document, "editable": "yes"},
            "mistyped-enum": {**document, "graphTooltip": 7},
        },
    )
    assert result.returncode != 0
    errors = result.stdout.splitlines()
    for version in VERSIONS:
        assert any(
            re.match(rf"unknown\.{version}\.ts.*error TS2353: .*'\"refreshEvery\"'", e)
            for e in errors
        ), errors
        assert any(
            re.match(rf"mistyped\.{version}\.ts.*error TS2322: Type 'string' is not assignable", e)
            for e in errors
        ), errors
        assert any(
            re.match(rf"mistyped-enum\.{version}\.ts.*error TS2322: Type '7' is not assignable", e)
            for e in errors
        ), errors
