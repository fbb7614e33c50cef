"""The registry: bundled data as the seeds write it, and every problem reported at its line."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from registry import Registry, RegistryError, load_files, load_registry

SEED = Path("/work/shared/seeds/004_f2253a02125087f3.txt")
# The problems are checked word for word in English; test_languages.py checks the Vietnamese.
pytestmark = pytest.mark.usefixtures("english")

BAC_NINH_PAIRS = {
    ("so-tttt", "dmdc", "maintain"),
    ("so-gtvt", "ql-phuong-tien", "maintain"),
    ("so-gtvt", "csdl-dang-kiem", "connect"),
    ("so-khdt", "csdl-dkdn", "maintain"),
    ("so-ldtbxh", "tro-giup-xa-hoi", "maintain"),
    ("so-noivu", "csdl-cbccvc", "maintain"),
    ("so-taichinh", "ma-so-ngan-sach", "maintain"),
    ("so-taichinh", "csdl-gia", "maintain"),
    ("so-tnmt", "csdl-dat-dai", "connect"),
    ("so-tnmt", "lien-thong-tnmt-thue", "connect"),
    ("so-tuphap", "csdl-vbqppl", "maintain"),
    ("so-tuphap", "ho-tich", "maintain"),
    ("so-tuphap", "ly-lich-tu-phap", "maintain"),
    ("so-tuphap", "dvc-bo-cong-an", "connect"),
    ("so-xaydung", "dvc-bo-xay-dung", "connect"),
    ("so-yte", "so-suc-khoe-dien-tu", "maintain"),
    ("ttpvhcc", "buu-dien-dvc", "maintain"),
    ("bhxh-tinh", "csdl-bao-hiem", "maintain"),
}


def test_bac_ninh_has_the_18_obligations_of_the_seed() -> None:
    r = load_registry("bac-ninh")
    seed = [o for o in r.obligations if not o.derived]
    assert {(o.department, o.system, o.kind) for o in seed} == BAC_NINH_PAIRS
    assert all(o.since == date(2024, 10, 14) for o in seed)
    # The merged departments' duties end with them (tests/test_registry_history.py).
    assert {o.until for o in seed} == {None, date(2025, 3, 1)}
    assert all(o.basis.startswith("Điều ") for o in r.obligations)
    assert r.province_on(date(2024, 10, 14)).name == "Bắc Ninh"
    assert r.standing_department_on(date(2024, 10, 14)) == "so-tttt"


@pytest.mark.skipif(not SEED.exists(), reason="the seed documents live outside the repository")
def test_bac_ninh_names_are_written_as_in_the_seed() -> None:
    seed = SEED.read_text(encoding="utf-8")
    r = load_registry("bac-ninh")
    for o in r.obligations:
        if o.derived:
            continue  # a successor after the 2025 reorganisation: not in the 2024 seed
        assert r.department(o.department).name in seed
        # System names are quoted from the seed, capitalised at the start of the name.
        name = r.system(o.system).name
        assert name in seed or name[0].lower() + name[1:] in seed, name


def test_hue_obligations_are_all_marked_derived() -> None:
    r = load_registry("hue")
    assert r.province_on(date(2024, 12, 31)).name == "Thừa Thiên Huế"
    assert len(r.obligations) == 21  # the 15 of the working group and 6 successors (2025)
    assert all(o.derived and o.basis.startswith("Suy ra") for o in r.obligations)
    names = {d.name for d in r.departments}
    assert {"Công an tỉnh", "Sở Du lịch", "UBND thành phố Huế"} <= names


def test_contacts_are_on_a_reserved_domain() -> None:
    for name in ("bac-ninh", "hue"):
        for d in load_registry(name).departments:
            assert d.contacts, d.code
            assert all(c.email and c.email.endswith(".example") for c in d.contacts)


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


HEAD = """version: 1
province: {code: "24", name: "Bắc Ninh"}
systems:
  - {code: csdl-dkdn, name: CSDL, owner: Bộ}
departments:
  - {code: so-khdt, name: Sở Kế hoạch và Đầu tư}
"""


def problems(*paths: Path) -> list[str]:
    with pytest.raises(RegistryError) as caught:
        load_files(paths)
    return [str(p) for p in caught.value.problems]


def test_unknown_key_is_reported_at_its_line(tmp_path: Path) -> None:
    f = write(
        tmp_path,
        "r.yml",
        HEAD
        + "obligations:\n  - department: so-khdt\n    system: csdl-dkdn\n    kind: maintain\n    basis: x\n    colour: red\n",
    )
    assert problems(f) == [f"{f}:12: unknown key 'colour'"]


def test_wrong_type_and_wrong_choice(tmp_path: Path) -> None:
    f = write(
        tmp_path,
        "r.yml",
        HEAD
        + "obligations:\n  - department: so-khdt\n    system: csdl-dkdn\n    kind: maintian\n    basis: x\n    target_ratio: high\n",
    )
    found = problems(f)
    assert f"{f}:10: kind: Input should be 'maintain' or 'connect', got 'maintian'" in found
    assert any(p.startswith(f"{f}:12: target_ratio:") for p in found)


def test_unknown_codes_and_duplicates(tmp_path: Path) -> None:
    f = write(
        tmp_path,
        "r.yml",
        HEAD
        + "  - {code: so-khdt, name: again}\n"
        + "obligations:\n  - {department: so-khdt, system: csdl-x, kind: maintain, basis: x}\n",
    )
    assert problems(f) == [
        f"{f}:7: duplicate department code 'so-khdt' (first at {f}:6)",
        f"{f}:9: unknown system code 'csdl-x'",
    ]


def test_since_after_until(tmp_path: Path) -> None:
    f = write(
        tmp_path,
        "r.yml",
        HEAD
        + "obligations:\n  - department: so-khdt\n    system: csdl-dkdn\n    kind: maintain\n    basis: x\n"
        + "    since: 2025-01-01\n    until: 2024-01-01\n",
    )
    assert problems(f) == [f"{f}:12: since 2025-01-01 must be before until 2024-01-01"]


def test_overlapping_obligations_of_one_pair(tmp_path: Path) -> None:
    f = write(
        tmp_path,
        "r.yml",
        HEAD
        + "obligations:\n"
        + "  - {department: so-khdt, system: csdl-dkdn, kind: connect, basis: x, until: 2025-01-01}\n"
        + "  - {department: so-khdt, system: csdl-dkdn, kind: maintain, basis: y, since: 2024-06-01}\n",
    )
    assert problems(f) == [
        f"{f}:9: a second obligation of so-khdt towards csdl-dkdn in force at the same time:"
        f" give them since/until that do not overlap (first at {f}:8)"
    ]


def test_history_with_successive_obligations_is_fine(tmp_path: Path) -> None:
    f = write(
        tmp_path,
        "r.yml",
        HEAD
        + "  - {code: so-taichinh, name: Sở Tài chính}\n"
        + "obligations:\n"
        + "  - {department: so-khdt, system: csdl-dkdn, kind: connect, basis: x, until: 2025-01-01}\n"
        + "  - {department: so-khdt, system: csdl-dkdn, kind: maintain, basis: y, since: 2025-01-01}\n",
    )
    r = load_files([f])
    assert [o.kind for o in r.obligations_for("so-khdt", "csdl-dkdn")] == ["connect", "maintain"]
    assert r.obligations_between(date(2025, 3, 1), date(2025, 3, 31))[0].kind == "maintain"


def test_merged_department_needs_until_and_a_known_successor(tmp_path: Path) -> None:
    f = write(
        tmp_path,
        "r.yml",
        HEAD.replace(
            "{code: so-khdt, name: Sở Kế hoạch và Đầu tư}",
            "{code: so-khdt, name: Sở Kế hoạch và Đầu tư, merged_into: so-tc}",
        ),
    )
    assert problems(f) == [
        f"{f}:6: unknown department code 'so-tc'",
        f"{f}:6: merged_into needs until: (the first day it no longer exists)",
    ]


def test_secrets_cannot_be_written_inline(tmp_path: Path) -> None:
    f = write(
        tmp_path,
        "r.yml",
        HEAD
        + "obligations:\n  - department: so-khdt\n    system: csdl-dkdn\n    kind: maintain\n    basis: x\n"
        + "    probe:\n      url: https://lgsp.example/x\n      auth:\n        type: bearer\n        token: s3cr3t-value\n",
    )
    found = problems(f)
    assert found == [
        f"{f}:16: unknown key 'token' (secrets are given by reference: token_env or token_file)"
    ]
    assert "s3cr3t" not in "".join(found)


def test_yaml_syntax_error_and_duplicate_key(tmp_path: Path) -> None:
    broken = write(tmp_path, "broken.yml", HEAD + "obligations: [\n")
    assert problems(broken)[0].startswith(f"{broken}:")
    twice = write(tmp_path, "twice.yml", HEAD + "timezone: UTC\ntimezone: Asia/Ho_Chi_Minh\n")
    assert problems(twice) == [f"{twice}:8: duplicate key 'timezone'"]


def test_files_merge_and_report_clashes(tmp_path: Path) -> None:
    catalogue = write(
        tmp_path,
        "a.yml",
        "version: 1\nsystems:\n  - {code: csdl-gia, name: Giá, owner: Bộ Tài chính}\n",
    )
    province = write(
        tmp_path,
        "b.yml",
        HEAD
        + "obligations:\n  - {department: so-khdt, system: csdl-gia, kind: maintain, basis: x}\n",
    )
    merged = load_files([catalogue, province])
    assert {s.code for s in merged.systems} == {"csdl-gia", "csdl-dkdn"}
    assert merged.obligations[0].system == "csdl-gia"
    # An error in the second file is reported at its own line after merging.
    bad = write(
        tmp_path,
        "c.yml",
        HEAD + "obligations:\n  - {department: so-khdt, system: nope, kind: maintain, basis: x}\n",
    )
    assert problems(catalogue, bad) == [f"{bad}:8: unknown system code 'nope'"]
    assert (
        problems(province, province)[0] == f"{province}:2: province is already set at {province}:2"
    )


def test_missing_version_and_province(tmp_path: Path) -> None:
    f = write(tmp_path, "r.yml", "systems: []\n")
    assert problems(f) == [f"{f}:1: missing 'version: 1'"]
    g = write(tmp_path, "g.yml", "version: 1\nsystems: []\n")
    assert problems(g) == [f"{g}:1: no file defines province: {{code, name}}"]


def test_unknown_registry_name() -> None:
    with pytest.raises(RegistryError, match="no such file or folder"):
        load_registry("atlantis")


def test_anchors_and_merge_keys_share_settings(tmp_path: Path) -> None:
    f = write(
        tmp_path,
        "r.yml",
        HEAD
        + "obligations:\n"
        + "  - &duty {department: so-khdt, system: csdl-dkdn, kind: maintain, basis: x, target_ratio: 0.8, until: 2025-01-01}\n"
        + "  - {<<: *duty, since: 2025-01-01, until: null, kind: connect}\n",
    )
    r = load_files([f])
    assert [(o.kind, o.target_ratio, o.until) for o in r.obligations] == [
        ("maintain", 0.8, date(2025, 1, 1)),
        ("connect", 0.8, None),
    ]


def test_an_impossible_date_is_a_line_not_a_crash(tmp_path: Path) -> None:
    f = write(
        tmp_path, "r.yml", HEAD + "obligations:\n  - {department: so-khdt, since: 2026-13-45}\n"
    )
    assert problems(f) == [f"{f}:8: cannot read '2026-13-45': month must be in 1..12"]


def test_equal_values_of_obligations_are_one_object_and_unequal_ones_stay_apart() -> None:
    # 100,000 obligations repeat a few values: one object each keeps the registry small.
    # Equal by text, not by ==: {"ok": 1} and {"ok": True} are different expectations.
    def probe(expect: dict[str, object]) -> dict[str, object]:
        return {"url": "http://127.0.0.1:1/x", "expect_json": expect}

    r = Registry.model_validate(
        {
            "province": {"code": "24", "name": "Bắc Ninh"},
            "systems": [{"code": "he-thong", "name": "Hệ thống", "owner": "Bộ"}],
            "departments": [{"code": f"so-{i}", "name": f"Sở {i}"} for i in range(3)],
            "obligations": [
                {
                    "department": f"so-{i}",
                    "system": "he-thong",
                    "kind": "maintain",
                    "basis": "Điều 6",
                    "probe": probe({"ok": expect}),
                }
                for i, expect in enumerate((1, 1, True))
            ],
        }
    )
    a, b, c = (o.probe for o in r.obligations)
    assert a is not None and b is not None and c is not None
    assert a.expect_json is b.expect_json and a.expect_json is not c.expect_json
    assert c.expect_json == {"ok": True} and repr(c.expect_json["ok"]) == "True"
    assert r.obligations[0].model_fields_set is r.obligations[1].model_fields_set


def test_a_short_name_is_optional_short_and_said_at_its_line(tmp_path: Path) -> None:
    # Every bundled national system has one, for the overview's narrow column.
    registry = load_registry("bac-ninh")
    assert all(s.short_name for s in registry.systems)
    assert registry.system("csdl-dkdn").label == "CSDL ĐKDN"
    assert load_registry("hue").system("csdl-dkdn").short_name == "CSDL ĐKDN"
    long_one = "Cơ sở dữ liệu quốc gia về Đăng ký doanh nghiệp"
    f = write(
        tmp_path,
        "r.yml",
        HEAD.replace("name: CSDL, owner", f"name: CSDL, short_name: {long_one}, owner")
        + "obligations:\n  - {department: so-khdt, system: csdl-dkdn, kind: maintain, basis: x}\n",
    )
    (found,) = problems(f)
    assert found.startswith(f"{f}:4: short_name:") and "24 characters" in found
    f.write_text(HEAD + "obligations: []\n", encoding="utf-8")
    (system,) = load_files([f]).systems
    assert system.short_name is None and system.label == "CSDL"
