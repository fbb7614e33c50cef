"""The serve config file: its tables are the settings classes, every key declared once."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from api.push import PushOptions
from exporter.app import MetricsOptions, RecorderOptions, ServiceOptions
from lienthong.errors import UsageError
from lienthong.serve_config import load_config
from probes.engine import ProbeSettings, UrlRewrite
from reports.settings import ReportSettings

ROOT = Path(__file__).resolve().parent.parent


def test_no_file_gives_the_settings_classes_defaults() -> None:
    config = load_config(None)
    assert config.probes.enabled
    assert (
        ProbeSettings(**{k: v for k, v in vars(config.probes).items() if k != "enabled"})
        == ProbeSettings()
    )
    assert config.service_options() == ServiceOptions()


def test_every_key_reaches_the_settings(tmp_path: Path) -> None:
    path = tmp_path / "serve.toml"
    path.write_text(
        "[probes]\nenabled = false\nper_system = 2\ninterval = 7\n"
        '[[probes.url_rewrite]]\nfrom = "https://a.example"\nto = "http://127.0.0.1:1"\n'
        '[[probes.url_rewrite]]\nfrom = "https://b.example"\nto = "http://127.0.0.1:2"\n'
        "[recorder]\nflush_batch = 9\n[metrics]\nstatus_refresh = 3\n[push]\nburst = 4\n"
    )
    config = load_config(path)
    probes = config.probe_settings()
    assert (probes.per_system, probes.interval, probes.total) == (2, 7.0, 256)
    assert probes.rewrites == (
        UrlRewrite("https://a.example", "http://127.0.0.1:1"),
        UrlRewrite("https://b.example", "http://127.0.0.1:2"),
    )
    assert config.service_options() == ServiceOptions(
        metrics=MetricsOptions(status_refresh=3),
        recorder=RecorderOptions(flush_batch=9),
        push=PushOptions(burst=4),
        probes_enabled=False,
    )


def test_the_documented_example_is_a_valid_config(tmp_path: Path) -> None:
    """The documented file (every key with its default) parses to the defaults."""
    docs = (ROOT / "docs" / "serve.md").read_text(encoding="utf-8")
    example = re.search(r"```toml\n(.*?)```", docs, re.S)
    assert example is not None
    path = tmp_path / "serve.toml"
    path.write_text(example.group(1))
    config = load_config(path)
    assert config.service_options() == ServiceOptions()
    assert config.probes.rewrites  # the example shows one rewrite
    assert config.report == ReportSettings()  # blanks for the office to fill in


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "[probes]\nper_system = 0\n",
            "probes.per_system: Input should be greater than or equal to 1",
        ),
        ("[push]\nrate = 0\n", "push.rate: Input should be greater than 0"),
        ("[metrics]\ntotal_refresh = 1\n", "metrics.total_refresh: Unexpected keyword argument"),
        (
            '[probes.url_rewrite]\nfrom = ""\nto = "x"\n',
            "probes.url_rewrite.0.from: String should have at least 1 character",
        ),
    ],
)
@pytest.mark.usefixtures("english")  # its words checked are English ones
def test_a_bad_key_is_named(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "serve.toml"
    path.write_text(text)
    with pytest.raises(UsageError) as e:
        load_config(path)
    assert str(e.value) == f"{path}: {message}"


def test_the_production_example_is_a_valid_config() -> None:
    config = load_config(ROOT / "examples" / "lienthong.toml")
    assert config.database == "postgresql:///lienthong"
    assert config.report.document_code == "SKHCN"
    assert config.report.signer_title.splitlines() == ["KT. GIÁM ĐỐC", "PHÓ GIÁM ĐỐC"]
    assert config.exports.mail is not None and config.exports.mail.password_env
