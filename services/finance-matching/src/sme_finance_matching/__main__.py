from sme_common.runtime import main_for
from sme_finance_matching.app import DEFINITION, create_app

main_for(DEFINITION, create_app)
