"""UN M49 sub-region of every ISO 3166-1 country: generated data, do not edit by hand.

Source: the United Nations Statistics Division's "Standard country or area codes for statistical use
(M49)", https://unstats.un.org/unsd/methodology/m49/ , as transcribed in the ``UNregion`` column of
``country_data.tsv`` in the country_converter package 1.3.2 (PyPI ``country-converter``). That column
holds the M49 intermediate region where one exists (South America, Western Africa...); it is folded
here into its M49 sub-region (Latin America and the Caribbean 419, Sub-Saharan Africa 202), so every
country has one of the 17 sub-regions below. ISO codes are pycountry's (26.2.16). Antarctica (AQ) has
no M49 region: an organisation there must name its region.

Region names in en/fr/es are in the catalogs (``orgs.regions.<code>``), from the M49 table's English,
French and Spanish versions.
"""

from __future__ import annotations

from typing import Final

#: The M49 sub-regions, in M49's own order (by region: Africa, Americas, Asia, Europe, Oceania).
SUBREGIONS: Final[tuple[str, ...]] = (
    "015",  # Northern Africa
    "202",  # Sub-Saharan Africa
    "419",  # Latin America and the Caribbean
    "021",  # Northern America
    "143",  # Central Asia
    "030",  # Eastern Asia
    "035",  # South-eastern Asia
    "034",  # Southern Asia
    "145",  # Western Asia
    "151",  # Eastern Europe
    "154",  # Northern Europe
    "039",  # Southern Europe
    "155",  # Western Europe
    "053",  # Australia and New Zealand
    "054",  # Melanesia
    "057",  # Micronesia
    "061",  # Polynesia
)

# Sub-region code -> the ISO 3166-1 alpha-2 codes in it, space-separated.
_COUNTRIES: Final[dict[str, str]] = {
    "015": ("DZ EG EH LY MA SD TN"),
    "021": ("BM CA GL PM US"),
    "030": ("CN HK JP KP KR MN MO TW"),
    "034": ("AF BD BT IN IR LK MV NP PK"),
    "035": ("BN ID KH LA MM MY PH SG TH TL VN"),
    "039": ("AD AL BA ES GI GR HR IT ME MK MT PT RS SI SM VA"),
    "053": ("AU CC CX HM NF NZ"),
    "054": ("FJ NC PG SB VU"),
    "057": ("FM GU KI MH MP PW UM"),
    "061": ("AS CK NR NU PF PN TK TO TV WF WS"),
    "143": ("KG KZ TJ TM UZ"),
    "145": ("AE AM AZ BH CY GE IL IQ JO KW LB OM PS QA SA SY TR YE"),
    "151": ("BG BY CZ HU MD PL RO RU SK UA"),
    "154": ("AX DK EE FI FO GB GG IE IM IS JE LT LV NO SE SJ"),
    "155": ("AT BE CH DE FR LI LU MC NL"),
    "202": (
        "AO BF BI BJ BW CD CF CG CI CM CV DJ ER ET GA GH GM GN GQ GW IO KE KM LR LS MG "
        "ML MR MU MW MZ NA NE NG RE RW SC SH SL SN SO SS ST SZ TD TF TG TZ UG YT ZA ZM "
        "ZW"
    ),
    "419": (
        "AG AI AR AW BB BL BO BQ BR BS BV BZ CL CO CR CU CW DM DO EC FK GD GF GP GS GT "
        "GY HN HT JM KN KY LC MF MQ MS MX NI PA PE PR PY SR SV SX TC TT UY VC VE VG VI"
    ),
}

#: ISO 3166-1 alpha-2 code -> M49 sub-region code.
SUBREGION_OF: Final[dict[str, str]] = {
    country: region for region, countries in _COUNTRIES.items() for country in countries.split()
}
