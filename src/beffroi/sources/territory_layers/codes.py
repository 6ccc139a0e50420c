"""Which BPE and FINESS codes are sensitive facilities in a crisis, and the ``type`` each becomes.

Documented in docs/crossing.md with how each code was checked. Education and early childhood come
from the BPE; health and elderly care from FINESS only, because the BPE's health and elderly-care
equipment are built from FINESS itself and taking both would count the same establishment twice.
"""

from __future__ import annotations

# type -> French label (crossing shows unknown types as they are; ecole/creche/ehpad are its own).
TYPES = {
    "ecole": "École",
    "college": "Collège",
    "lycee": "Lycée",
    "creche": "Crèche (accueil du jeune enfant)",
    "ehpad": "EHPAD",
    "ehpa": "Hébergement pour personnes âgées (EHPA)",
    "hopital": "Établissement hospitalier",
    "dialyse": "Centre de dialyse",
    "had": "Hospitalisation à domicile (HAD)",
}

# BPE ``TYPEQU`` -> (type, label of the code).
BPE = {
    "C101": ("ecole", "École maternelle"),
    "C102": ("ecole", "École maternelle de regroupement pédagogique intercommunal dispersé"),
    "C104": ("ecole", "École élémentaire"),
    "C105": ("ecole", "École élémentaire de regroupement pédagogique intercommunal dispersé"),
    "C201": ("college", "Collège"),
    "C301": ("lycee", "Lycée d'enseignement général et/ou technologique"),
    "C302": ("lycee", "Lycée d'enseignement professionnel"),
    "D502": ("creche", "Établissement d'accueil du jeune enfant"),
}

# FINESS ``categetab`` (nomenclature TRE_R66 « catégorie d'établissement ») -> (type, label).
FINESS = {
    "101": ("hopital", "Centre hospitalier régional (CHR)"),
    "106": ("hopital", "Centre hospitalier, ex hôpital local"),
    "109": ("hopital", "Établissement de santé privé autorisé en SSR"),
    "114": ("hopital", "Hôpital des armées"),
    "122": ("hopital", "Établissement de soins obstétriques chirurgico-gynécologiques"),
    "128": ("hopital", "Établissement de soins chirurgicaux"),
    "129": ("hopital", "Établissement de soins médicaux"),
    "131": ("hopital", "Centre de lutte contre le cancer"),
    "292": ("hopital", "Centre hospitalier spécialisé lutte maladies mentales"),
    "355": ("hopital", "Centre hospitalier (CH)"),
    "362": ("hopital", "Établissement de soins longue durée"),
    "365": ("hopital", "Établissement de soins pluridisciplinaire"),
    "141": ("dialyse", "Centre de dialyse"),
    "146": ("dialyse", "Structure d'alternative à la dialyse en centre"),
    "127": ("had", "Hospitalisation à domicile"),
    "500": ("ehpad", "EHPAD"),
    "501": ("ehpa", "EHPA percevant des crédits d'assurance maladie"),
    "502": ("ehpa", "EHPA ne percevant pas des crédits d'assurance maladie"),
}

# Projection of FINESS coordinates, named at the end of ``sourcecoordet``; Lambert-93 in metropole.
FINESS_EPSG = {"LAMBERT_93": 2154, "UTM_N20": 5490, "UTM_N22": 2972, "UTM_S40": 2975, "UTM_S38": 4471}
# Projection of the BPE's LAMBERT_X/LAMBERT_Y by département (overseas use local UTM projections).
BPE_EPSG_OVERSEAS = {"971": 5490, "972": 5490, "973": 2972, "974": 2975, "976": 4471}
