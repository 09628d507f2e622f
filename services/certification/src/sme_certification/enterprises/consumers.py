from sme_common.directory.consumers import directory_consumer

enterprise_directory_consumer = directory_consumer("certification")
