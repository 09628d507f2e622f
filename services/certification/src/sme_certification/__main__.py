import sys

from sme_certification.app import DEFINITION, create_app
from sme_common.runtime import main_for

if sys.argv[1:2] == ["re-evaluate"]:
    # Its own options (the shared CLI's extra commands take none).
    from sme_certification.evaluations.cli import main

    sys.exit(main(sys.argv[2:]))
main_for(DEFINITION, create_app)
