"""Uploads as an attacker sends them (issue 13): a photo of 144 megapixels in 168 KB,
15 photos in one POST, a photo that says where its owner lives, PDFs that run code or
carry files, files served back to a browser. ASVS 5.0 V5.2, V5.4, V3.2.1."""

from __future__ import annotations

import io
import os
import struct
import tempfile
import zlib
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image, ImageFile
from pillow_heif.as_plugin import _LibHeifImageFile
from pypdf import PdfReader, PdfWriter
from pypdf.actions import JavaScript
from pypdf.generic import ArrayObject, DictionaryObject, NameObject, TextStringObject

from motcua.catalog.selectors import procedure_get_current
from motcua.core.downloads import private_file_response
from motcua.core.uploads import stored_files_removed_on_error
from motcua.dossiers.models import Dossier, DossierPaper, Draft
from motcua.dossiers.results import ResultFileRefused, result_file_read
from motcua.dossiers.services import (
    Applicant,
    PaperInput,
    dossier_file_online,
    dossier_receive,
)
from motcua.filing.uploads import UploadRefused, upload_error, upload_read
from motcua.payments.bills import Line
from motcua.payments.services import bill_request, payment_record_counter
from tests.officials import official_login

from .birth import BASE, child
from .conftest import english_client, jpeg_bytes

PAPER_URL = "giay_chung_sinh"
GPS = 0x8825


# --- building hostile files -----------------------------------------------------------------


def png_of(width: int, height: int, *, text: bytes = b"") -> bytes:
    """A real grey PNG (every row zeros), built row by row: 12000×12000 is ~140 KB on
    disk but 144 million pixels once decoded."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    packer = zlib.compressobj(9)
    row = bytes(width + 1)
    idat = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    extra = chunk(b"tEXt", text) if text else b""
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + extra
        + chunk(b"IDAT", idat)
        + chunk(b"IEND", b"")
    )


def pdf_of(change=None) -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(200, 200)
    if change is not None:
        change(writer)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def open_action(action: str, **entries: str):
    def change(writer: PdfWriter) -> None:
        writer.root_object[NameObject("/OpenAction")] = DictionaryObject(
            {
                NameObject("/S"): NameObject(action),
                **{NameObject(f"/{k}"): TextStringObject(v) for k, v in entries.items()},
            }
        )

    return change


def photo_with_gps() -> bytes:
    """A 60×40 JPEG taken sideways (orientation 6: turn 90° to read) at Bát Xát."""
    exif = Image.Exif()
    exif[0x0112] = 6
    exif[0x010F] = "PhoneMaker"
    gps = exif.get_ifd(GPS)
    gps.update({1: "N", 2: (22.0, 32.0, 10.0), 3: "E", 4: (103.0, 53.0, 20.0)})
    out = io.BytesIO()
    Image.new("RGB", (60, 40), "white").save(out, "JPEG", exif=exif.tobytes())
    data = out.getvalue()
    assert Image.open(io.BytesIO(data)).getexif().get_ifd(GPS)  # it really is there
    return data


def upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, "application/octet-stream")


# --- the filing page ------------------------------------------------------------------------


@pytest.fixture
def draft(client_in) -> Draft:
    assert client_in.post(BASE).status_code == 302
    found = Draft.objects.latest("pk")
    # Born at a health station: the birth certificate page is asked.
    client_in.post(f"{BASE}{found.pk}/tre/", {**child(), "action": "autosave"})
    return found


def send(client: Client, draft: Draft, files: list, **fields: str):
    return client.post(
        f"{BASE}{draft.pk}/{PAPER_URL}/", {"action": "upload", "file": files, **fields}
    )


def stored_files() -> set[str]:
    root = Path(default_storage.location)
    return {str(p) for p in root.rglob("*") if p.is_file()} if root.exists() else set()


@pytest.fixture
def upload_temp_dir(settings, tmp_path, monkeypatch) -> tuple[Path, list[str]]:
    """Every file goes through a temporary file here (no request stays in memory); the
    list records each temporary file created."""
    folder = tmp_path / "upload-tmp"
    folder.mkdir()
    settings.FILE_UPLOAD_TEMP_DIR = str(folder)
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 0
    created: list[str] = []
    real = tempfile.NamedTemporaryFile

    def recording(*args, **kwargs):
        handle = real(*args, **kwargs)
        if os.path.dirname(handle.name) == str(folder):
            created.append(handle.name)
        return handle

    monkeypatch.setattr("django.core.files.uploadedfile.tempfile.NamedTemporaryFile", recording)
    return folder, created


def test_a_photo_of_144_megapixels_is_refused_from_its_header(draft, client_in, monkeypatch):
    loads: list[object] = []

    def no_decoding(self, *args, **kwargs):
        loads.append(self)
        raise AssertionError("an image was decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", no_decoding)
    monkeypatch.setattr(Image.Image, "load", no_decoding)
    bomb = png_of(12000, 12000)
    assert len(bomb) < 200_000
    before = stored_files()
    response = send(client_in, draft, [upload("to-lam.png", bomb)])
    assert response.status_code == 400
    body = response.content.decode()
    assert "The photo “to-lam.png” is too large to open: at most 40 megapixels." in body
    assert loads == [] and stored_files() == before
    assert Draft.objects.get(pk=draft.pk).uploads == {}


def test_the_pixel_limit_is_a_setting_read_before_decoding(settings, monkeypatch):
    monkeypatch.setattr(ImageFile.ImageFile, "load", lambda self: pytest.fail("decoded"))
    settings.MOTCUA_UPLOAD_MAX_PIXELS = 1_000_000
    # Below Pillow's own bomb check, above ours: only the header was read.
    message = upload_error(upload("anh.png", png_of(1200, 1000)))
    assert message and "“anh.png” is too large to open: at most 1 megapixels" in message
    assert upload_error(upload("anh.png", png_of(1000, 1000))) is None
    heic = io.BytesIO()
    Image.new("RGB", (1200, 1000), "blue").save(heic, "HEIF")
    # pillow-heif decodes in its own load(): that one may not run either.
    monkeypatch.setattr(_LibHeifImageFile, "load", lambda self: pytest.fail("HEIC decoded"))
    assert "too large to open" in upload_error(upload("iphone.heic", heic.getvalue()))


def test_fifteen_photos_are_refused_before_any_is_written(draft, client_in, upload_temp_dir):
    folder, created = upload_temp_dir
    before = stored_files()
    photos = [upload(f"trang-{n}.jpg", jpeg_bytes()) for n in range(15)]
    response = send(client_in, draft, photos, reason="Tôi gửi bản chụp từng trang")
    assert response.status_code == 400
    assert "At most 10 files for one paper." in response.content.decode()
    # The handler wrote the ten a paper may have, never the five beyond; the view then
    # stored none of them, and the temporary files went with the request.
    assert len(created) == 10
    assert list(folder.iterdir()) == []
    assert stored_files() == before
    kept = Draft.objects.get(pk=draft.pk)
    assert kept.uploads == {}
    assert kept.answers[PAPER_URL]["reason"] == "Tôi gửi bản chụp từng trang"  # typed: kept
    assert kept.answers["tre"]["ho_ten"] == "Lò Văn An"


def test_more_files_than_a_request_may_carry_are_not_written(
    draft, client_in, upload_temp_dir, settings
):
    folder, created = upload_temp_dir
    settings.MOTCUA_UPLOAD_MAX_FILES = 3
    before = stored_files()
    response = send(client_in, draft, [upload(f"p{n}.jpg", jpeg_bytes()) for n in range(5)])
    assert response.status_code == 400
    assert "You can send at most 3 files at a time." in response.content.decode()
    assert len(created) == 3 and list(folder.iterdir()) == []
    assert stored_files() == before and Draft.objects.get(pk=draft.pk).uploads == {}


def test_a_file_too_big_is_dropped_as_it_arrives(draft, client_in, upload_temp_dir, settings):
    folder, _created = upload_temp_dir
    settings.MOTCUA_UPLOAD_MAX_FILE_MB = 1
    big = jpeg_bytes() + bytes(1024 * 1024)
    response = send(client_in, draft, [upload("to.jpg", big), upload("nho.jpg", jpeg_bytes())])
    assert response.status_code == 400
    assert "The file “to.jpg” is too big: at most 1 MB." in response.content.decode()
    assert list(folder.iterdir()) == []
    # The good one is kept: one refused file does not drop the others.
    assert [f["name"] for f in Draft.objects.get(pk=draft.pk).uploads[PAPER_URL]] == ["nho.jpg"]


class CutOff(io.BytesIO):
    """A request body whose connection drops after `at` bytes (a phone losing signal)."""

    def __init__(self, data: bytes, at: int) -> None:
        super().__init__(data)
        self.at = at

    def read(self, size: int = -1) -> bytes:
        if self.tell() >= self.at:
            raise OSError("connection reset by peer")
        return super().read(min(size, self.at - self.tell()) if size >= 0 else self.at)


def test_an_upload_cut_off_mid_file_leaves_no_temporary_file(draft, client_in, upload_temp_dir):
    folder, created = upload_temp_dir
    boundary = "xYzZY"
    photo = jpeg_bytes((1200, 900))
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="action"\r\n\r\nupload\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.jpg"\r\n'
            f"Content-Type: image/jpeg\r\n\r\n"
        ).encode()
        + photo
        + f"\r\n--{boundary}--\r\n".encode()
    )
    client_in.raise_request_exception = False
    response = client_in.post(
        f"{BASE}{draft.pk}/{PAPER_URL}/",
        data=body,
        content_type=f"multipart/form-data; boundary={boundary}",
        **{"wsgi.input": CutOff(body, at=len(body) - len(photo) // 2)},
    )
    assert response.status_code >= 400  # nobody is left to read it
    assert len(created) == 1  # half the photo had reached a temporary file …
    assert list(folder.iterdir()) == []  # … deleted with the request, not at the next GC
    assert Draft.objects.get(pk=draft.pk).uploads == {}


def test_a_paper_already_full_refuses_more_without_writing(draft, client_in):
    eight = [upload(f"{n}.jpg", jpeg_bytes()) for n in range(8)]
    assert send(client_in, draft, eight).status_code == 302
    before = stored_files()
    response = send(client_in, draft, [upload(f"x{n}.jpg", jpeg_bytes()) for n in range(3)])
    assert response.status_code == 400 and "At most 10 files" in response.content.decode()
    assert stored_files() == before
    assert len(Draft.objects.get(pk=draft.pk).uploads[PAPER_URL]) == 8


def test_a_file_name_never_chooses_where_the_file_is_stored(draft, client_in):
    root = Path(default_storage.location).resolve()
    before = stored_files()
    assert (
        send(client_in, draft, [upload("../../../../tmp/evil.jpg", jpeg_bytes())]).status_code
        == 302
    )
    (entry,) = Draft.objects.get(pk=draft.pk).uploads[PAPER_URL]
    assert entry["path"].startswith(f"filing/drafts/{draft.pk}/") and ".." not in entry["path"]
    assert "/" not in entry["name"]  # only shown, never a path
    (written,) = stored_files() - before
    assert Path(written).resolve().is_relative_to(root)


def test_a_removed_photo_leaves_the_disk(draft, client_in, django_capture_on_commit_callbacks):
    assert send(client_in, draft, [upload("a.jpg", jpeg_bytes())]).status_code == 302
    path = Draft.objects.get(pk=draft.pk).uploads[PAPER_URL][0]["path"]
    assert default_storage.exists(path)
    with django_capture_on_commit_callbacks(execute=True):
        client_in.post(f"{BASE}{draft.pk}/{PAPER_URL}/", {"action": "remove-0"})
    assert Draft.objects.get(pk=draft.pk).uploads[PAPER_URL] == []
    assert not default_storage.exists(path)


@pytest.mark.parametrize(
    "content",
    [
        b"\xff\xd8\xff\xe0" + b"not really a jpeg" * 20,  # a header that is not one
        jpeg_bytes((400, 300))[:-600],  # cut off in the middle of the pixels
        png_of(50, 50)[:-40],  # IDAT cut off
    ],
    ids=["bad-header", "truncated-jpeg", "truncated-png"],
)
def test_a_broken_photo_gets_a_message_not_an_error(draft, client_in, content):
    response = send(client_in, draft, [upload("hong.jpg", content)])
    assert response.status_code == 400
    assert "The photo “hong.jpg” cannot be opened. Take the photo again." in (
        response.content.decode()
    )


def test_a_truncated_photo_is_refused_even_once_slips_were_printed(dossier_with_paper, client_in):
    # Importing WeasyPrint switches Pillow to taking truncated images, process-wide.
    slip = client_in.get(f"/ho-so-cua-toi/{dossier_with_paper.code}/phieu/01.pdf")
    assert slip.status_code == 200
    with pytest.raises(UploadRefused, match="cannot be opened"):
        upload_read(upload("hong.jpg", jpeg_bytes((400, 300))[:-600]))


def test_photos_are_stored_without_exif_gps_or_text_and_upright(draft, client_in):
    secret = b"Comment\x00Nha o thon Lang Moi, 22.5N 103.9E"
    response = send(
        client_in,
        draft,
        [
            upload("gcs.jpg", photo_with_gps()),
            upload("chup.png", png_of(40, 30, text=secret)),
        ],
    )
    assert response.status_code == 302
    for entry in Draft.objects.get(pk=draft.pk).uploads[PAPER_URL]:
        with default_storage.open(entry["path"], "rb") as handle:
            data = handle.read()
        assert entry["kind"] == "jpeg" and data.startswith(b"\xff\xd8\xff")
        image = Image.open(io.BytesIO(data))
        assert not image.getexif() and "exif" not in image.info
        assert b"Exif" not in data and b"PhoneMaker" not in data and b"Lang Moi" not in data
        if entry["name"] == "gcs.jpg":
            assert image.size == (40, 60)  # turned as the phone said, then forgotten


# --- PDFs -----------------------------------------------------------------------------------


ACTIVE = "contains code that runs by itself or attached files"


@pytest.mark.parametrize(
    "change",
    [
        open_action("/JavaScript", JS="app.alert('xin chao')"),
        open_action("/Launch", F="cmd.exe"),
        open_action("/URI", URI="https://example.com/"),
        lambda w: w.add_open_action(JavaScript("this.print();")),  # the JavaScript name tree
        lambda w: w.add_attachment("virus.exe", b"MZ..."),  # EmbeddedFiles
        lambda w: w.root_object.__setitem__(
            NameObject("/AcroForm"),
            DictionaryObject(
                {NameObject("/XFA"): ArrayObject(), NameObject("/Fields"): ArrayObject()}
            ),
        ),
        lambda w: w.pages[0].__setitem__(
            NameObject("/AA"), DictionaryObject({NameObject("/O"): JavaScript("app.alert(1)")})
        ),
    ],
    ids=["openaction-js", "launch", "openaction-uri", "names-js", "embedded", "xfa", "page-aa"],
)
def test_a_pdf_with_active_content_is_refused(change):
    message = upload_error(upload("to-khai.pdf", pdf_of(change)))
    assert message and "The PDF “to-khai.pdf”" in message and ACTIVE in message
    assert "Print it on paper" in message


def test_a_plain_pdf_and_one_opening_at_a_page_are_taken():
    def fit_first_page(writer: PdfWriter) -> None:
        writer.root_object[NameObject("/OpenAction")] = ArrayObject(
            [writer.pages[0].indirect_reference, NameObject("/Fit")]
        )

    for content in (pdf_of(), pdf_of(fit_first_page)):
        assert upload_error(upload("ok.pdf", content)) is None
        data, kind = upload_read(upload("ok.pdf", content))
        assert (data, kind) == (content, "pdf")
        assert len(PdfReader(io.BytesIO(data)).pages) == 1


def test_passwords_and_broken_pdfs_get_a_message():
    locked = pdf_of(lambda w: w.encrypt(user_password="1234", algorithm="AES-256"))
    assert "is protected by a password" in upload_error(upload("khoa.pdf", locked))
    # A password only against printing or copying opens without one: checked as usual.
    owner_only = pdf_of(lambda w: w.encrypt(user_password="", owner_password="o"))
    assert upload_error(upload("in.pdf", owner_only)) is None
    hidden = pdf_of(
        lambda w: (w.add_attachment("a.txt", b"x"), w.encrypt(user_password="", owner_password="o"))
    )
    assert ACTIVE in upload_error(upload("an.pdf", hidden))
    for broken in (b"%PDF-1.4 ket qua", b"%PDF-1.7\n" + bytes(500), pdf_of()[:200]):
        assert "The PDF “hong.pdf” cannot be opened." in upload_error(upload("hong.pdf", broken))


def test_a_pdf_with_a_script_is_refused_on_the_filing_page_and_as_a_result(draft, client_in):
    bad = pdf_of(open_action("/JavaScript", JS="app.alert(1)"))
    response = send(client_in, draft, [upload("giay.pdf", bad)])
    assert response.status_code == 400 and ACTIVE in response.content.decode()
    assert Draft.objects.get(pk=draft.pk).uploads == {}
    with pytest.raises(ResultFileRefused, match=ACTIVE):
        result_file_read(upload("ket-qua.pdf", bad))
    assert result_file_read(upload("ket-qua.pdf", pdf_of())).startswith(b"%PDF-")


# --- files written by a request that fails --------------------------------------------------


def test_files_written_in_a_failed_block_are_deleted(citizen, agencies):
    dossier = dossier_file_online(
        procedure_version=procedure_get_current(code="1.001193"),
        applicant=Applicant(name="Lò Thị Mai", phone="0912345678"),
        receiving_agency=agencies["batxat_desk"],
        citizen=citizen,
    )
    with pytest.raises(RuntimeError), stored_files_removed_on_error():
        paper = DossierPaper.objects.create(
            dossier=dossier, name="Giấy chứng sinh", file=ContentFile(b"x", name="a.pdf")
        )
        assert default_storage.exists(paper.file.name)
        raise RuntimeError("the transaction fails after the file was written")
    assert not default_storage.exists(paper.file.name)
    with stored_files_removed_on_error():
        kept = DossierPaper.objects.create(
            dossier=dossier, name="Giấy chứng sinh", file=ContentFile(b"x", name="b.pdf")
        )
    assert default_storage.exists(kept.file.name)


# --- files served back -----------------------------------------------------------------------


@pytest.fixture
def dossier_with_paper(citizen, agencies) -> Dossier:
    return dossier_file_online(
        procedure_version=procedure_get_current(code="1.001193"),
        applicant=Applicant(name="Lò Thị Mai", phone="0912345678"),
        receiving_agency=agencies["batxat_desk"],
        papers=[
            PaperInput(name="Giấy chứng sinh", file=ContentFile(jpeg_bytes(), name="gcs.jpeg"))
        ],
        citizen=citizen,
    )


def assert_private_download(response, content_type: str) -> None:
    assert response.status_code == 200
    assert response["Content-Type"] == content_type
    assert response["Content-Disposition"].startswith("attachment; filename")
    assert "no-store" in response["Cache-Control"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "sandbox; default-src 'none'"


def test_papers_results_and_slips_are_downloads_that_cannot_run(
    dossier_with_paper, client_in, officials
):
    dossier = dossier_with_paper
    paper = dossier.papers.get()
    assert_private_download(
        client_in.get(f"/ho-so-cua-toi/{dossier.code}/giay-to/{paper.pk}/"), "image/jpeg"
    )
    assert_private_download(
        client_in.get(f"/ho-so-cua-toi/{dossier.code}/phieu/01.pdf"), "application/pdf"
    )
    office = official_login(english_client(), officials["batxat.tiepnhan"])
    assert_private_download(
        office.get(f"/mot-cua/ho-so/{dossier.code}/giay-to/{paper.pk}/"), "image/jpeg"
    )
    Dossier.objects.filter(pk=dossier.pk).update(result_file=paper.file.name)
    assert_private_download(
        office.get(f"/mot-cua/ho-so/{dossier.code}/ket-qua.pdf"), "application/pdf"
    )
    # The fee receipt names the payer: a download on both sides too.
    desk = officials["batxat.tiepnhan"]
    dossier = dossier_receive(dossier=dossier, officer=desk, expected_version=dossier.lock_version)
    bill_request(
        dossier=dossier,
        officer=desk,
        expected_version=dossier.lock_version,
        lines=[Line("Lệ phí", 8000, 1, 8000)],
    )
    payment = payment_record_counter(bill=dossier.bills.get(), officer=desk, amount_vnd=8000)
    number = f"{payment.receipt_series}-{payment.receipt_number}"
    assert_private_download(
        client_in.get(f"/ho-so-cua-toi/{dossier.code}/bien-lai/{number}.pdf"), "application/pdf"
    )
    assert_private_download(
        office.get(f"/mot-cua/ho-so/{dossier.code}/bien-lai/{number}.pdf"), "application/pdf"
    )


def test_a_file_name_cannot_break_out_of_its_header():
    response = private_file_response(
        b"%PDF-",
        filename='../../Giấy "khai"; evil=1\r\nSet-Cookie: x=1.pdf',
        content_type="application/pdf",
    )
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment; filename*=utf-8''")
    assert "\r" not in disposition and "\n" not in disposition and '"' not in disposition
    assert ";" not in disposition.split("filename*=", 1)[1] and "/" not in disposition
    assert "Gi%E1%BA%A5y" in disposition  # the Vietnamese name kept (RFC 6266)
