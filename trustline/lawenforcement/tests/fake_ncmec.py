"""A local stand-in for NCMEC's CyberTipline Reporting API, following its documented responses.

Basic auth (``usr123`` / ``pswd123``); ``/submit`` validates the XML against
the XSD and answers 4100 when invalid; ``/upload`` returns a file id and the
MD5; ``/finish`` a ``reportDoneResponse``; ``/retract`` 5102 after finish and
5001 for an unknown report. ``fail_on`` makes one endpoint answer 1000.
"""

from __future__ import annotations

import base64
import hashlib
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

from lxml import etree

from trustline.lawenforcement.ncmec import schema

USER, PASSWORD = "usr123", "pswd123"


@dataclass
class FakeState:
    next_id: int = 4564654
    reports: dict[str, dict[str, object]] = field(default_factory=dict)
    calls: list[str] = field(default_factory=list)
    fail_on: str = ""


def _response(code: int, description: str, report_id: str = "", **extra: str) -> bytes:
    parts = [f"<responseCode>{code}</responseCode>", f"<responseDescription>{description}</responseDescription>"]
    if report_id:
        parts.append(f"<reportId>{report_id}</reportId>")
    parts += [f"<{k}>{v}</{k}>" for k, v in extra.items()]
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?><reportResponse>' + "".join(parts)
            + "</reportResponse>").encode()


class Handler(BaseHTTPRequestHandler):
    state: FakeState

    def log_message(self, format: str, *args: object) -> None:
        return

    def _send(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _authorised(self) -> bool:
        expected = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
        if self.headers.get("Authorization") != expected:
            self._send(401, _response(2000, "Authentication required"))
            return False
        return True

    def do_GET(self) -> None:
        if self._authorised():
            self._send(200, _response(0, f"Remote User : {USER}, Remote Ip : 127.0.0.1"))

    def _form(self, body: bytes) -> dict[str, bytes]:
        ctype = self.headers.get("Content-Type", "")
        if ctype.startswith("multipart/form-data"):
            message = BytesParser(policy=HTTP).parsebytes(f"Content-Type: {ctype}\r\n\r\n".encode() + body)
            form: dict[str, bytes] = {}
            for part in message.iter_parts():
                name = part.get_param("name", header="content-disposition")
                form[str(name)] = bytes(part.get_payload(decode=True))
            return form
        return {k: v[0].encode() for k, v in parse_qs(body.decode()).items()}

    def do_POST(self) -> None:
        if not self._authorised():
            return
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        path = self.path.rstrip("/").rsplit("/", 1)[-1]
        self.state.calls.append(path)
        if self.state.fail_on == path:
            self._send(500, _response(1000, "Server error"))
            return
        if path in ("submit", "fileinfo"):
            try:
                doc = etree.fromstring(body)
            except etree.XMLSyntaxError:
                self._send(400, _response(4110, "Malformed XML submittal"))
                return
            if not schema().validate(doc):
                self._send(400, _response(4100, "Validation failed"))
                return
            if path == "submit":
                report_id = str(self.state.next_id)
                self.state.next_id += 1
                self.state.reports[report_id] = {"status": "open", "files": [], "xml": body}
                self._send(200, _response(0, "Success", report_id))
            else:
                report_id = doc.findtext("reportId") or ""
                self._send(200, _response(0, "Success", report_id))
            return
        form = self._form(body)
        report_id = form.get("id", b"").decode()
        report = self.state.reports.get(report_id)
        if report is None:
            self._send(400, _response(5001, "Report does not exist", report_id))
            return
        if path == "upload":
            content = form.get("file", b"")
            file_id = hashlib.md5(content + report_id.encode()).hexdigest()  # noqa: S324 - an id, like NCMEC's
            report["files"].append(file_id)  # type: ignore[attr-defined]  # a list
            self._send(200, _response(0, "Success", report_id, fileId=file_id,
                                      hash=hashlib.md5(content).hexdigest()))  # noqa: S324 - NCMEC returns MD5
        elif path == "finish":
            if report["status"] != "open":
                self._send(400, _response(5102 if report["status"] == "finished" else 5101, "Not open", report_id))
                return
            report["status"] = "finished"
            files = "".join(f"<fileId>{f}</fileId>" for f in report["files"])  # type: ignore[attr-defined]  # list
            self._send(200, (f'<?xml version="1.0" encoding="UTF-8"?><reportDoneResponse><responseCode>0'
                             f"</responseCode><reportId>{report_id}</reportId><files>{files}</files>"
                             "</reportDoneResponse>").encode())
        elif path == "retract":
            if report["status"] == "finished":
                self._send(400, _response(5102, "Report already finished", report_id))
            elif report["status"] == "retracted":
                self._send(400, _response(5101, "Report already retracted", report_id))
            else:
                report["status"] = "retracted"
                self._send(200, _response(0, "Success", report_id))
        else:
            self._send(404, _response(1210, "Resource not found"))


@contextmanager
def fake_ncmec() -> Iterator[tuple[str, FakeState]]:
    """Run the fake on a free local port; yields its base URL and its state."""
    state = FakeState()
    handler = type("BoundHandler", (Handler,), {"state": state})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/ispws", state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
