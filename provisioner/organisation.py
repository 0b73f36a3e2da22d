"""The office behind the site: its titles, its people and who may do which SOP step (`organisation:`).

The SOP names four actors beside the agency: the head of division (Kepala Bidang, verifies and dispositions in
step 2, approves in step 5), the head of section (Kepala Seksi, receives the disposition in step 2), the
technician (Pelaksana, steps 3, 6 and 7) and the head of office (Kepala Dinas, who enacts the SOP). A person
holds one or more of these roles.

A NIP (Nomor Induk Pegawai) has 18 digits: date of birth (YYYYMMDD), year and month of appointment (YYYYMM),
sex (1 or 2) and a serial number of three digits. Documents print it grouped, ``19671110 199703 1 008``.

Where the site lists no people, ``--by`` takes any name and documents say that roles were not checked.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictBool, model_validator

from provisioner.errors import BadInput, Refused
from provisioner.plaintext import check_plain_text
from provisioner.secrets import CredentialSource

Text = Annotated[str, AfterValidator(check_plain_text), Field(min_length=1, max_length=200)]
DEFAULT_NUMBER_FORMAT = "{seq:03d}/{code}/{site}/{year}"
_FIELDS = re.compile(r"\{(\w+)(?::[^{}]*)?\}")
NUMBER_FIELDS = ("seq", "code", "site", "month", "year")


class Role(StrEnum):
    HEAD_OF_OFFICE = "head_of_office"
    HEAD_OF_DIVISION = "head_of_division"
    SECTION_HEAD = "section_head"
    TECHNICIAN = "technician"


STEP_ROLES: Mapping[int, Role] = {
    2: Role.HEAD_OF_DIVISION,
    3: Role.TECHNICIAN,
    5: Role.HEAD_OF_DIVISION,
    6: Role.TECHNICIAN,
    7: Role.TECHNICIAN,
}
"""The role each SOP step's ``--by`` needs."""


def _valid_date(year: int, month: int, day: int) -> bool:
    try:
        date(year, month, day)
    except ValueError:
        return False
    return True


def check_nip(value: str) -> str:
    """``value`` unchanged if it is a NIP, else ValueError saying which part is wrong."""
    if not re.fullmatch(r"[0-9]{18}", value):
        raise ValueError("a NIP is 18 digits")
    born = (int(value[0:4]), int(value[4:6]), int(value[6:8]))
    if not _valid_date(*born):
        raise ValueError(f"digits 1-8 ({value[0:8]}) are not a date of birth YYYYMMDD")
    appointed_year, appointed_month = int(value[8:12]), int(value[12:14])
    if not (1 <= appointed_month <= 12 and born[0] < appointed_year <= date.today().year):
        raise ValueError(f"digits 9-14 ({value[8:14]}) are not a year and month of appointment YYYYMM "
                         "after the year of birth")
    if value[14] not in "12":
        raise ValueError(f"digit 15 ({value[14]}) is the sex: 1 or 2")
    return value


Nip = Annotated[str, AfterValidator(check_nip)]


NUMBER_WIDTH = 200
"""The longest document number the register keeps."""


def _number_format(value: str) -> str:
    """A document number format: Python format fields out of NUMBER_FIELDS, ``{seq}`` among them."""
    names = _FIELDS.findall(value)
    if unknown := sorted(set(names) - set(NUMBER_FIELDS)):
        raise ValueError(f"unknown fields {unknown}; known: {', '.join(NUMBER_FIELDS)}")
    if "seq" not in names:
        raise ValueError("must hold {seq} (the number of the document in its kind and year)")
    try:
        widest = value.format(seq=999_999, code="C" * 20, site="s" * 64, month="VIII", year=9999)
    except (ValueError, IndexError, KeyError) as exc:
        raise ValueError(f"is not a format: {exc}") from None
    if len(widest) > NUMBER_WIDTH:
        raise ValueError(f"makes numbers of up to {len(widest)} characters; at most {NUMBER_WIDTH} are kept")
    return value


NumberFormat = Annotated[str, AfterValidator(_number_format), Field(max_length=100)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _absolute(path: Path) -> Path:
    if not path.is_absolute():
        raise ValueError("must be an absolute path")
    return path


AbsolutePath = Annotated[Path, AfterValidator(_absolute)]


EnvName = Annotated[str, Field(pattern=r"^[A-Z_][A-Z0-9_]{0,63}$")]


class Token(_Model):
    """A PKCS#11 token (a BSrE-style smart card or HSM) holding each person's key and certificate, both
    labelled with the person's NIP; its user PIN is the environment variable ``pin_env`` (or the site's
    credentials file's), never the site file."""

    module: AbsolutePath
    """The token's PKCS#11 library, e.g. /usr/lib/softhsm/libsofthsm2.so."""
    label: Annotated[str, Field(min_length=1, max_length=32)]
    pin_env: EnvName = "COLO_TOKEN_PIN"


class Signing(_Model):
    """Where the people's signing keys are: ``keys``/<NIP>.p12 (PKCS#12), their password in the environment
    variable ``password_env``, or on a PKCS#11 ``token`` (one of the two); ``ca`` is the certificate (PEM)
    every signature (and time stamp) must chain to."""

    ca: AbsolutePath
    keys: AbsolutePath | None = None
    token: Token | None = None
    password_env: Annotated[str, Field(pattern=r"^[A-Z_][A-Z0-9_]{0,63}$")] = "COLO_SIGNING_PASSWORD"  # noqa: S105
    tsa: Annotated[str, Field(pattern=r"^https?://[^\s/?#]+(/[^\s]*)?$", max_length=300)] | None = None
    """An RFC 3161 time-stamping authority's URL: each signature then carries its time-stamp token (PAdES
    B-T), and `colo documents verify` requires one that chains to ``ca``."""

    @model_validator(mode="after")
    def _one_key_store(self) -> Signing:
        if (self.keys is None) == (self.token is None):
            raise ValueError("name either keys (a folder of PKCS#12 files) or token (PKCS#11), not both")
        return self


class Person(_Model):
    name: Text
    nip: Nip
    position: Text
    rank: Text
    """Pangkat and golongan, e.g. ``Pembina, IV/a``."""
    roles: tuple[Role, ...] = Field(min_length=1)

    @property
    def nip_grouped(self) -> str:
        """The NIP as documents print it: ``19671110 199703 1 008``."""
        n = self.nip
        return f"{n[0:8]} {n[8:14]} {n[14]} {n[15:18]}"


class Organisation(_Model):
    """The office's titles as its letterhead and signature blocks print them, and its people."""

    government: Text = "Pemerintah Daerah"
    office: Text = "Dinas Komunikasi dan Informatika"
    division: Text | None = None
    """The division the SOP's head of division leads, e.g. ``Bidang Persandian dan Telematika``."""
    section: Text | None = None
    """The section the disposition goes to, e.g. ``Seksi Telematika``."""
    number_format: NumberFormat = DEFAULT_NUMBER_FORMAT
    """Document numbers: ``{seq}`` in its kind and year, ``{code}`` of the kind (BAST-COLO), ``{site}``,
    ``{month}`` (Roman, as Indonesian letters number months) and ``{year}``."""
    people: tuple[Person, ...] = Field(default=(), max_length=1000)
    signing: Signing | None = None
    """With it, each document is signed (PAdES) by the person of its step, if a person of the site."""
    four_eyes: StrictBool = True
    """Whoever provisions (step 6) may not be who approved (step 5). A one-person site sets it to ``false``;
    its handover minutes and final report then say so."""

    def problems(self) -> list[str]:
        """People listed twice (by name or by NIP): ``--by`` must name one person."""
        problems = []
        for key in ("name", "nip"):
            seen: dict[str, int] = {}
            for i, person in enumerate(self.people):
                value = getattr(person, key)
                if (first := seen.setdefault(value, i)) != i:
                    problems.append(f"organisation.people[{i}].{key}: {value!r} is also people[{first}]")
        return problems

    @property
    def checks_roles(self) -> bool:
        return bool(self.people)

    def title(self, role: Role) -> str:
        """The title of a role in this office: ``Kepala Bidang Persandian dan Telematika``."""
        match role:
            case Role.HEAD_OF_OFFICE:
                return f"Kepala {self.office}"
            case Role.HEAD_OF_DIVISION:
                return f"Kepala {self.division or 'Bidang'}"
            case Role.SECTION_HEAD:
                return f"Kepala {self.section or 'Seksi'}"
            case Role.TECHNICIAN:
                return "Pelaksana"

    def person(self, by: str) -> Person | None:
        """The person named ``by`` (their name or NIP, spaces in it ignored), if the site lists one."""
        wanted = by.strip()
        digits = wanted.replace(" ", "")
        return next((p for p in self.people if p.name == wanted or p.nip == digits), None)

    def authorise(self, step: int, by: str, option: str = "--by") -> Person | None:
        """Who does ``step``: None where the site lists no people, else the person ``by`` names; BadInput
        (exit 2) if the site has no such person, Refused (exit 3) if they lack the step's role."""
        return self.require(STEP_ROLES[step], by, option, f"step {step}")

    def actor(self, step: int, by: str) -> str:
        """The name recorded for ``by`` doing ``step``: the person's name (see :meth:`authorise`), else ``by``
        as given where the site lists no people."""
        person = self.authorise(step, by)
        return person.name if person else by

    def refuse_self_approval(self, approver: str, provisioner: str) -> None:
        """Refused (exit 3) where the site checks four eyes and one person approved and provisions."""
        if self.checks_roles and self.four_eyes and approver == provisioner:
            raise Refused(f"--by: {provisioner} approved this request (step 5), so may not provision it "
                          "(step 6): another technician must (organisation.four_eyes)")

    def require(self, role: Role, by: str, option: str, what: str) -> Person | None:
        """The person ``by`` names, who must hold ``role`` for ``what`` (see :meth:`authorise`)."""
        if not self.checks_roles:
            return None
        person = self.person(by)
        if person is None:
            raise BadInput(f"{option}: {by!r} is not a person of the site (organisation.people: "
                           "give a name or NIP listed there)")
        if role not in person.roles:
            held = ", ".join(person.roles)
            raise Refused(f"{option}: {person.name} may not do {what}: it needs the role {role}, "
                          f"and they hold {held}")
        return person


@dataclass(frozen=True)
class Signatory:
    """A signature block: the title above, the name, and (for a person of the site) rank and NIP."""

    title: str
    name: str
    rank: str | None = None
    nip: str | None = None


def signatory(organisation: Organisation, title: str, name: str) -> Signatory:
    """The block for ``name`` under ``title``: with rank and NIP where ``name`` is a person of the site."""
    person = organisation.person(name)
    if person is None:
        return Signatory(title, name)
    return Signatory(title, person.name, person.rank, person.nip_grouped)


@dataclass(frozen=True)
class Letterhead(Mapping[str, str]):
    """What documents show of the site and its office. Also read as the mapping of the site's code, name and
    domain, as steps read a letterhead."""

    code: str
    name: str
    domain: str
    organisation: Organisation
    secrets: CredentialSource = field(default_factory=CredentialSource)
    """Where the signers' passwords and PINs come from."""

    def _texts(self) -> dict[str, str]:
        return {"code": self.code, "name": self.name, "domain": self.domain}

    def __getitem__(self, key: str) -> str:
        return self._texts()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._texts())

    def __len__(self) -> int:
        return len(self._texts())
