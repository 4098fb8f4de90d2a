"""A person's personal data, sealed into one value bound to its row, and the keyed hashes
that find the same person again (an email, or 氏名 + 生年月日) without storing either."""

import datetime as dt
import json
import unicodedata
from dataclasses import asdict, dataclass

from console.intake.models import PERSON_CONTEXT, Person
from console.store import crypto


@dataclass(frozen=True)
class PersonalData:
    name: str
    kana: str
    address: str
    birth_date: dt.date
    email: str
    phone: str = ""
    relation: str = ""  # a family member's relation to the person in withdrawal

    def to_json(self) -> str:
        data = asdict(self)
        data["birth_date"] = self.birth_date.isoformat()
        return json.dumps(data, ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> "PersonalData":
        data = json.loads(text)
        data["birth_date"] = dt.date.fromisoformat(data["birth_date"])
        return cls(**data)

    def age_on(self, day: dt.date) -> int:
        born = self.birth_date
        return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def seal(uid: str, data: PersonalData) -> str:
    return crypto.keyring().encrypt(data.to_json(), context=f"{PERSON_CONTEXT}:{uid}")


def unseal(person: Person) -> PersonalData:
    """The person's data; after a disposal (crypto-shredding) every field reads 「廃棄済み」."""
    text = crypto.keyring().decrypt(person.sealed, context=f"{PERSON_CONTEXT}:{person.uid}")
    if text == crypto.SHREDDED:
        gone = crypto.SHREDDED
        return PersonalData(gone, gone, gone, dt.date.min, gone, gone, gone)
    return PersonalData.from_json(text)


def _normal(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).casefold()
    return "".join(ch for ch in text if not ch.isspace())


def email_match(email: str) -> str:
    return crypto.blind_index(_normal(email), context="person.email")


def name_birth_match(name: str, birth_date: dt.date) -> str:
    return crypto.blind_index(
        f"{_normal(name)}|{birth_date.isoformat()}", context="person.name_birth"
    )
