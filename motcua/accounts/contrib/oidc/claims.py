"""Names of the claims motcua reads from the e-ID provider (see oidc.client), in one
place for the relying party, the services and the simulator. OIDC standard claims where
one exists; custom ones namespaced with "vn_" so they cannot clash with the provider's."""

from __future__ import annotations

ID = "citizen_id"  # the default of OIDC_VNEID_ID_CLAIM
ETHNICITY = "vn_ethnicity"
NATIONALITY = "vn_nationality"
COMMUNE_CODE = "vn_commune_code"
