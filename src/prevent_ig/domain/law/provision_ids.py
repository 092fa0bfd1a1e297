"""The provision ids the engine cites. Each must be in the catalogue (``provisions.yaml``).

Kept as named constants so a typo is a NameError at import, not a silently unknown citation; a test
checks that every constant here is a catalogue id.
"""

from typing import Final

UKGDPR_6_1_C: Final = "UKGDPR.6.1.c"
UKGDPR_6_1_E: Final = "UKGDPR.6.1.e"
UKGDPR_9_2_A: Final = "UKGDPR.9.2.a"
UKGDPR_9_2_F: Final = "UKGDPR.9.2.f"
UKGDPR_9_2_G: Final = "UKGDPR.9.2.g"
UKGDPR_10: Final = "UKGDPR.10"
DPA_S10: Final = "DPA2018.s10"
DPA_PART3: Final = "DPA2018.Pt3"
DPA_SCH1_PT2_PARA6: Final = "DPA2018.Sch1.Pt2.6"
DPA_SCH1_PT2_PARA10: Final = "DPA2018.Sch1.Pt2.10"
DPA_SCH1_PT2_PARA18: Final = "DPA2018.Sch1.Pt2.18"
DPA_SCH1_PT3_PARA29: Final = "DPA2018.Sch1.Pt3.29"
DPA_SCH1_PT3_PARA33: Final = "DPA2018.Sch1.Pt3.33"
DPA_SCH1_PT2_PARA5: Final = "DPA2018.Sch1.Pt2.5"
DPA_SCH2_PT1_PARA2: Final = "DPA2018.Sch2.Pt1.2"
CDA_S115: Final = "CDA1998.s115"
CTSA_S36_4_B: Final = "CTSA2015.s36.4.b"
CTSA_S38: Final = "CTSA2015.s38"
MCA_S1: Final = "MCA2005.s1"
GILLICK: Final = "Gillick"
HRA_ART8: Final = "HRA1998.Art8"
CLDC_CONSENT: Final = "CLDC.consent"
CLDC_PUBLIC_INTEREST: Final = "CLDC.public_interest"
CLDC_BEST_INTERESTS: Final = "CLDC.best_interests"
CLDC_LEGAL_REQUIREMENT: Final = "CLDC.legal_requirement"
CALDICOTT_3: Final = "Caldicott.3"
CALDICOTT_7: Final = "Caldicott.7"
