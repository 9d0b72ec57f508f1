"""The unified social credit code (统一社会信用代码, GB 32100-2015): 18 characters, the last a check digit."""
from __future__ import annotations

CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # no I, O, S, V, Z
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def check_character(first17: str) -> str:
    total = sum(CHARSET.index(ch) * weight for ch, weight in zip(first17, WEIGHTS))
    return CHARSET[(31 - total % 31) % 31]


def normalise(code: str) -> str:
    return (code or "").strip().upper().replace(" ", "")


def is_valid(code: str) -> bool:
    code = normalise(code)
    return (len(code) == 18 and all(ch in CHARSET for ch in code) and code[2:8].isdigit()
            and check_character(code[:17]) == code[17])


def make_uscc(n: int, region: str = "331081") -> str:
    """A valid code for demo and test data: a company (91) of a region, serial ``n``."""
    first17 = f"91{region}MA{n:07d}"
    return first17 + check_character(first17)
