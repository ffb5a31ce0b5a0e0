"""docs/deploy.md's nginx configuration parses (`nginx -t`, Debian's nginx) and keeps the
tokens in URL paths out of its access log; skipped with a message where nginx is missing."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

DEPLOY = Path(__file__).resolve().parents[2] / "docs" / "deploy.md"


def nginx_block() -> str:
    blocks = re.findall(r"```nginx\n(.*?)```", DEPLOY.read_text(encoding="utf-8"), re.S)
    assert len(blocks) == 1, "docs/deploy.md has one nginx configuration"
    return str(blocks[0])


def test_the_access_log_never_records_the_request_uri() -> None:
    block = nginx_block()
    log_format = block[block.index("log_format") : block.index(";", block.index("log_format"))]
    assert "$request_uri" not in log_format and "$request " not in log_format
    assert "$args" not in log_format and "$query_string" not in log_format
    assert "client_max_body_size 21m;" in block  # SAFECOMM_UPLOAD_MAX_MB (20) + 1
    for header in ("X-Forwarded-For", "X-Forwarded-Proto"):
        assert f"proxy_set_header {header}" in block


def test_nginx_accepts_the_configuration(tmp_path: Path) -> None:
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(nginx).exists():
        if os.environ.get("CI") == "true":
            pytest.fail("nginx missing: .ci/run installs Debian's nginx")
        pytest.skip("nginx missing (apt-get install -y nginx): the configuration is not checked")
    key, cert = tmp_path / "site.key", tmp_path / "site.pem"
    request = ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"]
    subject = ["-subj", "/CN=safecomm.example.cn", "-keyout", str(key), "-out", str(cert)]
    subprocess.run(
        ["openssl", *request, *subject],
        check=True,
        capture_output=True,
    )
    site = nginx_block()
    site = site.replace("/etc/nginx/ssl/safecomm.example.cn.pem", str(cert))
    site = site.replace("/etc/nginx/ssl/safecomm.example.cn.key", str(key))
    site = site.replace("/var/log/nginx/", f"{tmp_path}/")
    (tmp_path / "safecomm.conf").write_text(site, encoding="utf-8")
    temp = {name: tmp_path / name for name in ("body", "proxy", "fastcgi", "uwsgi", "scgi")}
    config = tmp_path / "nginx.conf"
    config.write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\n"
        "http {\n"
        f"  client_body_temp_path {temp['body']};\n  proxy_temp_path {temp['proxy']};\n"
        f"  fastcgi_temp_path {temp['fastcgi']};\n  uwsgi_temp_path {temp['uwsgi']};\n"
        f"  scgi_temp_path {temp['scgi']};\n"
        f"  include {tmp_path}/safecomm.conf;\n}}\n",
        encoding="utf-8",
    )
    done = subprocess.run(
        [
            nginx,
            "-t",
            "-q",
            "-p",
            str(tmp_path),
            "-e",
            str(tmp_path / "error.log"),
            "-c",
            str(config),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
