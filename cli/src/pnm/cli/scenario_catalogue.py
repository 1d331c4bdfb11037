"""Reference data of the generated scenario days: goods, companies, vessels, flights.

Codes are chosen so that the intended regime is unambiguous: controlled goods sit under an
indicator prefix that covers its whole heading (never one of the "partial" headings), 4-digit
codes are only given for headings controlled as a whole, and every manifest description of
controlled goods names them by a selection keyword (so a line without an HS code is still
selected) while no description of uncontrolled goods contains one.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, replace
from functools import cached_property, partial

from pnm.shared.contracts.records import ChedType, Party, Regime


@dataclass(frozen=True)
class Goods:
    name: str
    hs_code: str  # six digits, as a manifest gives it
    cn_code: str  # eight digits, as a pre-notification gives it
    descriptions: tuple[str, ...]  # manifest wording
    notified_as: str  # wording of a pre-notification commodity
    origins: tuple[str, ...]
    modes: tuple[str, ...]  # "sea", "air"
    share: float  # relative frequency among the goods a call may carry
    regime: Regime | None = None  # None: under no risk indicator
    ched: ChedType | None = None
    heading: str | None = None  # a 4-digit code a manifest may give instead
    trade: str = "general"  # which importers deal in it
    kg_per_package: int = 20
    species: str | None = None
    certificate_exempt: bool = False  # fruit needing no phytosanitary certificate
    fishery: bool = False  # fishery product (chapter 03, 1604, 1605)


_vet = partial(Goods, regime=Regime.VET, ched=ChedType.CHED_P)
_live = partial(Goods, regime=Regime.VET, ched=ChedType.CHED_A, trade="live", modes=("air",))
_phyto = partial(Goods, regime=Regime.PHYTO, ched=ChedType.CHED_PP)


SEA, AIR, BOTH = ("sea",), ("air",), ("sea", "air")

CONTROLLED: tuple[Goods, ...] = (
    _vet(
        "chilled beef",
        "020130",
        "02013000",
        heading="0201",
        trade="meat",
        share=3,
        descriptions=("Chilled boneless beef", "Fresh beef cuts, vacuum packed"),
        notified_as="Fresh or chilled boneless beef (bovine meat)",
        origins=("AR", "UY", "BR"),
        modes=BOTH,
        kg_per_package=25,
    ),
    _vet(
        "frozen beef",
        "020230",
        "02023090",
        heading="0202",
        trade="meat",
        share=4,
        descriptions=("Frozen beef cuts", "Frozen boneless beef"),
        notified_as="Frozen boneless beef (bovine meat)",
        origins=("BR", "AR", "UY", "AU"),
        modes=SEA,
        kg_per_package=25,
    ),
    _vet(
        "frozen pork",
        "020329",
        "02032955",
        heading="0203",
        trade="meat",
        share=2,
        descriptions=("Frozen pork bellies", "Frozen pork loins"),
        notified_as="Frozen boneless pork (meat of swine)",
        origins=("CL", "BR", "CA"),
        modes=SEA,
        kg_per_package=25,
    ),
    _vet(
        "frozen poultry",
        "020714",
        "02071410",
        heading="0207",
        trade="meat",
        share=4,
        descriptions=("Frozen chicken breast fillets", "Frozen poultry cuts"),
        notified_as="Frozen boneless chicken cuts (poultry)",
        origins=("BR", "TH"),
        modes=SEA,
        kg_per_package=20,
    ),
    _vet(
        "shrimps",
        "030617",
        "03061792",
        heading="0306",
        trade="fish",
        share=4,
        fishery=True,
        descriptions=("Frozen shrimps, peeled", "Frozen vannamei shrimps"),
        notified_as="Frozen shrimps and prawns (Penaeus vannamei)",
        origins=("VN", "IN", "EC"),
        modes=SEA,
        kg_per_package=12,
    ),
    _vet(
        "fish fillets",
        "030462",
        "03046200",
        trade="fish",
        share=3,
        fishery=True,
        descriptions=("Frozen pangasius fish fillets", "Frozen fish fillets"),
        notified_as="Frozen pangasius fish fillets (Pangasius spp.)",
        origins=("VN",),
        modes=SEA,
        kg_per_package=10,
    ),
    _vet(
        "tuna",
        "030342",
        "03034290",
        heading="0303",
        trade="fish",
        share=2,
        fishery=True,
        descriptions=("Frozen yellowfin tuna", "Frozen tuna loins"),
        notified_as="Frozen yellowfin tuna (Thunnus albacares)",
        origins=("EC", "PH", "SC"),
        modes=SEA,
        kg_per_package=20,
    ),
    _vet(
        "salmon",
        "030214",
        "03021400",
        heading="0302",
        trade="fish",
        share=3,
        fishery=True,
        descriptions=("Fresh Atlantic salmon", "Fresh salmon, gutted"),
        notified_as="Fresh Atlantic salmon (Salmo salar)",
        origins=("NO", "FO", "GB"),
        modes=SEA,
        kg_per_package=22,
    ),
    _vet(
        "cod",
        "030363",
        "03036310",
        heading="0303",
        trade="fish",
        share=2,
        fishery=True,
        descriptions=("Frozen Atlantic cod, whole fish", "Frozen cod fish, headed and gutted"),
        notified_as="Frozen cod (Gadus morhua)",
        origins=("IS", "NO"),
        modes=SEA,
        kg_per_package=25,
    ),
    _vet(
        "fresh cod",
        "030251",
        "03025110",
        heading="0302",
        trade="fish",
        share=2,
        fishery=True,
        descriptions=("Fresh cod fish, gutted", "Fresh fish (cod), on ice"),
        notified_as="Fresh cod (Gadus morhua)",
        origins=("IS",),
        modes=AIR,
        kg_per_package=20,
    ),
    _vet(
        "cold-water prawns",
        "030616",
        "03061699",
        heading="0306",
        trade="fish",
        share=1,
        fishery=True,
        descriptions=("Frozen cold-water prawns", "Frozen prawns, cooked"),
        notified_as="Frozen cold-water prawns (Pandalus borealis)",
        origins=("GL", "CA"),
        modes=SEA,
        kg_per_package=10,
    ),
    _vet(
        "cheese",
        "040690",
        "04069099",
        trade="dairy",
        share=2,
        descriptions=("Cheese", "Hard cheese wheels"),
        notified_as="Cheese, hard",
        origins=("NZ", "US"),
        modes=BOTH,
        kg_per_package=20,
    ),
    _vet(
        "honey",
        "040900",
        "04090000",
        trade="dairy",
        share=2,
        descriptions=("Natural honey in drums", "Natural honey"),
        notified_as="Natural honey",
        origins=("AR", "CN"),
        modes=SEA,
        kg_per_package=300,
    ),
    _vet(
        "milk powder",
        "040221",
        "04022118",
        trade="dairy",
        share=1,
        descriptions=("Whole milk powder", "Milk powder in bags"),
        notified_as="Whole milk powder, 26 % fat",
        origins=("NZ",),
        modes=SEA,
        kg_per_package=25,
    ),
    _live(
        "live eels",
        "030192",
        "03019210",
        descriptions=("Live eels",),
        notified_as="Live eels (glass eels)",
        species="Anguilla rostrata",
        origins=("US", "CA"),
        share=1,
        kg_per_package=15,
        fishery=True,
    ),
    _live(
        "ornamental fish",
        "030111",
        "03011100",
        descriptions=("Live fish (ornamental)",),
        notified_as="Live ornamental freshwater fish",
        species="Poecilia reticulata",
        origins=("SG", "LK", "TH"),
        share=1,
        kg_per_package=8,
        fishery=True,
    ),
    _phyto(
        "roses",
        "060311",
        "06031100",
        heading="0603",
        trade="flowers",
        share=6,
        descriptions=("Fresh cut roses", "Fresh roses"),
        notified_as="Cut roses, fresh",
        origins=("KE", "ET", "EC", "CO"),
        modes=BOTH,
        kg_per_package=12,
    ),
    _phyto(
        "chrysanthemums",
        "060314",
        "06031400",
        heading="0603",
        trade="flowers",
        share=2,
        descriptions=("Cut flowers (chrysanthemums)", "Fresh cut flowers"),
        notified_as="Cut flowers: chrysanthemums, fresh",
        origins=("CO", "KE", "ET"),
        modes=AIR,
        kg_per_package=10,
    ),
    _phyto(
        "cuttings",
        "060290",
        "06029050",
        trade="flowers",
        share=2,
        descriptions=("Unrooted plant cuttings", "Young plants for planting"),
        notified_as="Unrooted cuttings of Chrysanthemum (plants for planting)",
        origins=("KE", "ET", "UG"),
        modes=AIR,
        kg_per_package=8,
    ),
    _phyto(
        "bulbs",
        "060110",
        "06011020",
        trade="flowers",
        share=1,
        descriptions=("Flower bulbs", "Lily bulbs, dormant"),
        notified_as="Lily bulbs, dormant",
        origins=("CL", "NZ"),
        modes=SEA,
        kg_per_package=15,
    ),
    _phyto(
        "grapes",
        "080610",
        "08061010",
        heading="0806",
        trade="produce",
        share=5,
        descriptions=("Fresh table grapes", "Table grapes"),
        notified_as="Fresh table grapes",
        origins=("ZA", "CL", "PE", "IN"),
        modes=SEA,
        kg_per_package=9,
    ),
    _phyto(
        "avocados",
        "080440",
        "08044000",
        trade="produce",
        share=5,
        descriptions=("Fresh avocados", "Avocados Hass"),
        notified_as="Avocados, fresh",
        origins=("PE", "KE", "ZA", "CL", "CO"),
        modes=BOTH,
        kg_per_package=4,
    ),
    _phyto(
        "mangoes",
        "080450",
        "08045000",
        trade="produce",
        share=4,
        descriptions=("Fresh mango", "Mango, fresh"),
        notified_as="Mango (Mangifera indica), fresh",
        origins=("PE", "BR", "IN"),
        modes=BOTH,
        kg_per_package=4,
    ),
    _phyto(
        "oranges",
        "080510",
        "08051022",
        heading="0805",
        trade="produce",
        share=4,
        descriptions=("Fresh oranges", "Oranges Valencia"),
        notified_as="Sweet oranges, fresh",
        origins=("ZA", "EG", "MA"),
        modes=SEA,
        kg_per_package=15,
    ),
    _phyto(
        "lemons",
        "080550",
        "08055010",
        heading="0805",
        trade="produce",
        share=2,
        descriptions=("Fresh citrus fruit (lemons)", "Citrus fruit, lemons"),
        notified_as="Lemons, fresh",
        origins=("ZA", "AR", "EG"),
        modes=SEA,
        kg_per_package=15,
    ),
    _phyto(
        "apples",
        "080810",
        "08081080",
        heading="0808",
        trade="produce",
        share=3,
        descriptions=("Fresh apples", "Apples Royal Gala"),
        notified_as="Apples, fresh",
        origins=("NZ", "CL", "ZA"),
        modes=SEA,
        kg_per_package=18,
    ),
    _phyto(
        "peppers",
        "070960",
        "07096010",
        trade="produce",
        share=2,
        descriptions=("Fresh sweet peppers", "Peppers, fresh"),
        notified_as="Sweet peppers, fresh",
        origins=("MA", "KE", "IL"),
        modes=BOTH,
        kg_per_package=5,
    ),
    _phyto(
        "bananas",
        "080390",
        "08039010",
        trade="produce",
        share=5,
        certificate_exempt=True,
        descriptions=("Fresh bananas", "Bananas Cavendish"),
        notified_as="Bananas, fresh",
        origins=("EC", "CO", "CR"),
        modes=SEA,
        kg_per_package=18,
    ),
    _phyto(
        "pineapples",
        "080430",
        "08043000",
        trade="produce",
        share=2,
        certificate_exempt=True,
        descriptions=("Fresh pineapples", "Pineapples MD2"),
        notified_as="Pineapples, fresh",
        origins=("CR",),
        modes=SEA,
        kg_per_package=12,
    ),
    _phyto(
        "coconuts",
        "080119",
        "08011900",
        trade="produce",
        share=1,
        certificate_exempt=True,
        descriptions=("Fresh coconuts",),
        notified_as="Coconuts, fresh",
        origins=("CI", "LK"),
        modes=SEA,
        kg_per_package=20,
    ),
    _phyto(
        "dates",
        "080410",
        "08041000",
        trade="produce",
        share=1,
        certificate_exempt=True,
        descriptions=("Dates, fresh",),
        notified_as="Dates, fresh",
        origins=("TN", "IL"),
        modes=SEA,
        kg_per_package=5,
    ),
    _phyto(
        "durian",
        "081060",
        "08106000",
        trade="produce",
        share=1,
        certificate_exempt=True,
        descriptions=("Fresh durian",),
        notified_as="Durian, fresh",
        origins=("TH", "MY"),
        modes=AIR,
        kg_per_package=10,
    ),
)

# Made anywhere: the origin is one of the call's countries.
UNCONTROLLED: tuple[Goods, ...] = tuple(
    Goods(
        name,
        hs,
        hs + "00",
        descriptions=descriptions,
        notified_as=descriptions[0],
        origins=(),
        modes=BOTH,
        share=share,
        kg_per_package=kg,
    )
    for name, hs, descriptions, share, kg in (
        ("T-shirts", "610910", ("Cotton T-shirts", "Knitted T-shirts of cotton"), 3, 8),
        ("computers", "847130", ("Portable computers", "Laptop computers"), 2, 6),
        ("phones", "851713", ("Smartphones", "Mobile telephones"), 2, 4),
        ("furniture", "940330", ("Office furniture", "Wooden office desks"), 2, 30),
        ("plastics", "392690", ("Plastic articles", "Plastic storage boxes"), 2, 10),
        ("steel", "730890", ("Steel structures", "Steel frames for construction"), 1, 200),
        ("footwear", "640399", ("Leather footwear", "Shoes with leather uppers"), 2, 9),
    )
)

# Said-to-contain wordings without an HS code that no keyword selects.
UNSPECIFIED_DESCRIPTIONS = ("Freight all kinds", "Spare parts", "General cargo", "Foodstuffs")

# Goods a pre-notification may wrongly claim for a container of another chapter.
OTHER_CHAPTER = {
    Regime.VET: ("frozen beef", "fish fillets"),
    Regime.PHYTO: ("roses", "grapes", "peppers"),
}

VET_AGREEMENT_ORIGINS = ("NO", "IS", "CH", "LI")
FISHERY_AGREEMENT_ORIGINS = ("FO", "GL")


@dataclass(frozen=True)
class Company:
    name: str  # the registered name, as the importer gives it on pre-notifications
    country: str
    trades: tuple[str, ...]

    @property
    def eori(self) -> str:
        digits = f"{zlib.crc32(self.name.encode()):010d}"
        return self.country + digits[-9:] if self.country == "NL" else self.country + digits

    def party(self, name: str | None = None) -> Party:
        if not name or name == self.name:
            return self._party
        return Party(name=name, country=self.country, eori=self.eori)

    @cached_property
    def _party(self) -> Party:  # a record is immutable: one for all its uses
        return Party(name=self.name, country=self.country, eori=self.eori)


def _companies(country: str, trades: str, *names: str) -> list[Company]:
    return [Company(name, country, tuple(trades.split())) for name in names]


IMPORTERS: tuple[Company, ...] = (
    *_companies(
        "NL",
        "meat",
        "De Groot Vleeshandel B.V.",
        "Smit Internationale Vleeshandel B.V.",
        "Brabant Vleeswaren B.V.",
        "Dutch Poultry Partners B.V.",
    ),
    *_companies(
        "NL",
        "fish",
        "Zeeland Seafood Trading B.V.",
        "Visser Vis B.V.",
        "Noordzee Garnalen Import B.V.",
        "IJmuiden Frozen Fish B.V.",
    ),
    *_companies("NL", "live", "Veenstra Levende Vis B.V.", "Aquarium Groothandel Holland B.V."),
    *_companies(
        "NL",
        "flowers",
        "Westland Bloemen Groothandel B.V.",
        "Aalsmeer Flower Trading B.V.",
        "Lisse Bulb Company B.V.",
        "Rijnsburg Stekken Import B.V.",
    ),
    *_companies(
        "NL",
        "produce",
        "Hollandia Fresh Produce B.V.",
        "Jansen Fruit Import B.V.",
        "Barendrecht Exotics B.V.",
        "Ridderkerk Verse Groenten B.V.",
        "Tropical Fruit Nederland B.V.",
    ),
    *_companies("NL", "dairy", "Kaashandel Van Leeuwen B.V.", "Groningen Honing Compagnie B.V."),
    *_companies(
        "NL",
        "meat fish dairy produce",
        "Van der Berg Import B.V.",
        "Bakker & Zonen Voedingsmiddelen B.V.",
        "Mulder Global Foods N.V.",
        "Coolport Foods B.V.",
        "Maasvlakte Cold Storage B.V.",
    ),
    *_companies("BE", "produce flowers", "Antwerp Fresh Import N.V.", "Gent Flower Trade N.V."),
    *_companies("BE", "meat fish", "Eurofresh Logistics N.V."),
    *_companies("DE", "meat", "Hamburger Fleischkontor GmbH"),
    *_companies("DE", "fish", "Nordsee Fischhandel GmbH"),
    *_companies("DE", "produce dairy", "Rheinland Frischdienst GmbH"),
    *_companies("AT", "dairy", "Alpen Käse Import GmbH"),
    *_companies("DK", "fish", "Polar Seafood Europe ApS"),
    *_companies("IE", "meat dairy", "Emerald Foods Ltd"),
    *_companies("ES", "produce", "Iberia Frutas Importación S.L."),
    *_companies(
        "NL",
        "general",
        "TechNL Distribution B.V.",
        "Meubelcentrale Nederland B.V.",
        "Fashion Brands Europe B.V.",
        "Hendriks Import Export B.V.",
        "Rijnmond Distribution B.V.",
    ),
    *_companies("DE", "general", "Euro Electronics GmbH"),
    # Only days with the issue-16 families carry wood (listed last: the others draw as before).
    *_companies("NL", "wood", "Houthandel Rijnmond B.V.", "Dordtse Houtimport B.V."),
)

# Freight forwarders: the consignee of a master bill when the importer is not named.
FORWARDERS: tuple[Company, ...] = tuple(
    _companies(
        "NL",
        "general",
        "Portside Forwarding B.V.",
        "Hollandse Expeditie Maatschappij B.V.",
        "Maasstad Logistics Services B.V.",
    )
)

# House bill (and house air waybill) numbers of these forwarders: A a letter, 9 a digit.
HOUSE_BILLS = ("PSF9999999", "HEM99999999", "MLS-99999999")

# Shippers of uncontrolled goods, whatever their country.
GENERAL_EXPORTERS = (
    "Global Sourcing Ltd",
    "Pacific Trade Link Co., Ltd",
    "Continental Merchandise Corp.",
)

# Exporters are named after a place in their country and their trade.
EXPORT_PLACES: dict[str, tuple[str, str]] = {
    "AR": ("Rioplatense", "S.A."),
    "AU": ("Riverina", "Pty Ltd"),
    "BR": ("Cerrado", "Ltda"),
    "CA": ("Maritime", "Inc."),
    "CI": ("Abidjan", "SARL"),
    "CL": ("Valle Central", "S.A."),
    "CN": ("Ningbo", "Co., Ltd"),
    "CO": ("Sabana", "S.A.S."),
    "CR": ("Caribe", "S.A."),
    "EC": ("Pacífico", "S.A."),
    "EG": ("Nile Valley", "S.A.E."),
    "ET": ("Highland", "PLC"),
    "FO": ("Føroya", "P/F"),
    "GB": ("Shetland", "Ltd"),
    "GL": ("Disko Bay", "A/S"),
    "IL": ("Arava", "Ltd"),
    "IN": ("Deccan", "Pvt Ltd"),
    "IS": ("Reykjanes", "hf."),
    "KE": ("Rift Valley", "Ltd"),
    "LK": ("Colombo", "(Pvt) Ltd"),
    "MA": ("Souss", "S.A.R.L."),
    "MY": ("Pahang", "Sdn Bhd"),
    "NO": ("Vestland", "AS"),
    "NZ": ("Hawke's Bay", "Ltd"),
    "PE": ("Ica", "S.A.C."),
    "PH": ("Mindanao", "Corp."),
    "SC": ("Victoria", "Ltd"),
    "SG": ("Lion City", "Pte Ltd"),
    "TH": ("Siam", "Co., Ltd"),
    "TN": ("Tozeur", "SARL"),
    "UG": ("Entebbe", "Ltd"),
    "US": ("Chesapeake", "LLC"),
    "UY": ("Oriental", "S.A."),
    "VN": ("Mekong", "JSC"),
    "ZA": ("Western Cape", "(Pty) Ltd"),
}
TRADE_NAMES = {
    "meat": "Meat Packers",
    "fish": "Seafood",
    "dairy": "Dairy & Honey",
    "live": "Live Aquatics",
    "flowers": "Flowers & Plants",
    "produce": "Fresh Produce",
    "wood": "Timber",
}


@dataclass(frozen=True)
class Route:
    """A liner service calling at Rotterdam: where it loads and what it carries."""

    carrier: str
    bill_template: str  # A a letter, 9 a digit
    owner_codes: tuple[str, ...]  # container owner prefixes (ISO 6346)
    vessels: tuple[str, ...]
    loading: tuple[str, ...]  # UN/LOCODEs
    origins: tuple[str, ...]  # countries of origin of the goods on board


ROUTES: tuple[Route, ...] = (
    Route(
        "MSC",
        "MEDUAA999999",
        ("MSCU", "MEDU", "TGHU"),
        ("MSC AURORA", "MSC CAPELLA", "MSC ROSA"),
        ("BRSSZ", "ARBUE", "UYMVD"),
        ("BR", "AR", "UY", "CN"),
    ),
    Route(
        "Maersk",
        "MAEU999999999",
        ("MSKU", "MRKU", "MNBU"),
        ("MAERSK EINDHOVEN", "MAERSK SALALAH", "MADRID MAERSK"),
        ("CLSAI", "PECLL", "ECGYE", "COCTG"),
        ("CL", "PE", "EC", "CO", "CR"),
    ),
    Route(
        "CMA CGM",
        "CMDUAAA9999999",
        ("CMAU", "TRHU", "APHU"),
        ("CMA CGM TAGE", "CMA CGM RHONE"),
        ("ZADUR", "ZACPT", "KEMBA", "MAPTM"),
        ("ZA", "KE", "MA", "EG", "CI", "TN", "IL"),
    ),
    Route(
        "Hapag-Lloyd",
        "HLCUAAA999999999",
        ("HLXU", "HLBU", "UACU"),
        ("BERLIN EXPRESS", "ROTTERDAM EXPRESS"),
        ("SGSIN", "VNSGN", "THLCH", "INNSA"),
        ("VN", "TH", "IN", "CN", "BD", "PH", "SC"),
    ),
    Route(
        "ONE",
        "ONEYAAA999999999",
        ("ONEU", "TCLU", "NYKU"),
        ("ONE HARMONY", "ONE CONTINUITY"),
        ("CNSHA", "CNNGB", "NZTRG", "AUMEL"),
        ("CN", "NZ", "AU", "US", "TR"),
    ),
    Route(
        "Eimskip",
        "EIMU999999999",
        ("EIMU", "NOSU"),
        ("DETTIFOSS", "BRUARFOSS"),
        ("ISREY", "NOAES", "FOTHO", "GLNUK"),
        ("IS", "NO", "FO", "GL", "CA", "GB"),
    ),
    Route(
        "Evergreen",
        "EGLV999999999999",
        ("EGHU", "EMCU", "TEMU"),
        ("EVER GIVEN", "EVER APEX"),
        ("CNYTN", "TWKHH", "MYPKG"),
        ("CN", "MY", "TH", "VN", "IN", "TR"),
    ),
)

TERMINALS_RTM = ("ECTDELTA", "APMII", "RWG")
# Names of further vessels of a liner service when a day has more calls than the catalogue has
# ships (`{}` is one of the words below): the carrier's own naming style.
VESSEL_NAME_STYLES = {
    "MSC": "MSC {}",
    "Maersk": "{} MAERSK",
    "CMA CGM": "CMA CGM {}",
    "Hapag-Lloyd": "{} EXPRESS",
    "ONE": "ONE {}",
    "Eimskip": "{}FOSS",
    "Evergreen": "EVER {}",
}
VESSEL_NAME_WORDS = (
    "ALTAIR", "ANTARES", "AQUILA", "ARCTURUS", "AURIGA", "BOREAS", "CASSIOPEIA", "CASTOR",
    "CYGNUS", "DENEB", "DRACO", "ELECTRA", "FORNAX", "GEMINI", "HYDRA", "LYRA", "MAIA", "MIRA",
    "ORION", "PEGASUS", "PERSEUS", "POLARIS", "POLLUX", "PROCYON", "REGULUS", "RIGEL", "SIRIUS",
    "SPICA", "TAURUS", "VEGA", "ZEPHYR", "ATLAS", "HELIOS", "TRITON", "NEREUS", "OCEANUS",
)  # fmt: skip


@dataclass(frozen=True)
class Flight:
    number: str  # as the manifest gives it, e.g. KL0592
    awb_prefix: str  # IATA airline prefix
    loading: str  # UN/LOCODE of the departure airport
    origins: tuple[str, ...]
    handler: str  # cargo handler at Schiphol (the manifest terminal)


FLIGHTS: tuple[Flight, ...] = (
    Flight("KL0566", "074", "KENBO", ("KE", "UG"), "KLMCARGO"),
    Flight("KL0592", "074", "ZAJNB", ("ZA", "KE"), "KLMCARGO"),
    Flight("MP7374", "074", "ECUIO", ("EC", "CO"), "KLMCARGO"),
    Flight("ET3718", "071", "ETADD", ("ET", "KE", "UG"), "SWISSPORT"),
    Flight("KQ0116", "706", "KENBO", ("KE",), "SWISSPORT"),
    Flight("LA8102", "045", "COBOG", ("CO", "EC", "PE", "BR", "AR", "UY"), "SWISSPORT"),
    Flight("FI0540", "108", "ISKEF", ("IS",), "SWISSPORT"),
    Flight("QR8143", "157", "QADOH", ("IN", "LK", "TH", "MY"), "WFS"),
    Flight("EK9807", "176", "AEDWC", ("IN", "KE", "BD"), "DNATA"),
    Flight("CX0271", "160", "HKHKG", ("TH", "SG", "CN", "VN"), "SWISSPORT"),
    Flight("SQ7366", "618", "SGSIN", ("SG", "LK", "MY"), "WFS"),
    Flight("5Y8185", "369", "USJFK", ("US", "CA", "AR", "UY"), "WFS"),
    Flight("TK6501", "235", "TRIST", ("TR", "KE", "IL", "MA"), "MENZIES"),
)


# --- The issue-16 families (scenario_families.py): goods only some days carry -------------------

_CONTROLLED_BY_NAME = {g.name: g for g in CONTROLLED}


def _worded(name: str, *descriptions: str, **changes: object) -> Goods:
    """Goods of the catalogue as manifests describe them in words only, in five languages."""
    return replace(_CONTROLLED_BY_NAME[name], descriptions=descriptions, **changes)  # type: ignore[arg-type]


# Controlled goods described in English, Dutch, German, French or Spanish, without a code that
# decides: the regime is what the words say. Origins avoid the agreements that exempt them.
WORDED_CONTROLLED: tuple[Goods, ...] = (
    _vet(
        "lamb",
        "020443",
        "02044310",
        trade="meat",
        share=1,
        descriptions=(
            "CHILLED LAMB CARCASSES",
            "Frozen lamb legs, bone in",
            "gekoelde lamskarkassen",
            "bevroren lamsbouten",
            "gekühlte Lammkeulen",
            "Lammfleisch gefroren",
            "carcasses d'agneau réfrigérées",
            "canales de cordero refrigeradas",
        ),
        notified_as="Fresh or chilled lamb carcasses (meat of sheep)",
        origins=("NZ", "AU"),
        modes=BOTH,
        kg_per_package=25,
    ),
    _vet(
        "cod fillets",
        "030471",
        "03047190",
        trade="fish",
        share=1,
        fishery=True,
        descriptions=(
            "Frozen cod fillets",
            "IQF cod loins",
            "diepvries kabeljauwfilets",
            "gefrorene Kabeljaufilets",
            "filets de cabillaud congelés",
            "filetes de bacalao congelados",
        ),
        notified_as="Frozen fillets of cod (Gadus morhua)",
        origins=("CN", "VN"),
        modes=BOTH,
        kg_per_package=10,
    ),
    _phyto(
        "asparagus",
        "070920",
        "07092000",
        trade="produce",
        share=1,
        descriptions=(
            "FRESH ASPARAGUS",
            "green asparagus spears",
            "verse asperges",
            "frische Spargel",
            "asperges vertes fraîches",
            "espárragos frescos",
        ),
        notified_as="Fresh asparagus",
        origins=("PE",),
        modes=BOTH,
        kg_per_package=5,
    ),
    _worded(
        "shrimps",
        "langostinos congelados HLSO",
        "HLSO vannamei 16/20 IQF",
        "bevroren garnalen",
        "Garnelen tiefgefroren",
        "crevettes congelées décortiquées",
        "camarones congelados",
        modes=BOTH,
    ),
    _worded(
        "frozen poultry",
        "diepvries kipfilet",
        "Hähnchenbrustfilet gefroren",
        "filets de poulet congelés",
        "pechuga de pollo congelada",
        modes=BOTH,
    ),
    _worded(
        "chilled beef",
        "CHILLED BONELESS BOVINE CUTS",
        "gekoeld rundvlees zonder been",
        "Rindfleisch gekühlt, ohne Knochen",
        "viande bovine désossée réfrigérée",
        "carne de vacuno deshuesada refrigerada",
    ),
    _worded(
        "roses",
        "FRESH CUT ROSES",
        "snijrozen",
        "Schnittrosen",
        "roses coupées fraîches",
        "rosas cortadas frescas",
    ),
    _worded(
        "peppers",
        "fresh sweet peppers",
        "verse paprika",
        "frische Paprika",
        "poivrons frais",
        "pimientos frescos",
    ),
)

# Innocent goods whose words sound like food, animals or plants: under no risk indicator.
WORDED_INNOCENT: tuple[Goods, ...] = tuple(
    Goods(
        name,
        hs,
        hs + "00",
        descriptions=descriptions,
        notified_as=descriptions[0],
        origins=(),
        modes=BOTH,
        share=1,
        kg_per_package=kg,
    )
    for name, hs, descriptions, kg in (
        (
            "chicken wire",
            "731441",
            (
                "chicken wire",
                "galvanised chicken wire netting",
                "kippengaas",
                "Hühnerdraht (Maschendraht)",
                "grillage à poules",
                "malla para gallinero",
            ),
            40,
        ),
        (
            "meat grinders",
            "843850",
            (
                "meat grinder",
                "electric meat mincers",
                "vleesmolens",
                "Fleischwolf elektrisch",
                "hachoirs à viande",
                "picadora de carne",
            ),
            15,
        ),
        (
            "rose oil",
            "330129",
            ("rose oil", "rozenolie", "Rosenöl", "huile essentielle de rose", "aceite de rosa"),
            5,
        ),
        (
            "fish tanks",
            "701399",
            (
                "fish tank",
                "glass aquarium fish tanks",
                "aquariumbakken van glas",
                "Aquarien aus Glas",
                "aquariums en verre",
                "peceras de vidrio",
            ),
            20,
        ),
        (
            "fishing nets",
            "560811",
            ("fishing nets", "visnetten", "Fischernetze", "filets de pêche", "redes de pesca"),
            30,
        ),
        (
            "egg trays",
            "481840",
            (
                "moulded pulp egg trays",
                "eierdozen van karton",
                "Eierkartons",
                "boîtes à œufs en carton",
                "hueveras de cartón",
            ),
            10,
        ),
        (
            "citrus presses",
            "821000",
            (
                "lemon squeezers",
                "citruspersen",
                "Zitronenpressen",
                "presse-agrumes manuels",
                "exprimidores de limones",
            ),
            8,
        ),
        (
            "plant pots",
            "392490",
            (
                "plastic plant pots",
                "kunststof bloempotten",
                "Pflanztöpfe aus Kunststoff",
                "pots de fleurs en plastique",
                "macetas de plástico",
            ),
            12,
        ),
        (
            "horse trailers",
            "871640",
            ("horse trailers", "paardentrailers", "Pferdeanhänger", "remorques pour chevaux"),
            900,
        ),
    )
)

# Wood: plant-health goods that Rotterdam wants notified five working days ahead.
WOOD: tuple[Goods, ...] = (
    _phyto(
        "sawn pine",
        "440711",
        "44071190",
        heading="4407",
        trade="wood",
        share=1,
        descriptions=("Sawn pine timber, kiln dried", "Pine boards, sawn lengthwise"),
        notified_as="Sawn wood of pine (Pinus spp.)",
        origins=("BR", "CL"),
        modes=SEA,
        kg_per_package=1200,
    ),
    _phyto(
        "roundwood",
        "440321",
        "44032110",
        heading="4403",
        trade="wood",
        share=1,
        descriptions=("Pine logs in the rough", "Roundwood, coniferous, debarked"),
        notified_as="Coniferous roundwood of pine (Pinus spp.)",
        origins=("US", "CA"),
        modes=SEA,
        kg_per_package=2000,
    ),
)
