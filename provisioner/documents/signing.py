"""Electronic signatures on documents: PAdES baseline B (pyHanko) by a pluggable signer, and their check.

A :class:`Signer` turns a PDF's bytes into signed bytes. :class:`Pkcs12Signer` signs with a person's
PKCS#12 file, :class:`Pkcs11Signer` with their key on a PKCS#11 token; the password or PIN comes from the
environment (or the site's credentials file) only.
:func:`check_signature` reads the PDF's signatures and says whether each is intact and chains to the
site's CA.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from io import BytesIO
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from provisioner.errors import BadInput, InfrastructureError
from provisioner.organisation import Organisation, Token
from provisioner.secrets import CredentialSource

if TYPE_CHECKING:
    from pyhanko.sign import signers
    from pyhanko.sign.signers import SimpleSigner
    from pyhanko.sign.timestamps import HTTPTimeStamper
    from pyhanko.sign.validation.status import TimestampSignatureStatus


class Signer(Protocol):
    """Signs a PDF in the name of one person."""

    def sign(self, pdf: bytes, reason: str) -> bytes:
        """``pdf`` with a PAdES signature added (an incremental update: the bytes signed stay as they are)."""
        ...


@dataclass(frozen=True)
class Pkcs12Signer:
    """A signer whose key and certificate are in a PKCS#12 file; the password is the environment variable
    ``password_env`` (or that variable of the site's credentials file; unset: a file without a password)."""

    path: Path
    password_env: str = "COLO_SIGNING_PASSWORD"  # noqa: S105 (the name of a variable, not a password)
    tsa: str | None = None
    """An RFC 3161 TSA's URL: the signature then carries its time-stamp token (PAdES B-T)."""
    secrets: CredentialSource = field(default_factory=CredentialSource)
    """Where the password variable is looked up."""

    def _signer(self) -> SimpleSigner:
        from asn1crypto import keys, x509
        from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, pkcs12
        from pyhanko.sign.signers import SimpleSigner
        from pyhanko_certvalidator.registry import SimpleCertificateStore

        password = self.secrets.variable(self.password_env)
        try:
            key, cert, chain = pkcs12.load_key_and_certificates(
                self.path.read_bytes(), password.encode() if password is not None else None)
        except (OSError, ValueError) as exc:
            raise BadInput(f"{self.path}: no PKCS#12 key that ${self.password_env} opens: {exc}") from None
        if key is None or cert is None:
            raise BadInput(f"{self.path}: the PKCS#12 file holds no key with its certificate")
        der = key.private_bytes(Encoding.DER, PrivateFormat.PKCS8, NoEncryption())
        certs = [x509.Certificate.load(c.public_bytes(Encoding.DER)) for c in (cert, *chain)]
        store = SimpleCertificateStore()  # type: ignore[no-untyped-call]  # pyhanko leaves __init__ untyped
        store.register_multiple(certs)
        return SimpleSigner(certs[0], keys.PrivateKeyInfo.load(der), store)

    def sign(self, pdf: bytes, reason: str) -> bytes:
        return _sign(pdf, reason, self._signer(), self.tsa)


def _sign(pdf: bytes, reason: str, signer: signers.Signer, tsa: str | None) -> bytes:
    """``pdf`` signed by ``signer`` (PAdES, time-stamped by ``tsa`` if given) as an incremental update."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers
    from pyhanko.sign.timestamps import TimestampRequestError

    meta = signers.PdfSignatureMetadata(
        field_name="Tandatangan", reason=reason, md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES,
    )
    out = BytesIO()
    writer = IncrementalPdfFileWriter(BytesIO(pdf))
    try:
        signers.sign_pdf(writer, meta, signer=signer, timestamper=time_stamper(tsa), output=out)
    except (TimestampRequestError, OSError) as exc:
        raise InfrastructureError(f"time-stamping authority {tsa} gave no time stamp: {exc}") from exc
    return out.getvalue()


def time_stamper(url: str | None) -> HTTPTimeStamper | None:
    """pyHanko's client of the TSA at ``url`` (None: no time stamp)."""
    from pyhanko.sign.timestamps import HTTPTimeStamper

    return HTTPTimeStamper(url, timeout=15) if url else None



@dataclass(frozen=True)
class Pkcs11Signer:
    """A signer whose key and certificate are on a PKCS#11 token, both labelled ``label``; the token's PIN
    is the environment variable ``pin_env`` (or that variable of the site's credentials file)."""

    token: Token
    label: str
    tsa: str | None = None
    secrets: CredentialSource = field(default_factory=CredentialSource)
    """Where the PIN variable is looked up."""

    def sign(self, pdf: bytes, reason: str) -> bytes:
        from pkcs11 import MechanismInvalid, PKCS11Error
        from pyhanko.config.pkcs11 import TokenCriteria
        from pyhanko.sign import pkcs11
        from pyhanko.sign.general import SigningError

        pin = self.secrets.variable(self.token.pin_env)
        if pin is None:
            raise BadInput(f"token {self.token.label!r}: set ${self.token.pin_env} to its user PIN")
        try:
            session = pkcs11.open_pkcs11_session(str(self.token.module), token_criteria=TokenCriteria(
                label=self.token.label), user_pin=pin)
        except (PKCS11Error, OSError, RuntimeError) as exc:
            raise BadInput(f"token {self.token.label!r} ({self.token.module}) does not open with "
                           f"${self.token.pin_env}: {type(exc).__name__} {exc}") from None
        try:
            try:
                signer = pkcs11.PKCS11Signer(session, cert_label=self.label, key_label=self.label)
                return _sign(pdf, reason, signer, self.tsa)
            except MechanismInvalid:  # a token without ECDSA-with-SHA-256 (SoftHSM2): the digest made here
                signer = pkcs11.PKCS11Signer(session, cert_label=self.label, key_label=self.label,
                                             use_raw_mechanism=True)
                return _sign(pdf, reason, signer, self.tsa)
        except (PKCS11Error, SigningError) as exc:
            raise BadInput(f"token {self.token.label!r}: no key and certificate labelled {self.label!r} "
                           f"that sign: {type(exc).__name__} {exc}") from None
        finally:
            session.close()


def signer_for(organisation: Organisation, actor: str, secrets: CredentialSource) -> Signer | None:
    """Who signs a step's documents: the step's person, where the site signs and lists them (else none);
    the password or PIN from the site's ``secrets``."""
    person = organisation.person(actor)
    if organisation.signing is None or person is None:
        return None
    signing = organisation.signing
    if signing.token is not None:
        return Pkcs11Signer(signing.token, person.nip, signing.tsa, secrets)
    assert signing.keys is not None
    return Pkcs12Signer(signing.keys / f"{person.nip}.p12", signing.password_env, signing.tsa, secrets)


@dataclass(frozen=True)
class SignatureCheck:
    """What a PDF's signatures say: who signed, and what is wrong (nothing, if the list is empty)."""

    signers: tuple[str, ...]
    problems: tuple[str, ...]

    @property
    def valid(self) -> bool:
        return bool(self.signers) and not self.problems


def _trusted_stamp(stamp: TimestampSignatureStatus | None) -> bool:
    return stamp is not None and stamp.intact and stamp.valid and stamp.trusted


def check_signature(pdf: bytes, ca_pem: bytes, *, timestamped: bool = False) -> SignatureCheck:
    """Every signature of ``pdf``: intact, covering the whole file, by a certificate the CA in ``ca_pem``
    issued; with ``timestamped``, with a valid time-stamp token from a TSA that CA certified."""
    from asn1crypto import pem, x509
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    roots = [x509.Certificate.load(der) for _kind, _headers, der in pem.unarmor(ca_pem, multiple=True)]
    context = ValidationContext(trust_roots=roots)
    reader = PdfFileReader(BytesIO(pdf))
    names, problems = [], []
    if not reader.embedded_signatures:
        problems.append("the PDF carries no signature")
    for signature in reader.embedded_signatures:
        status = validate_pdf_signature(signature, context)
        name = status.signing_cert.subject.human_friendly
        names.append(name)
        if not status.intact or not status.valid:
            problems.append(f"the signature of {name} does not match the document's bytes")
        elif not status.trusted:
            problems.append(f"the certificate of {name} does not chain to the site's CA")
        elif status.coverage is None or status.coverage.name != "ENTIRE_FILE":
            problems.append(f"the signature of {name} does not cover the whole file (bytes added after it)")
        elif timestamped and status.timestamp_validity is None:
            problems.append(f"the signature of {name} carries no time stamp, and the site names a TSA")
        elif timestamped and not _trusted_stamp(status.timestamp_validity):
            problems.append(f"the time stamp on the signature of {name} is not valid or not from a TSA "
                            "the site's CA certified")
    return SignatureCheck(tuple(names), tuple(problems))
