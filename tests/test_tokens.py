"""`lienthong tokens issue|list|revoke`: shown once, stored only as a hash, scoped."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import text

from lienthong.cli import main
from store import open_store
from store.tokens import find_token

# Their messages checked word for word are the English ones (Vietnamese: test_languages.py).
pytestmark = pytest.mark.usefixtures("english")


def test_a_token_is_shown_once_and_stored_only_as_its_hash(
    store_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["db", "upgrade", "--db", store_url]) == 0  # tokens issue creates none
    assert main(["tokens", "issue", "--department", "so-khdt", "--db", store_url]) == 0
    token = capsys.readouterr().out.splitlines()[-1]
    assert token.startswith("lt_") and len(token) == 46
    assert main(["tokens", "issue", "--all-departments", "--label", "LGSP", "--db", store_url]) == 0
    operator = capsys.readouterr().out.splitlines()[-1]
    engine = open_store(store_url)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT prefix, sha256, department, label FROM push_tokens")).all()
    dump = repr(rows)
    assert token not in dump and token[11:] not in dump and operator[11:] not in dump
    assert [(r[0], r[2], r[3]) for r in rows] == [
        (token[:11], "so-khdt", None),
        (operator[:11], None, "LGSP"),
    ]
    found = find_token(engine, token)
    assert found is not None and found.allows("so-khdt") and not found.allows("so-tuphap")

    assert main(["tokens", "list", "--format", "json", "--db", store_url]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [(t["prefix"], t["department"], t["revoked"]) for t in listed] == [
        (token[:11], "so-khdt", None),
        (operator[:11], None, None),
    ]
    assert main(["tokens", "revoke", token[:11], "--db", store_url]) == 0
    assert "revoked token" in capsys.readouterr().out
    assert find_token(engine, token) is None
    assert main(["tokens", "revoke", token, "--db", store_url]) == 1
    err = capsys.readouterr().err
    assert "already revoked" in err and token[11:] not in err
    assert main(["tokens", "revoke", "lt_nothing1", "--db", store_url]) == 1
    assert "no token lt_nothing1" in capsys.readouterr().err
    engine.dispose()


def test_issue_refuses_an_unknown_department(
    store_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["tokens", "issue", "--department", "so-xyz", "--db", store_url]) == 1
    assert capsys.readouterr().err.strip() == (
        "lienthong: unknown department code 'so-xyz' in the registry"
    )
    with pytest.raises(SystemExit) as e:
        main(["tokens", "issue", "--db", store_url])
    assert e.value.code == 2


def test_scopes_push_by_default_explain_for_one_department_only(
    store_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    db = ("--db", store_url)
    assert main(["db", "upgrade", *db]) == 0  # tokens issue creates none
    assert main(["tokens", "issue", "--department", "so-taichinh", *db]) == 0
    pusher = capsys.readouterr().out.splitlines()[-1]
    argv = ["tokens", "issue", "--department", "so-taichinh", "--scope", "explain", *db]
    assert main(argv) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("explain token for so-taichinh")
    assert main(["tokens", "issue", "--all-departments", "--scope", "explain", *db]) == 1
    assert "an explain token is for one department" in capsys.readouterr().err
    engine = open_store(store_url)
    found, explain = find_token(engine, pusher), find_token(engine, out[-1])
    engine.dispose()
    assert found is not None and found.scope == "push"
    assert explain is not None and explain.scope == "explain"
    assert main(["tokens", "list", "--format", "json", *db]) == 0
    assert [t["scope"] for t in json.loads(capsys.readouterr().out)] == ["push", "explain"]
