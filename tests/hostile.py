"""Hostile inputs, by kind: what a careless paste, a confused browser or an attacker sends.

Our own list in the spirit of the Big List of Naughty Strings, plus what a Japanese office
types (full-width digits, kanji numerals). Used by the route walk and the fuzz tests.
"""

NUMBERS = [
    "²",  # str.isdigit() is True, int() raises
    "٣",  # Arabic-Indic three: int() accepts it
    "２０２６",  # full-width digits: int() accepts them
    "一",
    "-1",
    "0",
    "00",
    "1e3",
    " 1 ",
    "1.0",
    "0x10",
    "9223372036854775807",
    "9223372036854775808",  # 2^63: one past a BIGINT
    "99999999999999999999999999999999",
    "NaN",
    "Infinity",
]

DATES = [
    "0001-01",
    "9999-12",
    "2026-13",
    "2026-00",
    "0001-01-01",
    "9999-12-31",
    "2026-02-30",
    "2026-W50-1",
    "20261212",
    "２０２６-１２",
    "24:00",
    "99:99",
    "0001-01-01T00:00",
]

CONTROL = [
    "\x00",
    "a\x00b",
    "\x0b",
    "報告\x0bです",
    "\x1b[31m赤\x1b[0m",
    "\u202eRLO",
    "\u200b",
    "\ufeff",
    "\ufffe",
    "\udcff",
    "\U000e0001",
    "\x7f",
    "\r\n\r\n",
    "\t",
]

MARKUP = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "{{7*7}}",
    "{% raw %}",
    "${7*7}",
    "<!--",
    "]]>",
    "javascript:alert(1)",
    '<div hx-get="/logout" hx-trigger="load">',
]

INJECTION = [
    "'; DROP TABLE event;--",
    "' OR '1'='1",
    '=HYPERLINK("http://example.invalid","clickme")',
    "+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "-2+3",
    "../../../../etc/passwd",
    "%00",
    "%s%s%s%n",
    "\\",
]

TEXT = [
    "",
    " ",
    "　",  # ideographic space only
    "😀🏳️‍🌈👨‍👩‍👧",
    "Ｔｅｓｔ",
    "ｶﾀｶﾅ",
    "ア\u3099",  # decomposed: NFC makes it one character
    "𠮷野家",
    "Ω≈ç√∫",
    "null",
    "None",
    "undefined",
    "true",
    "x" * 5000,
    "あ" * 20000,
]

ALL = [*NUMBERS, *DATES, *CONTROL, *MARKUP, *INJECTION, *TEXT]

# For paths and query strings: the values a parser of numbers, ids, months and choices meets.
IN_URLS = [*NUMBERS, *DATES, "\x00", "\udcff", "\u202e", MARKUP[0], INJECTION[0], "", "%"]
