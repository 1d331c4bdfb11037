"""Indicator sets: the analyst-maintained, versioned data the matcher decides by.

An indicator set is one document (`IndicatorSetDocument`): CN code prefixes per regime,
description keywords for goods without a usable HS code, exemption rules, the version of the
project's BCP table it decides with (`bcp_table`: designations and lead-time derogations are
the table's, the same the pre-notification service validates with; docs/border-control-posts.md),
and the parameters (weights, thresholds, tolerances, lead times, feed silence). It is validated
here as a whole; `compile_set` turns it into the `IndicatorSet` the stages read.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Annotated, Literal, get_args

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from pnm.matcher.domain.goods_text import vocabulary
from pnm.shared.bcp.shipped import SHIPPED_TABLE_VERSION, bcp_table
from pnm.shared.bcp.table import Bcp, BcpTable, Designation
from pnm.shared.competence import REGIME_OF_CHED
from pnm.shared.contracts.limits import TEXT_MAX
from pnm.shared.contracts.records import (
    ChedType,
    GoodsItem,
    ManifestLine,
    Mode,
    Procedure,
    Regime,
)
from pnm.shared.identifiers import words

Digits = Annotated[str, StringConstraints(pattern=r"^[0-9]{2,10}$")]
Alpha2 = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]
IndicatorText = Annotated[str, StringConstraints(min_length=1, max_length=500)]
FeedSystem = Literal["client-import", "vgc", "traces"]


class _Strict(BaseModel):
    # Finite numbers and bounded text, as every record (docs/limits.md): an indicator set is
    # stored as JSONB, which holds neither NaN nor Infinity.
    model_config = ConfigDict(
        extra="forbid", frozen=True, allow_inf_nan=False, str_max_length=TEXT_MAX
    )


class Indicator(_Strict):
    regime: Regime
    cn_prefix: Digits
    ched_type: ChedType
    coverage: Literal["all", "partial"]  # "partial": only some goods of the heading ("ex")
    description: IndicatorText
    legal_source: IndicatorText

    @model_validator(mode="after")
    def _regime_of_ched(self) -> Indicator:
        if REGIME_OF_CHED[self.ched_type] is not self.regime:
            raise ValueError(f"{self.ched_type} is not a {self.regime} CHED type")
        return self


class Keyword(_Strict):
    """Goods whose HS code is missing or generic are selected by their description."""

    regime: Regime
    ched_type: ChedType
    phrase: IndicatorText
    # The CN headings the words stand for: what exemptions and the goods comparison use in
    # place of the missing code ("salmon" → 0302 0303 0304 0305 1604).
    cn_prefixes: tuple[Digits, ...] = ()
    legal_source: IndicatorText

    @cached_property
    def tokens(self) -> frozenset[str]:
        return frozenset(words(self.phrase).split())

    @field_validator("phrase")
    @classmethod
    def _has_words(cls, phrase: str) -> str:
        if not words(phrase):
            raise ValueError("a keyword phrase needs at least one word")
        return phrase


class Exemption(_Strict):
    """A named rule under which controlled goods need no pre-notification. Every condition it
    sets must hold for every goods item of the regime: procedure, origin, CN prefix."""

    rule: Annotated[str, StringConstraints(pattern=r"^[a-z0-9_]{3,60}$")]
    regime: Regime
    procedures: frozenset[Procedure] = frozenset()
    origins: frozenset[Alpha2] = frozenset()
    cn_prefixes: tuple[Digits, ...] = ()
    description: IndicatorText
    legal_source: IndicatorText

    @model_validator(mode="after")
    def _has_condition(self) -> Exemption:
        if not (self.procedures or self.origins or self.cn_prefixes):
            raise ValueError(f"rule {self.rule!r} has no condition: it would exempt everything")
        return self

    def covers(
        self, line: ManifestLine, goods: Sequence[GoodsItem], codes: Mapping[int, Sequence[str]]
    ) -> bool:
        """`codes`: per goods item, the CN code(s) it was selected by (its HS code, or the
        headings of the keywords its description has)."""
        if self.procedures and line.procedure not in self.procedures:
            return False
        if self.origins and not all(
            (item.country_of_origin or line.country_of_origin) in self.origins for item in goods
        ):
            return False
        return not self.cn_prefixes or all(
            codes.get(item.item) and all(c.startswith(self.cn_prefixes) for c in codes[item.item])
            for item in goods
        )


class LegacyBcp(_Strict):
    """A BCP as indicator sets listed them before the shared BCP table (docs/border-control-
    posts.md). Still read, so that the sets stored then load, and refused unless the table says
    the same: designations are changed in the table, one for every service."""

    code: Annotated[str, StringConstraints(pattern=r"^[A-Z0-9]{5,8}$")]
    name: IndicatorText
    kind: Literal["port", "airport", "road", "rail"]
    aliases: frozenset[Annotated[str, StringConstraints(pattern=r"^[A-Z0-9]{5,8}$")]] = frozenset()
    designated: dict[ChedType, Designation]
    derogation_hours: int | None = Field(default=None, ge=1, le=24)

    @property
    def codes(self) -> frozenset[str]:
        return self.aliases | {self.code}

    def differences(self, table: BcpTable) -> list[str]:
        """How this entry differs from the table's BCP of the same code (empty: it agrees)."""
        bcp = table.resolve(self.code)
        if bcp is None:
            return [f"{self.code} is not in BCP table {table.version}"]
        differ = [
            f"{self.code} {ched_type.value} {said} (table: {bcp.designation(ched_type)})"
            for ched_type, said in sorted(self.designated.items())
            if said != bcp.designation(ched_type)
        ]
        if self.derogation_hours != bcp.derogation_hours:
            differ.append(
                f"{self.code} derogation_hours {self.derogation_hours} "
                f"(table: {bcp.derogation_hours})"
            )
        return differ


class Weights(_Strict):
    """Log-likelihood weights (Fellegi-Sunter, log2 m/u) per field and comparison level."""

    reference_quoted: float = 10.0
    container_exact: float = 8.0
    container_one_edit: float = 5.0
    container_differ: float = -8.0
    document_exact: float = 7.0
    document_one_edit: float = 4.0
    document_differ: float = -8.0
    # Two valid air waybills one edit apart: the mod-7 check digit cannot see a digit mistyped
    # by 7, so neither a typo for sure nor another consignment; capped at review.
    document_check_blind: float = 0.0
    name_exact: float = 3.0
    name_fuzzy: float = 2.0
    name_differ: float = -1.0
    vessel_same: float = 1.5
    vessel_differ: float = -2.0
    cn_8: float = 3.0
    cn_6: float = 2.5
    cn_4: float = 2.0
    cn_2: float = 0.5
    cn_keyword: float = 2.0
    cn_differ: float = -4.0
    description_fuzzy: float = 1.5
    description_differ: float = -1.0
    weight_within: float = 1.5
    weight_near: float = 0.0
    weight_far_off: float = -3.0
    arrival_within: float = 1.0
    arrival_outside: float = -4.0
    bcp_same: float = 1.0
    bcp_transfer: float = 0.5
    bcp_differ: float = -2.0


class Parameters(_Strict):
    match_threshold: float = 10.0
    review_threshold: float = 4.0
    weights: Weights = Weights()
    name_exact_score: float = Field(default=97.0, ge=0, le=100)
    name_fuzzy_score: float = Field(default=85.0, ge=0, le=100)
    description_fuzzy_score: float = Field(default=80.0, ge=0, le=100)
    # Notified net mass / summed manifest gross mass.
    weight_within: tuple[float, float] = (0.6, 1.05)
    weight_far_off: tuple[float, float] = (0.3, 1.2)
    arrival_window_hours: int = Field(default=72, ge=1, le=24 * 30)
    lead_time_working_days: int = Field(default=1, ge=0, le=10)
    unnotified_grace_hours: int = Field(default=6, ge=0, le=72)
    generic_hs_codes: frozenset[Digits] = frozenset()
    feed_silence_minutes: dict[str, int] = Field(
        default_factory=lambda: {"client-import": 60, "vgc": 60, "traces": 60}
    )
    # Goods recognition from the description (docs/goods-recognition.md): the vocabulary the set
    # decides with (its version, so every decision records it); None: description keywords only.
    goods_vocabulary: Annotated[str, StringConstraints(pattern=r"^gv-[0-9a-f]{12}$")] | None = None
    # A regime whose likely headings reach this confidence is selected; one that reaches only
    # the lower bound makes the line `review` (goods_uncertain).
    goods_text_confident: float = Field(default=0.8, gt=0, le=1)
    goods_text_uncertain: float = Field(default=0.2, gt=0, le=1)

    @model_validator(mode="after")
    def _ordered(self) -> Parameters:
        if self.review_threshold > self.match_threshold:
            raise ValueError("review_threshold must not exceed match_threshold")
        low, high = self.weight_within
        far_low, far_high = self.weight_far_off
        if not 0 < far_low <= low <= high <= far_high:
            raise ValueError("weight bands must nest: 0 < far_off low <= within <= far_off high")
        if unknown := set(self.feed_silence_minutes) - set(get_args(FeedSystem)):
            raise ValueError(f"feed_silence_minutes: unknown feed(s) {sorted(unknown)}")
        if any(m < 1 for m in self.feed_silence_minutes.values()):
            raise ValueError("feed_silence_minutes must be at least 1")
        if self.goods_text_uncertain > self.goods_text_confident:
            raise ValueError("goods_text_uncertain must not exceed goods_text_confident")
        if self.goods_vocabulary not in (None, shipped := vocabulary().version):
            raise ValueError(
                f"goods_vocabulary {self.goods_vocabulary} is not the one the matcher has "
                f"({shipped})"
            )
        return self


class IndicatorSetDocument(_Strict):
    """What an analyst uploads (and what the shipped set is built from)."""

    version: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9._-]{1,40}$")]
    note: str | None = Field(default=None, max_length=2000)
    indicators: list[Indicator] = Field(min_length=1)
    keywords: list[Keyword] = Field(default_factory=list)
    exemptions: list[Exemption] = Field(default_factory=list)
    bcp_table: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9._-]{1,40}$")] = (
        SHIPPED_TABLE_VERSION
    )
    # Only as sets stored before the shared table have it (`LegacyBcp`); new sets leave it out.
    bcps: list[LegacyBcp] = Field(default_factory=list)
    parameters: Parameters = Parameters()

    @model_validator(mode="after")
    def _unique(self) -> IndicatorSetDocument:
        for what, keys in (
            ("cn_prefix per regime", [(i.regime, i.cn_prefix) for i in self.indicators]),
            ("exemption rule", [e.rule for e in self.exemptions]),
            ("bcp code or alias", [c for b in self.bcps for c in b.codes]),
        ):
            doubles = sorted(str(k) for k, n in Counter(keys).items() if n > 1)
            if doubles:
                raise ValueError(f"duplicate {what}: {', '.join(doubles)}")
        table = bcp_table(self.bcp_table)  # an unknown version is refused here
        if differ := [d for b in self.bcps for d in b.differences(table)]:
            raise ValueError(
                f"bcps differ from BCP table {table.version}: {'; '.join(differ)}; BCP "
                "designations are changed in the shared BCP table, not in an indicator set"
            )
        return self


def _forms(word: str) -> set[str]:
    """The word and its possible singulars, so a singular keyword finds a plural
    ("roses" → rose, "mangoes" → mango, "eels" → eel)."""
    forms = {word}
    if len(word) > 3 and word.endswith("s"):
        forms.add(word[:-1])
        if word.endswith("es"):
            forms.add(word[:-2])
    return forms


def description_tokens(description: str) -> frozenset[str]:
    return frozenset(f for w in words(description).split() for f in _forms(w))


@dataclass(frozen=True)
class IndicatorSet:
    """A compiled indicator set: the document plus lookups the stages need."""

    document: IndicatorSetDocument

    @property
    def version(self) -> str:
        return self.document.version

    @property
    def parameters(self) -> Parameters:
        return self.document.parameters

    @property
    def exemptions(self) -> list[Exemption]:
        return self.document.exemptions

    @cached_property
    def _by_prefix(self) -> dict[str, list[Indicator]]:
        index: dict[str, list[Indicator]] = {}
        for indicator in self.document.indicators:
            index.setdefault(indicator.cn_prefix, []).append(indicator)
        return index

    @cached_property
    def weight_table(self) -> dict[str, float]:
        return self.parameters.weights.model_dump()

    @cached_property
    def goods_and_weight_ceiling(self) -> float:
        """The most the goods and weight comparisons can add to a score (a weight comparison
        may be absent: at least 0)."""
        w = self.weight_table
        goods = ("cn_8", "cn_6", "cn_4", "cn_2", "cn_differ", "cn_keyword")
        descriptions = ("description_fuzzy", "description_differ")
        weight = ("weight_within", "weight_near", "weight_far_off")
        return max(w[k] for k in goods + descriptions) + max(0.0, *(w[k] for k in weight))

    @cached_property
    def bcps(self) -> BcpTable:
        return bcp_table(self.document.bcp_table)

    def matching(self, hs_code: str | None) -> list[Indicator]:
        """Indicators whose CN prefix the goods code falls under (a dictionary probe per prefix
        length, not a scan of the set)."""
        if not hs_code:
            return []
        return [i for n in range(2, len(hs_code) + 1) for i in self._by_prefix.get(hs_code[:n], [])]

    def keywords_in(self, description: str) -> list[Keyword]:
        tokens = description_tokens(description)
        return [k for k in self.document.keywords if k.tokens <= tokens]

    def is_generic(self, hs_code: str | None) -> bool:
        return not hs_code or hs_code in self.parameters.generic_hs_codes

    def bcp(self, code: str | None, mode: Mode | None) -> Bcp | None:
        """The BCP a place of discharge is for goods arriving by `mode`."""
        return self.bcps.resolve(code, mode)


class IndicatorSetError(ValueError):
    pass
