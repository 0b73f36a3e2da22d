"""Every kind of document, rendered from a request taken through the lab site's steps in a real register:
it fits A4 portrait (read from the PDF's word boxes), speaks Indonesian, carries its official number in the
header and the office's people with NIP and rank, and draws the rack and the power and bandwidth bars."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from provisioner.allocate import allocate
from provisioner.documents import stage_documents, step_documents
from provisioner.documents.numbering import DOCUMENT_CODES
from provisioner.facility import Facility, load_facility
from provisioner.organisation import Letterhead
from provisioner.register.db import Register, open_register
from provisioner.request import load_request
from provisioner.steps import capacity
from provisioner.steps.submit import submit_request
from provisioner.workflow import Step, get_request, perform_step
from tests.integration.lab_site_support import PASSWORD as LAB_KEYS_PASSWORD
from tests.integration.lab_site_support import lab_site_with_keys
from tests.reliability.reliability_support import run_colo

ROOT = Path(__file__).resolve().parent.parent.parent
A4 = (595.28, 841.89)
MARGIN_PT = 28.0  # 10 mm: the page's margins are 20 mm; a word nearer the edge ran out of its box
HEAD, SECTION, TECHNICIAN = "Drs. Asep Hidayat", "Dede Kurniawan, S.Kom.", "Rina Marlina, A.Md."
ENGLISH = ("rack power budget", "used includes", "base load", "committed before", "longest free", "is full",
           "needs ", "available", "reuses", "root", "replies", "certificate", "not shown")
Rendered = tuple[Path, Letterhead, str]
"""The folder of one request's documents, its site's letterhead and its id."""
pytestmark = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) missing")
_PAGE = re.compile(r'<page width="([\d.]+)" height="([\d.]+)">')
_NUM = r'"([\d.-]+)"'
_WORD = re.compile(rf"<word xMin={_NUM} yMin={_NUM} xMax={_NUM} yMax={_NUM}>([^<]*)</word>")


def word_boxes(pdf: Path) -> list[tuple[tuple[float, float], list[tuple[float, float, float, float, str]]]]:
    """Each page's size and its words' boxes, as poppler reads them from the PDF."""
    command = ["pdftotext", "-bbox", str(pdf), "-"]
    out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    pages = []
    for chunk in out.split("<page ")[1:]:
        size = _PAGE.search("<page " + chunk)
        assert size is not None
        words = [(float(a), float(b), float(c), float(d), w) for a, b, c, d, w in _WORD.findall(chunk)]
        pages.append(((float(size[1]), float(size[2])), words))
    return pages


def outside(pdf: Path) -> list[str]:
    """Words of ``pdf`` that lie (partly) outside its A4 portrait pages' printable area."""
    found = []
    for number, ((width, height), words) in enumerate(word_boxes(pdf), 1):
        assert (round(width), round(height)) == (round(A4[0]), round(A4[1])), f"page {number} is not A4"
        found += [f"page {number}: {w!r} at x {x0:.0f}-{x1:.0f}, y {y0:.0f}-{y1:.0f}"
                  for x0, y0, x1, y1, w in words
                  if min(x0, width - x1) < MARGIN_PT or min(y0, height - y1) < MARGIN_PT / 2]
    return found


def pdf_text(pdf: Path) -> str:
    out = subprocess.run(["pdftotext", str(pdf), "-"], check=True, capture_output=True, text=True).stdout
    return " ".join(out.split())


def work_details(facility: Facility, register: Register, request_id: str) -> dict[str, Any]:
    """What step 6's stages hand the work report and the handover minutes (the plan allocated for real)."""
    plan = allocate(register, facility, request_id).model_dump(mode="json")
    units = plan["units"]
    assert isinstance(units, list)
    started = datetime(2026, 12, 2, 3, 10, tzinfo=UTC).isoformat()
    checks = [{"kind": "icmp", "target": plan["address"], "ok": True, "required": True, "status": "ok",
               "detail": "3/3 replies", "evidence": {"received": 3, "transmitted": 3}},
              {"kind": "https", "target": f"https://simpeg.lab.ciamiskab.go.id/{'panjang/' * 12}", "ok": True,
               "required": True, "status": "ok", "detail": "HTTP 200 in 12 ms, certificate trusted",
               "evidence": {"status": 200, "response_ms": 12, "trusted": True,
                            "certificate": {"issuer": "CN=Lab CA", "not_after": "2027-12-01"}}}]
    asset = {"asset_tag": "DC-LAB-2026-0001", "location": f"{plan['rack']} U{units[0]}-U{units[-1]}",
             "power_feed": plan["ups"], "switch": plan["switch"], "switch_port": plan["switch_port"],
             "vlan": plan["vlan_id"], "address": plan["address"], "os": "Debian 12", "rack": plan["rack"],
             "units": units, "site": "dc-lab", "subnet": plan["subnet"],
             "handover_number": "dari berkas lama", "handover_date": "2026-12-02"}
    return {
        "work": {
            "plan": plan, "actor": TECHNICIAN, "serial": "7XK2Q93", "asset": asset,
            "finished_at": datetime(2026, 12, 2, 3, 20, tzinfo=UTC),
            "verify": {"checks": [{"field": "serial", "requested": "7XK2Q93", "found": "7XK2Q93", "ok": True},
                                  {"field": "memory_gb", "requested": 1024, "found": 1024, "ok": True}]},
            "network": {"svi": True, "description": "simpeg REQ disdik"},
            "monitoring": {"target": f"{plan['address']}:9100", "health": "up"},
            "access_check": {"access_check": {"started": started, "passed": True, "items": checks}},
        },
        "evidence": {"started": started, "passed": True, "items": checks},
        "asset": asset,
        "decommission": {"asset_tag": asset["asset_tag"], "at": datetime(2026, 12, 3, 1, 0, tzinfo=UTC),
                         "actor": TECHNICIAN, "actions": ["Port switch dikembalikan ke VLAN staging."]},
        "plan": plan, "serial": "7XK2Q93", "staging_address": "10.231.255.10", "staging_vlan": 999,
        "actor": TECHNICIAN,
    }


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Rendered]:
    """Every kind of document of one request, taken through steps 1-5 on the lab site (signed with keys of
    the lab's CA); another request holds units first, so the rack shows held units beside this server's."""
    tmp = tmp_path_factory.mktemp("layout")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("COLO_SIGNING_PASSWORD", LAB_KEYS_PASSWORD)
        lab = load_facility(lab_site_with_keys(tmp))  # its zone not asked: no DNS server without the lab
        unasked = lab.dns.model_copy(update={"update": None})
        yield render_every_kind(tmp, lab.model_copy(update={"dns": unasked}))


def render_every_kind(tmp: Path, facility: Facility) -> Rendered:
    """The documents of the fixture above, in tmp."""
    site = facility.letterhead()
    register = open_register(f"sqlite:///{tmp / 'register.db'}")
    spec, source = load_request(ROOT / "examples" / "request-simpeg.yaml")
    documents = [spec.model_dump(mode="json") for _ in range(2)]
    documents[0]["applications"][0]["subdomain"] = "simpeg-lama"  # each request holds its own name
    ids = [submit_request(register, document, source, actor="Budi Santoso") for document in documents]
    out = tmp / "out"
    for request_id in ids:
        perform_step(register, request_id, Step.DISPOSE, HEAD, {"to": SECTION},
                     prepare=step_documents(site, out, "disposition", register=register))
        capacity.run(register, facility, request_id, by=TECHNICIAN, output_dir=out)
    request_id = ids[1]
    delivered = {"serial": "7XK2Q93", "staging_address": None}
    perform_step(register, request_id, Step.APPLY, TECHNICIAN, delivered,  # received by her: she signs it
                 prepare=step_documents(site, out, "application_form", register=register))
    perform_step(register, request_id, Step.APPROVE, HEAD, {},
                 prepare=step_documents(site, out, "approval_form", register=register))
    extra = work_details(facility, register, request_id)
    perform_step(register, request_id, Step.PROVISION, TECHNICIAN, {})
    perform_step(register, request_id, Step.REPORT, TECHNICIAN, {})
    with register.session() as session:
        record = get_request(session, request_id)
    kinds = ["work_report", "handover_minutes", "final_report", "decommission_report", "placement_sheet"]
    staged = stage_documents(record, None, site, out, [(kind, extra) for kind in kinds], register=register,
                             signed_by=TECHNICIAN)
    try:
        with register.session() as session:
            staged.record(session, get_request(session, request_id), None)
    finally:
        staged.discard()
    register.close()
    return out / request_id, site, request_id


KINDS = ["disposition", "capacity_report", "application_form", "approval_form", "work_report",
         "handover_minutes", "final_report", "decommission_report", "placement_sheet"]


@pytest.mark.parametrize("kind", KINDS)
def test_every_document_fits_a4_portrait(rendered: Rendered, kind: str) -> None:
    folder, _site, _id = rendered
    assert outside(folder / f"{kind}.pdf") == []


@pytest.mark.parametrize("kind", KINDS)
def test_every_document_is_indonesian_with_its_people(rendered: Rendered, kind: str) -> None:
    folder, site, request_id = rendered
    text = pdf_text(folder / f"{kind}.pdf")
    assert [w for w in ENGLISH if w in text] == []
    organisation = site.organisation
    assert organisation.office.upper() in text and organisation.government.upper() in text
    technician = organisation.person(TECHNICIAN)
    assert technician is not None
    if kind in ("capacity_report", "work_report", "handover_minutes", "final_report", "placement_sheet"):
        assert f"{technician.name} {technician.rank} NIP. {technician.nip_grouped}" in text
    if kind in ("disposition", "approval_form"):
        assert "Kepala Bidang Persandian dan Telematika" in text
        assert "Drs. Asep Hidayat Pembina, IV/a NIP. 19671110 199703 1 008" in text
    assert "Peran para pihak tidak diperiksa" not in text
    assert request_id in text


@pytest.mark.parametrize("kind", [k for k in KINDS if k in DOCUMENT_CODES])
def test_the_official_number_stands_in_the_header(rendered: Rendered, kind: str) -> None:
    """``{seq:03d}/{code}/{site}/{year}`` as the lab site sets it, on top of the first page, above the first
    table; the second request of the year gets number 002 of a kind both requests have."""
    folder, _site, _id = rendered
    seq = "002" if kind in ("disposition", "capacity_report") else "001"
    number = f"{seq}/{DOCUMENT_CODES[kind]}/dc-lab/2026"
    (_size, words), *_ = word_boxes(folder / f"{kind}.pdf")
    number_y = [y0 for _x0, y0, _x1, _y1, w in words if w == number]
    first_label_y = next(y0 for _x0, y0, _x1, _y1, w in words if w == "surat" and y0 > 100)
    assert number_y and min(number_y) < first_label_y, f"{number} is not above the first table of {kind}"


def test_the_capacity_report_uses_indonesian_numbers_and_remarks(rendered: Rendered) -> None:
    folder, _site, _id = rendered
    text = pdf_text(folder / "capacity_report.pdf")
    for expected in ("batas daya rak", "terpakai termasuk beban awal 2.500 W", "10.000 VA x 0,9 x 0,8",
                     "40 kVA x 1.000 x 0,8 x 0,8", "terpakai termasuk 200 Mbps yang sudah dikontrak"):
        assert expected in text


@pytest.mark.parametrize("kind", ["capacity_report", "placement_sheet", "handover_minutes"])
def test_the_rack_and_the_bars_are_drawn(rendered: Rendered, kind: str) -> None:
    """The rack elevation names this server's units and port, and every power source and the uplink have a
    bar with used, held, this request and headroom, all in the PDF (as SVG drawn by WeasyPrint)."""
    folder, _site, _id = rendered
    html = (folder / f"{kind}.html").read_text()
    assert html.count("<svg") == 2
    text = pdf_text(folder / f"{kind}.pdf")
    assert re.search(r"simpeg U\d+(-U\d+)? · sw-lab-01 GigabitEthernet1/0/2", text)
    assert "Rak R01 (42 U)" in text and "ditahan" in text and "cadangan" in text
    for source in ("Daya rak R01", "UPS UPS-A", "Genset GENSET-1", "Bandwidth uplink ISP-A"):
        assert source in text
    assert re.search(r"terpakai 2\.500, ditahan \d+, permohonan ini \d+, sisa [\d.]+ dari 7\.200 W", text)


def test_every_document_is_signed_and_verifies_and_pdfsig_agrees(rendered: Rendered, tmp_path: Path) -> None:
    """`colo documents verify` (signature to the lab CA, SHA-256 in the register) and poppler's pdfsig accept
    every kind as the register holds it; one byte changed in any of them is exit 3."""
    folder, _site, _id = rendered
    base = folder.parent.parent
    env = {"COLO_DB": f"sqlite:///{base / 'register.db'}", "COLO_SITE": str(base / "site")}
    for kind in KINDS:
        pdf = folder / f"{kind}.pdf"
        done = run_colo(["documents", "verify", str(pdf)], env)
        assert done.code == 0 and f"the register's {kind} of" in done.out, (kind, done.err)
        out = subprocess.run(["pdfsig", str(pdf)], capture_output=True, text=True, check=False).stdout
        assert "Signature is Valid" in out, (kind, out)
    changed = bytearray((folder / "placement_sheet.pdf").read_bytes())
    changed[len(changed) // 3] ^= 0x01
    (tmp_path / "placement_sheet.pdf").write_bytes(changed)
    done = run_colo(["documents", "verify", str(tmp_path / "placement_sheet.pdf")], env)
    assert done.code == 3 and "register holds no document with this SHA-256" in done.err, done.err


@pytest.mark.skipif(shutil.which("zbarimg") is None, reason="zbarimg (zbar-tools) missing")
def test_every_page_carries_the_qr_code_of_its_register_record(rendered: Rendered, tmp_path: Path) -> None:
    """zbar reads, from each page of a multi-page document as poppler draws it, the request id, the kind, the
    number and the SHA-256 of its content; an edit of the HTML the register recorded is exit 3."""
    from provisioner.documents.qr import PageCode, content_sha256

    folder, _site, request_id = rendered
    pdf, html = folder / "handover_minutes.pdf", folder / "handover_minutes.html"
    subprocess.run(["pdftoppm", "-r", "200", "-png", str(pdf), str(tmp_path / "page")], check=True)
    pages = sorted(tmp_path.glob("page*.png"))
    assert len(pages) >= 2
    texts = {subprocess.run(["zbarimg", "--raw", "-q", str(page)], capture_output=True, text=True,
                            check=True).stdout.strip() for page in pages}
    [text] = texts
    code = PageCode.parse(text)
    assert code is not None, text
    assert (code.request_id, code.kind, code.number) == (request_id, "handover_minutes",
                                                          "001/BAST-COLO/dc-lab/2026")
    original = html.read_text()
    assert content_sha256(original, code) == code.sha256
    base = folder.parent.parent
    env = {"COLO_DB": f"sqlite:///{base / 'register.db'}", "COLO_SITE": str(base / "site")}
    try:
        html.write_text(original.replace("BERITA ACARA", "BERITA ACARA PALSU", 1))
        done = run_colo(["documents", "verify", str(pdf)], env)
    finally:
        html.write_text(original)
    assert done.code == 3 and "the QR code's SHA-256" in done.err, done.err
