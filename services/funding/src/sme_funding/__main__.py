from sme_common.runtime import main_for
from sme_funding.app import DEFINITION, create_app

main_for(DEFINITION, create_app)
