"""`partner-api check`: settings first, then the checks, the table, the report, the exit code."""

from __future__ import annotations

import dataclasses
import io
import json
import re
from xml.etree import ElementTree

import pytest

from partner_api_check.cli import main
from partner_api_check.keys import load_or_create, public_jwks
from partner_api_check.kit import default_audience
from tests.check import sample_server
from tests.serverproc import free_port

ISSUER = "https://marketplace.vercel.com"
SECRET = "cli-client-secret"


@pytest.fixture
def configured_once(tmp_path):
    """A server configured with a kept key file, before the kit starts (as a user would);
    not knowing the fake Vercel API's address yet, it provisions synchronously. Its webhook
    receiver is kept clean, so a run of the webhooks group passes."""
    key_file = tmp_path / "kit-key.json"
    key = load_or_create(key_file)
    behaviour = dataclasses.replace(sample_server.BROKEN, provisions_later=False,
                                    refuses_deployment_events=False)
    app = sample_server.create_app(public_jwks(key), ISSUER, default_audience(key.thumbprint()),
                                   SECRET, behaviour)
    with sample_server.serving(app) as base_url:
        yield base_url, key_file


def test_a_clean_run_exits_0_and_writes_the_report(configured_once, tmp_path, capsys):
    base_url, key_file = configured_once
    jwks_port, api_port = free_port(), free_port()
    report_path = tmp_path / "report.json"
    code = main(["check", base_url, "--only", "webhooks", "bodies",
                 "--product", sample_server.PRODUCT, "--client-secret", SECRET,
                 "--key-file", str(key_file), "--audience", "oac_cliAudience",
                 "--jwks-port", str(jwks_port), "--api-port", str(api_port),
                 "--report", str(report_path)])
    output = capsys.readouterr().out
    assert code == 0
    assert output.startswith("The server under test must use these settings:\n"
                             f"  VERCEL_JWKS_URL=http://127.0.0.1:{jwks_port}/.well-known/jwks\n"
                             f"  VERCEL_OIDC_ISSUER={ISSUER}\n"
                             "  INTEGRATION_CLIENT_ID=oac_cliAudience\n"
                             f"  VERCEL_API_URL=http://127.0.0.1:{api_port}\n")
    assert SECRET not in output
    report = json.loads(report_path.read_text())
    assert report["target"] == base_url
    assert report["settings"]["groups"] == ["bodies", "webhooks"]  # always in run order
    assert {check["group"] for check in report["checks"]} == {"bodies", "webhooks"}
    assert report["summary"]["fail"] == 0
    assert report["settings"]["client_secret"] == "given"
    assert SECRET not in report_path.read_text()


def test_a_failing_required_check_exits_1(configured_once, capsys):
    base_url, key_file = configured_once
    code = main(["check", base_url, "--only", "auth", "--product", sample_server.PRODUCT,
                 "--key-file", str(key_file)])
    output = capsys.readouterr().out
    assert code == 1
    assert re.search(r"^auth +wrong aud +required +FAIL +", output, re.M)
    assert "Failures:\n- auth / wrong aud: " in output


def test_a_warning_exits_0_unless_strict_and_goes_to_junit(configured_once, tmp_path, capsys):
    base_url, key_file = configured_once
    arguments = ["check", base_url, "--only", "lifecycle", "--product", sample_server.PRODUCT,
                 "--key-file", str(key_file)]
    assert main(arguments) == 0
    output = capsys.readouterr().out
    assert re.search(r"^lifecycle +provision resource +required +WARN +POST ", output, re.M)
    assert "Warnings:\n- lifecycle / provision resource: " in output
    assert re.search(r"^\d+ passed, 0 failed, 1 warned, \d+ skipped$", output, re.M)
    junit = tmp_path / "kit.xml"
    assert main([*arguments, "--strict", "--junit", str(junit)]) == 1
    suite = ElementTree.parse(junit).getroot()  # noqa: S314 (the file the kit just wrote)
    provision = suite.find("testcase[@name='provision resource']")
    assert provision.get("classname") == "lifecycle"
    properties = {item.get("name"): item.get("value") for item in provision.iter("property")}
    assert properties["level"] == "required"
    assert properties["outcome"] == "warn"
    assert properties["docs"].endswith("/reference/partner/provision-resource")
    assert "answered 201" in provision.find("failure").get("message")
    assert suite.get("failures") == "1"
    assert len(suite.findall("testcase")) == int(suite.get("tests"))
    assert suite.find("testcase[@name='rotate secrets']/skipped") is not None


def test_wait_for_config_waits_for_enter(configured_once, capsys, monkeypatch):
    base_url, key_file = configured_once
    monkeypatch.setattr("sys.stdin", io.StringIO("\n"))
    code = main(["check", base_url, "--only", "webhooks", "--key-file", str(key_file),
                 "--wait-for-config"])
    output = capsys.readouterr().out
    assert code == 0
    assert "then press Enter." in output
    assert re.search(r"^webhooks +signed delivery +required +SKIP +pass --client-secret",
                     output, re.M)


def test_a_server_that_never_answers_ends_the_run_with_1(capsys):
    base_url = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    assert main(["check", base_url, "--wait", "0"]) == 1
    output = capsys.readouterr().out
    assert f"Waiting up to 0 s for {base_url} to answer…\n" in output
    assert output.endswith(f"{base_url} did not answer within 0 s.\n")


@pytest.mark.parametrize("metadata", ["[1]", "{not json"])
def test_metadata_must_be_a_json_object(metadata, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["check", "http://127.0.0.1:9", "--metadata", metadata])
    assert exit_info.value.code == 2
    assert "--metadata" in capsys.readouterr().err
