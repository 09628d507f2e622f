from sme_common.directory.router import directory_router

router = directory_router("complaints")
