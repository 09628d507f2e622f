from sme_certification.app import DEFINITION, create_app
from sme_common.runtime import main_for

main_for(DEFINITION, create_app)
