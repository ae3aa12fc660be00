"""`fake-host --tls-cert --tls-key`: the whole port is TLS, as VDSM's is; both protocols inside."""

from __future__ import annotations

import shutil
import socket
import ssl
import subprocess
import sys
from pathlib import Path

import orjson
import pytest

from tests.processes import fake_host_process
from tests.unit.fakehost.stomp_client import StompRpc
from vmmonbench import protocol


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1, made now with openssl."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed: cannot make a self-signed certificate")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
            "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
            "-keyout", str(key), "-out", str(cert),
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return cert, key


def test_stomp_and_lines_over_tls(certificate: tuple[Path, Path]) -> None:
    cert, key = certificate
    args = ("--vms", "3", "--port", "0", "--tls-cert", str(cert), "--tls-key", str(key))
    with fake_host_process(*args) as (_process, ready):
        port = int(ready["ports"][0])
        client = StompRpc(port, "vdsm", ssl_ca=str(cert))
        try:
            assert client.call("Host.ping2") is True
            assert client.call("Sim.info")["tls"] is True
        finally:
            client.close()
        context = ssl.create_default_context(cafile=str(cert))
        with (
            socket.create_connection(("127.0.0.1", port), timeout=10) as raw,
            context.wrap_socket(raw, server_hostname="127.0.0.1") as tls,
        ):
            tls.sendall(protocol.request(1, "Host.getVMList"))
            reply = orjson.loads(tls.makefile("rb").readline())
        assert len(reply["result"]) == 3
        with socket.create_connection(("127.0.0.1", port), timeout=10) as plain:
            plain.sendall(protocol.request(1, "Host.ping"))
            answer = plain.recv(1024)  # the handshake fails: a TLS alert or a close, no reply
        assert not answer.startswith(b"{")


def test_unusable_tls_files_are_one_line_and_exit_2(tmp_path: Path) -> None:
    missing = tmp_path / "none.pem"
    for args in (
        ["--tls-cert", str(missing), "--tls-key", str(missing)],
        ["--tls-cert", str(missing)],
    ):
        done = subprocess.run(
            [sys.executable, "-m", "vmmonbench", "fake-host", "--vms", "1", *args],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert done.returncode == 2
        assert done.stderr.count("\n") == 1
        assert "--tls-" in done.stderr
