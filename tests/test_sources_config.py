"""`[[sources]]` in serve's config: each kind's keys checked, one line naming what is wrong."""

from __future__ import annotations

from pathlib import Path

import pytest

from lienthong.errors import UsageError
from lienthong.serve_config import load_config

# Messages checked word for word in English (Vietnamese: test_languages.py).
pytestmark = pytest.mark.usefixtures("english")

# The contract's example (contract 1.2, "Sources that run inside `serve`"), whole.
CONTRACT = """\
[[sources]]
name = "lgsp-wso2"          # [a-z0-9-]+, unique
kind = "wso2-log"           # WSO2 API-M analytics log (the `ingest --format wso2` lines)
path = "/var/log/wso2am/apim_metrics.log"
platform = "lgsp"           # stamped on every record this source stores

[[sources]]
name = "vdxp-ss1"
kind = "xroad-opmon"        # pulls getSecurityServerOperationalData from a security server
url = "https://ss1.example.gov.vn"
client = "VN/GOV/000-00-000001/lienthong"   # instance/memberClass/memberCode/subsystem
server = "VN/GOV/000-00-000001/ss1"         # instance/memberClass/memberCode/serverCode
interval = 300              # seconds between pulls (default 300)
platform = "vdxp"

[[sources]]
name = "inbox"
kind = "folder"             # each new file imported once, then moved to done/ (or failed/, with FILE.err beside it)
path = "/srv/lienthong/inbox"
format = "wso2"             # optional: as `ingest --format`; default from each file's name
"""


def test_the_contract_example_is_read_as_written(tmp_path: Path) -> None:
    (tmp_path / "serve.toml").write_text(CONTRACT, encoding="utf-8")
    sources = load_config(tmp_path / "serve.toml").sources
    assert [(s.name, s.kind, s.platform) for s in sources] == [
        ("lgsp-wso2", "wso2-log", "lgsp"),
        ("vdxp-ss1", "xroad-opmon", "vdxp"),
        ("inbox", "folder", None),
    ]
    assert sources[1].interval == 300 and sources[1].keep_records_for_days == 7


@pytest.mark.parametrize(
    ("text", "said"),
    [
        (
            'kind = "syslog"\nname = "x"',
            "sources: [0].kind: must be one of wso2-log, xroad-opmon, folder",
        ),
        ('kind = "folder"\nname = "x"', "sources: [0].path: Field required"),
        ('kind = "folder"\nname = "X y"\npath = "/p"', "sources: [0].name: String should match"),
        ('kind = "folder"\nname = "x"\npath = "/p"\nformat = "xml"', "unknown format 'xml'"),
        (
            'kind = "folder"\nname = "x"\npath = "/p"\nplatform = "lgsp2"',
            "[0].platform: Input should be",
        ),
        ('kind = "wso2-log"\nname = "x"\npath = "/p"\nfollow = true', "[0].follow: Extra inputs"),
        (
            'kind = "xroad-opmon"\nname = "x"\nurl = "https://ss"\nclient = "VN/GOV"\nserver = "VN/GOV/1/ss"',
            "[0].client: client must be 4 parts",
        ),
    ],
)
def test_a_wrong_source_is_one_line_naming_it(tmp_path: Path, text: str, said: str) -> None:
    (tmp_path / "serve.toml").write_text(f"[[sources]]\n{text}\n", encoding="utf-8")
    with pytest.raises(UsageError) as raised:
        load_config(tmp_path / "serve.toml")
    assert said in str(raised.value)
    assert "\n" not in str(raised.value)


def test_two_sources_of_one_name_are_refused(tmp_path: Path) -> None:
    one = '[[sources]]\nname = "x"\nkind = "folder"\npath = "/p"\n'
    (tmp_path / "serve.toml").write_text(one + one, encoding="utf-8")
    with pytest.raises(UsageError, match="source names must be unique: x"):
        load_config(tmp_path / "serve.toml")
