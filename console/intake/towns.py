"""Minato City's towns (町) and the district (地区総合支所) each belongs to, for the monthly
report's 地区 table.

Source: the areas each of Minato City's five 地区総合支所 (芝・麻布・赤坂・高輪・芝浦港南) serves, as
published by 港区 (「各地区総合支所の所管区域」). Towns split between two districts by 丁目 list the
丁目 that belong to the second one. Check this table against the ward's current list when the
contract starts; an address that matches no town is kept as "outside/unknown" and marked for
the ward's check, never refused.
"""

import re
import unicodedata

from console.session.vocab import District

SHIBA, AZABU, AKASAKA = District.SHIBA, District.AZABU, District.AKASAKA
TAKANAWA, KONAN = District.TAKANAWA, District.SHIBAURA_KONAN

# town -> district, or (default district, {丁目: other district})
TOWNS: dict[str, District | tuple[District, dict[int, District]]] = {
    "新橋": SHIBA,
    "西新橋": SHIBA,
    "東新橋": SHIBA,
    "虎ノ門": SHIBA,
    "愛宕": SHIBA,
    "浜松町": SHIBA,
    "芝大門": SHIBA,
    "芝公園": SHIBA,
    "芝": (SHIBA, {}),
    "三田": (SHIBA, {4: TAKANAWA, 5: TAKANAWA}),
    "海岸": (SHIBA, {2: KONAN, 3: KONAN}),
    "麻布台": AZABU,
    "麻布狸穴町": AZABU,
    "麻布永坂町": AZABU,
    "麻布十番": AZABU,
    "六本木": AZABU,
    "西麻布": AZABU,
    "元麻布": AZABU,
    "南麻布": AZABU,
    "東麻布": AZABU,
    "赤坂": AKASAKA,
    "元赤坂": AKASAKA,
    "南青山": AKASAKA,
    "北青山": AKASAKA,
    "高輪": TAKANAWA,
    "白金": TAKANAWA,
    "白金台": TAKANAWA,
    "芝浦": KONAN,
    "港南": KONAN,
    "台場": KONAN,
}
KANJI_DIGITS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_PREFIX = re.compile(r"^(東京都)?港区")


def district_of(address: str) -> District:
    """The district of an address: OUTSIDE when it is not in Minato City, UNKNOWN when it is
    but names no town in the table (both are marked for the ward's check)."""
    text = unicodedata.normalize("NFKC", address).replace(" ", "")
    if not _PREFIX.match(text):
        return District.OUTSIDE
    rest = _PREFIX.sub("", text)
    # Longest town name first: 芝公園 before 芝, 西麻布 before 麻布…
    for town in sorted(TOWNS, key=len, reverse=True):
        if rest.startswith(town):
            found = TOWNS[town]
            if isinstance(found, District):
                return found
            default, by_chome = found
            return by_chome.get(_chome(rest[len(town) :]), default)
    return District.UNKNOWN


def _chome(rest: str) -> int | None:
    match = re.match(r"([0-9]+|[一二三四五六七八九])", rest)
    if not match:
        return None
    value = match[1]
    return int(value) if value.isascii() else KANJI_DIGITS[value]
